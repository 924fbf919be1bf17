/**
 * The order read model (collection `orders`): each order's state as its workflow last saved it, for lookups
 * and lists. Intake stores a new order as received (revision 0, storeReceivedOrder); from then on only the
 * order's own workflow writes it (through the saveOrderView activity), newest revision wins. The document is the workflow's `OrderState` with the order id as `_id`: the schema below is checked
 * against that type by the compiler, so the two cannot drift apart.
 */
import mongoose, { Schema, type SchemaDefinitionProperty } from 'mongoose';
import { FINAL_ORDER_STATUSES, needsAPerson, ORDER_STATUSES, PAYMENT_STATUSES, RETURN_STATUSES, SHIPMENT_STATUSES, type OrderState, type OrderStatus, type ReturnReceipt, type TimelineEntry } from '../domain/order.js';
import type { GeoPoint } from '../domain/customer.js';
import type { OrderQuantity } from '../domain/quantities.js';
import { ignoreDuplicateKey } from './duplicate-key.js';
import { orderChange, recordOrderChange } from './order-changes.js';
import { listedOrders, moveOrderInLists, normalizedEmail, repairOrderInLists, type OrderListFilter, type OrderPosition } from './order-lists.js';

type OrderDocument = Omit<OrderState, 'orderId'> & { _id: string };

/** A mongoose definition that names exactly the fields of T, at every level of nesting. */
type ExactDefinition<T> = { [Key in keyof Required<T>]: FieldDefinition<NonNullable<T[Key]>> };
type FieldDefinition<V> = [V] extends [string | number | boolean]
  ? SchemaDefinitionProperty<V>
  : [V] extends [ReadonlyArray<infer Element>]
    ? [Element] extends [object]
      ? [ExactDefinition<Element> & { _id: false }]
      : [SchemaDefinitionProperty<Element>]
    : ExactDefinition<V> | { type: Schema<V>; required: boolean };

const geoPoint = new Schema<GeoPoint>({ lat: { type: Number, required: true }, lng: { type: Number, required: true } }, { _id: false });
const quantities: [ExactDefinition<OrderQuantity> & { _id: false }] = [{ _id: false, sku: String, quantity: Number }];

/** Every field of the order, no more and no fewer: a forgotten or misspelled field is a compile error. */
const orderFields: ExactDefinition<OrderDocument> = {
  _id: { type: String, required: true },
  externalId: { type: String, required: true },
  channel: { type: String, required: true },
  status: { type: String, enum: ORDER_STATUSES, required: true },
  customer: { id: String, email: String, name: String },
  shippingAddress: {
    name: String,
    line1: String,
    line2: String,
    city: String,
    postalCode: String,
    country: String,
    location: { type: geoPoint, required: false },
  },
  lines: [{ _id: false, lineId: String, sku: String, quantity: Number, unitPrice: Number, cancelledQuantity: Number }],
  total: { amount: { type: Number, required: true }, currency: { type: String, required: true } },
  payment: {
    status: { type: String, enum: PAYMENT_STATUSES },
    authorized: Number,
    captured: Number,
    refunded: Number,
    voided: Number,
    authorizationId: String,
    authorizedAt: String,
    reauthorizations: Number,
  },
  flaggedForReview: Boolean,
  review: { reason: String, deadline: String, decision: String, note: String, reviewer: String },
  lateSince: String,
  allocations: [{ _id: false, sku: String, warehouseId: String, quantity: Number }],
  unallocated: quantities,
  waitingSkus: [String],
  backorderDeadline: String,
  // The whole policy the order runs under, so support sees its windows.
  policy: {
    allowPartialShipment: Boolean,
    backorderTimeoutMs: Number,
    reviewAboveAmount: Number,
    reviewTimeoutMs: Number,
    shipWithinMs: Number,
    returnWindowMs: Number,
    returnReceiptTimeoutMs: Number,
    authorizationValidityMs: Number,
  },
  shipments: [
    {
      _id: false,
      shipmentId: String,
      warehouseId: String,
      status: { type: String, enum: SHIPMENT_STATUSES },
      carrier: String,
      trackingNumber: String,
      lines: quantities,
    },
  ],
  returnsAcceptedUntil: String,
  returns: [
    {
      _id: false,
      returnId: String,
      lines: [{ _id: false, lineId: String, sku: String, quantity: Number }],
      reason: String,
      requestedBy: String,
      status: { type: String, enum: RETURN_STATUSES },
      requestedAt: String,
      receiptDeadline: String,
      receipt: {
        type: new Schema<ReturnReceipt>({ warehouseId: String, lines: quantities, receivedAt: String, recordedBy: String }, { _id: false }),
        required: false,
      },
      amount: Number,
      settledAt: String,
      detail: String,
    },
  ],
  timeline: [
    {
      _id: false,
      id: String,
      at: String,
      type: { type: String },
      message: String,
      webhook: { type: new Schema<NonNullable<TimelineEntry['webhook']>>({ deliveredAt: String, attempts: Number }, { _id: false }), required: false },
    },
  ],
  requestHash: String,
  createdAt: { type: String, required: true },
  updatedAt: { type: String, required: true },
  revision: { type: Number, required: true },
};

const orderSchema = new Schema<OrderDocument>(orderFields, { versionKey: false });
orderSchema.index({ channel: 1, externalId: 1 }, { unique: true });
orderSchema.index({ waitingSkus: 1, createdAt: 1 });
export const OrderModel = mongoose.model<OrderDocument>('Order', orderSchema, 'orders');

function toOrderState({ _id, ...fields }: OrderDocument): OrderState {
  return { orderId: _id, ...fields };
}

/**
 * Saves the state unless the stored one is already as new (higher or equal revision), moves the order
 * between lists when its status changed (persistence/order-lists.ts), and records the change for the
 * order's followers (persistence/order-changes.ts) in the same call. An older write matches nothing, its
 * upsert collides on `_id`, and it is dropped; an earlier attempt of it may have stopped between the view
 * and the lists, so the lists are then made to agree with the stored view, and a retry of this very
 * revision records its change again (what was new in it is not known any more: the whole timeline).
 */
export async function saveOrderView(state: OrderState): Promise<void> {
  const { orderId, ...fields } = state;
  let before: { status: OrderStatus; revision: number; lateSince?: string; timeline: TimelineEntry[] } | null;
  try {
    // The whole document before: FerretDB v1 takes no projection on findAndModify.
    before = await OrderModel.findOneAndUpdate({ _id: orderId, revision: { $lt: state.revision } }, { $set: fields }, { upsert: true, new: false }).lean();
  } catch (error) {
    ignoreDuplicateKey(error);
    const stored = await OrderModel.findById(orderId, { status: 1, channel: 1, customer: 1, createdAt: 1, lateSince: 1, revision: 1 }).lean();
    if (stored?.revision === state.revision) await recordOrderChange(orderChange(state), (entry) => repairOrderInLists({ ...stored, orderId }, entry));
    else if (stored) await repairOrderInLists({ ...stored, orderId });
    return;
  }
  // What intake stored (revision 0) is on no list yet.
  await recordOrderChange(orderChange(state, before ?? undefined), (entry) => moveOrderInLists(state, before && before.revision > 0 ? before : undefined, entry));
}

/**
 * Intake's view of a new order (revision 0, on no list: the workflow's first save lists it), so a lookup
 * right after the order was accepted finds it. Nothing happens when the workflow has saved it already.
 */
export async function storeReceivedOrder(state: OrderState): Promise<void> {
  const { orderId, ...fields } = state;
  await OrderModel.create({ _id: orderId, ...fields }).catch(ignoreDuplicateKey);
}

export async function findOrder(orderId: string): Promise<OrderState | undefined> {
  const doc = await OrderModel.findById(orderId).lean();
  return doc ? toOrderState(doc) : undefined;
}

/** What intake needs to tell a retried request from a conflicting one. */
export async function findOrderRequest(orderId: string): Promise<{ requestHash: string; status: OrderStatus } | undefined> {
  const doc = await OrderModel.findById(orderId, { requestHash: 1, status: 1 }).lean();
  return doc ?? undefined;
}

/** The orders among these ids that exist, newest first. */
export async function findOrders(orderIds: string[]): Promise<OrderState[]> {
  const docs = await OrderModel.find({ _id: { $in: orderIds } }).lean();
  return docs.map(toOrderState).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * A page of orders matching the filter, newest first, and whether more follow: ids from the list that serves
 * the filter, then the orders by id. Conditions the list does not cover (status or channel beside a
 * customer), and a status that changed since the list was read, are checked on the orders themselves.
 */
export async function listOrders(filter: OrderListFilter, page: { after?: OrderPosition; limit: number }): Promise<{ items: OrderState[]; more: boolean }> {
  const items: OrderState[] = [];
  // One more than the page, to know whether more follow.
  for (let after = page.after; items.length <= page.limit; ) {
    const wanted = page.limit + 1 - items.length;
    const listed = await listedOrders(filter, { after, limit: wanted });
    const found = new Map((await OrderModel.find({ _id: { $in: listed.map((entry) => entry.orderId) } }).lean()).map((doc) => [doc._id, toOrderState(doc)]));
    for (const { orderId } of listed) {
      const order = found.get(orderId);
      if (order && matches(order, filter)) items.push(order);
    }
    if (listed.length < wanted) break; // the end of the list
    after = listed[listed.length - 1];
  }
  return { items: items.slice(0, page.limit), more: items.length > page.limit };
}

function matches(order: OrderState, { channel, status, customerId, customerEmail, needsAPerson: needed }: OrderListFilter): boolean {
  return (
    (!channel || order.channel === channel) &&
    (!status || order.status === status) &&
    (!customerId || order.customer.id === customerId) &&
    (!customerEmail || normalizedEmail(order.customer.email) === normalizedEmail(customerEmail)) &&
    (!needed || needsAPerson(order))
  );
}

/** Ids of the orders still waiting for the SKU, oldest first. */
export async function backorderedOrderIds(sku: string): Promise<string[]> {
  const orders = await OrderModel.find({ waitingSkus: sku, status: { $nin: FINAL_ORDER_STATUSES } }, { _id: 1 }).sort({ createdAt: 1, _id: 1 }).lean();
  return orders.map((o) => o._id);
}
