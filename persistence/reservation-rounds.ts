/**
 * What each reservation round of an order routed, recorded once under the round's key before any of its
 * stock moves, and which of those allocations the ledger refused. An order's routing, reservations and
 * shipment bookings run as local activities in one workflow task, so their effects are in the database
 * before that task is in the history; when the task is lost (its worker killed, or it timed out) Temporal
 * runs it again, and routing over the stock again would count the lost attempt's reservations as taken
 * and pick other warehouses. The re-run gets the round as it was recorded instead.
 */
import mongoose, { Schema } from 'mongoose';
import type { Allocation, OrderQuantity } from '../domain/quantities.js';
import { insertOnce } from './duplicate-key.js';

/** A round as first routed, and the allocations of it the ledger refused (lost to another order). */
export interface ReservationRound {
  allocations: Allocation[];
  unallocated: OrderQuantity[];
  refused: Array<Pick<Allocation, 'sku' | 'warehouseId'>>;
}

const allocationFields = { sku: { type: String, required: true }, warehouseId: { type: String, required: true }, quantity: { type: Number, required: true } };

const reservationRoundSchema = new Schema(
  {
    /** The round's key, `order:<orderId>:round:<n>`. */
    _id: { type: String, required: true },
    orderId: { type: String, required: true },
    allocations: [{ _id: false, ...allocationFields }],
    unallocated: [{ _id: false, sku: { type: String, required: true }, quantity: { type: Number, required: true } }],
    refused: [{ _id: false, sku: { type: String, required: true }, warehouseId: { type: String, required: true } }],
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
const ReservationRoundModel = mongoose.model('ReservationRound', reservationRoundSchema, 'reservation_rounds');

function toRound(doc: ReservationRound): ReservationRound {
  return {
    allocations: doc.allocations.map(({ sku, warehouseId, quantity }) => ({ sku, warehouseId, quantity })),
    unallocated: doc.unallocated.map(({ sku, quantity }) => ({ sku, quantity })),
    refused: doc.refused.map(({ sku, warehouseId }) => ({ sku, warehouseId })),
  };
}

/** The round recorded under `key`, if any. */
export async function findReservationRound(key: string): Promise<ReservationRound | undefined> {
  const doc = await ReservationRoundModel.findById(key).lean();
  return doc ? toRound(doc) : undefined;
}

/** Records the round under `key` unless one is recorded already, and returns the recorded one. */
export async function recordReservationRoundOnce(key: string, orderId: string, routed: Omit<ReservationRound, 'refused'>): Promise<ReservationRound> {
  const inserted = await insertOnce(() => ReservationRoundModel.create({ _id: key, orderId, ...routed, refused: [] }));
  if (inserted) return toRound(inserted.toObject());
  const recorded = await findReservationRound(key);
  if (!recorded) throw new Error(`reservation round ${key} was recorded but cannot be read back`);
  return recorded;
}

/** Notes that the ledger refused this allocation of the round, so a re-run reports it refused too. */
export async function recordRefusal(key: string, refused: Pick<Allocation, 'sku' | 'warehouseId'>): Promise<void> {
  await ReservationRoundModel.updateOne({ _id: key }, { $addToSet: { refused: { sku: refused.sku, warehouseId: refused.warehouseId } } });
}
