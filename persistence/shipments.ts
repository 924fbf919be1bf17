/** Shipments as booked with the carrier, with the events the warehouses reported. Written only by their order's workflow. */
import mongoose, { Schema } from 'mongoose';
import { SHIPMENT_STATUSES, type Shipment, type ShipmentLine } from '../domain/order.js';
import { statusBeforeEvent, type ShipmentEventType } from '../domain/shipment-events.js';
import { ignoreDuplicateKey } from './duplicate-key.js';

const shipmentSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    orderId: { type: String, required: true },
    warehouseId: { type: String, required: true },
    status: { type: String, enum: SHIPMENT_STATUSES, required: true },
    carrier: { type: String, required: true },
    trackingNumber: { type: String, required: true },
    lines: [{ _id: false, sku: { type: String, required: true }, quantity: { type: Number, required: true } }],
    events: [{ _id: false, type: { type: String }, at: Date, trackingNumber: String }],
  },
  { timestamps: true, versionKey: false },
);
shipmentSchema.index({ key: 1 }, { unique: true });
shipmentSchema.index({ orderId: 1 });
export const ShipmentModel = mongoose.model('Shipment', shipmentSchema, 'shipments');

/** A shipment with its order. */
export interface ShipmentRecord {
  shipment: Shipment;
  orderId: string;
}

type ShipmentDoc = {
  _id: string;
  orderId: string;
  warehouseId: string;
  status: Shipment['status'];
  carrier: string;
  trackingNumber: string;
  lines: ShipmentLine[];
};

function toShipment(doc: ShipmentDoc): Shipment {
  return {
    shipmentId: doc._id,
    warehouseId: doc.warehouseId,
    status: doc.status,
    carrier: doc.carrier,
    trackingNumber: doc.trackingNumber,
    lines: doc.lines.map(({ sku, quantity }) => ({ sku, quantity })),
  };
}

function toRecord(doc: ShipmentDoc): ShipmentRecord {
  return { shipment: toShipment(doc), orderId: doc.orderId };
}

export async function findShipment(shipmentId: string): Promise<ShipmentRecord | undefined> {
  const doc = await ShipmentModel.findById(shipmentId).lean();
  return doc ? toRecord(doc) : undefined;
}

/**
 * Stores a booked shipment unless it is stored already, and returns the stored one: a retried attempt
 * carries the same shipment id, so if it races a slow first one, both converge on one document. The
 * unique `key` index keeps one shipment per business key whatever the id: booked again under another id,
 * the first one is returned.
 */
export async function insertShipmentOnce(key: string, shipment: Shipment & { orderId: string }): Promise<Shipment> {
  const { shipmentId, ...fields } = shipment;
  const upserted = await ShipmentModel.findOneAndUpdate({ _id: shipmentId }, { $setOnInsert: { key, ...fields, events: [] } }, { upsert: true, new: true })
    .lean()
    .catch(ignoreDuplicateKey);
  const stored = upserted ? toShipment(upserted) : ((await findShipment(shipmentId))?.shipment ?? (await findShipmentByKey(key)));
  if (!stored) throw new Error(`shipment ${shipmentId} was stored but cannot be read back`);
  return stored;
}

/** The shipment booked under this key with another id (a scan, so only when the id did not find it). */
async function findShipmentByKey(key: string): Promise<Shipment | undefined> {
  const doc = await ShipmentModel.findOne({ key }).lean();
  return doc ? toShipment(doc) : undefined;
}

/**
 * Moves the shipment to the event's status and records the event, if the shipment is in the status the
 * event moves it from; returns the shipment as it was before, or undefined when it was not moved (no such
 * shipment, or the event was recorded already).
 */
export async function applyShipmentEvent(
  shipmentId: string,
  event: { type: ShipmentEventType; occurredAt: string; trackingNumber?: string },
): Promise<ShipmentRecord | undefined> {
  const before = await ShipmentModel.findOneAndUpdate(
    { _id: shipmentId, status: statusBeforeEvent(event.type) },
    {
      $set: { status: event.type, ...(event.trackingNumber ? { trackingNumber: event.trackingNumber } : {}) },
      $push: { events: { type: event.type, at: new Date(event.occurredAt), trackingNumber: event.trackingNumber } },
    },
  ).lean();
  return before ? toRecord(before) : undefined;
}

/** Reduces a shipment that has not left the warehouse to `lines`; with none left, cancels it. */
export async function amendPendingShipment(orderId: string, shipmentId: string, lines: ShipmentLine[]): Promise<void> {
  await ShipmentModel.updateOne({ _id: shipmentId, orderId, status: 'pending' }, { $set: lines.length > 0 ? { lines } : { status: 'cancelled' } });
}

/** Marks the order's shipments that have not left the warehouse as cancelled. */
export async function cancelPendingShipments(orderId: string): Promise<void> {
  await ShipmentModel.updateMany({ orderId, status: 'pending' }, { $set: { status: 'cancelled' } });
}
