/**
 * The order read model (collection `orders`): each order's state as its workflow last saved it, for lookups
 * and lists. Intake stores a new order as received (revision 0, storeReceivedOrder); from then on only the
 * order's own workflow writes it (through the saveOrderView activity), newest revision wins.
 *
 * A document holds the order's whole state (the workflow's `OrderState`) as one JSON string, beside the few
 * fields that queries, indexes and list moves use. FerretDB decodes a string far faster than the nested
 * document it replaced: a page of 50 orders takes a quarter of the time, a lookup half (`npm run bench:order-view`).
 */
import mongoose, { Schema, type mongo } from 'mongoose';
import { FINAL_ORDER_STATUSES, needsAPerson, ORDER_STATUSES, type OrderState, type OrderStatus } from '../domain/order.js';
import { ignoreDuplicateKey } from './duplicate-key.js';
import { orderChange, recordOrderChange } from './order-changes.js';
import { listedOrders, moveOrderInLists, normalizedEmail, repairOrderInLists, type OrderListFilter, type OrderPosition } from './order-lists.js';

/** What is stored of an order; `state` is the rest of `OrderState` (all of it but orderId) as JSON. */
export interface OrderDocument {
  _id: string;
  externalId: string;
  channel: string;
  status: OrderStatus;
  customer: { id: string; email: string };
  createdAt: string;
  lateSince?: string;
  /** The SKUs a backordered order waits for (the restock dispatcher's query). */
  waitingSkus: string[];
  /** The hash of the request that created it: intake tells a retried request from a conflicting one. */
  requestHash: string;
  revision: number;
  state: string;
}

const orderSchema = new Schema<OrderDocument>(
  {
    _id: { type: String, required: true },
    externalId: { type: String, required: true },
    channel: { type: String, required: true },
    status: { type: String, enum: ORDER_STATUSES, required: true },
    customer: { id: String, email: String },
    createdAt: { type: String, required: true },
    lateSince: String,
    waitingSkus: [String],
    requestHash: String,
    revision: { type: Number, required: true },
    state: { type: String, required: true },
  },
  { versionKey: false },
);
orderSchema.index({ channel: 1, externalId: 1 }, { unique: true });
orderSchema.index({ waitingSkus: 1, createdAt: 1 });
export const OrderModel = mongoose.model<OrderDocument>('Order', orderSchema, 'orders');

/**
 * The same collection without mongoose's casting and hydration, for the order path: casting the whole order
 * on each save cost the worker three times the CPU of the rest of the call (`npm run bench:order-view`).
 */
const orders = () => OrderModel.collection as unknown as mongo.Collection<OrderDocument>;

/** The fields of the stored document, `_id` aside. */
export function storedFields({ orderId: _orderId, ...state }: OrderState): Omit<OrderDocument, '_id'> {
  return {
    externalId: state.externalId,
    channel: state.channel,
    status: state.status,
    customer: { id: state.customer.id, email: state.customer.email },
    createdAt: state.createdAt,
    ...(state.lateSince ? { lateSince: state.lateSince } : {}),
    waitingSkus: state.waitingSkus ?? [],
    requestHash: state.requestHash,
    revision: state.revision,
    state: JSON.stringify(state),
  };
}

/** Documents stored before the state was kept as JSON were the state itself (persistence/migrations.ts converts them). */
type NestedOrderDocument = Omit<OrderState, 'orderId'> & { _id: string };

export function toOrderState(doc: OrderDocument | NestedOrderDocument): OrderState {
  if ('state' in doc && typeof doc.state === 'string') return { orderId: doc._id, ...(JSON.parse(doc.state) as Omit<OrderState, 'orderId'>) };
  const { _id, ...fields } = doc as NestedOrderDocument;
  return { orderId: _id, ...fields };
}

/** Rewrites the orders stored as nested documents (before the state was kept as JSON): a migration, run once. */
export async function storeNestedOrdersAsJson(): Promise<void> {
  const nested = OrderModel.collection as unknown as mongo.Collection<NestedOrderDocument>;
  for await (const doc of nested.find({ state: { $exists: false } })) {
    const fields = storedFields(toOrderState(doc));
    const obsolete = Object.keys(doc).filter((key) => key !== '_id' && !(key in fields));
    // Unless its workflow saved it meanwhile (a higher revision, stored as JSON already).
    await orders().updateOne({ _id: doc._id, revision: doc.revision }, { $set: fields, $unset: Object.fromEntries(obsolete.map((key) => [key, ''])) });
  }
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
  let before: OrderDocument | null;
  try {
    // The whole document before: FerretDB v1 takes no projection on findAndModify.
    before = await orders().findOneAndUpdate({ _id: state.orderId, revision: { $lt: state.revision } }, { $set: storedFields(state) }, { upsert: true, returnDocument: 'before' });
  } catch (error) {
    ignoreDuplicateKey(error);
    const { orderId } = state;
    const stored = await orders().findOne({ _id: orderId }, { projection: { status: 1, channel: 1, customer: 1, createdAt: 1, lateSince: 1, revision: 1 } });
    if (stored?.revision === state.revision) await recordOrderChange(orderChange(state), (entry) => repairOrderInLists({ ...stored, orderId }, entry));
    else if (stored) await repairOrderInLists({ ...stored, orderId });
    return;
  }
  // What intake stored (revision 0) is on no list yet.
  await recordOrderChange(orderChange(state, before ? toOrderState(before) : undefined), (entry) => moveOrderInLists(state, before && before.revision > 0 ? before : undefined, entry));
}

/**
 * Intake's view of a new order (revision 0, on no list: the workflow's first save lists it), so a lookup
 * right after the order was accepted finds it. Nothing happens when the workflow has saved it already.
 */
export async function storeReceivedOrder(state: OrderState): Promise<void> {
  await orders().insertOne({ _id: state.orderId, ...storedFields(state) }).catch(ignoreDuplicateKey);
}

export async function findOrder(orderId: string): Promise<OrderState | undefined> {
  const doc = await orders().findOne({ _id: orderId });
  return doc ? toOrderState(doc) : undefined;
}

/** What intake needs to tell a retried request from a conflicting one. */
export async function findOrderRequest(orderId: string): Promise<{ requestHash: string; status: OrderStatus } | undefined> {
  const doc = await orders().findOne({ _id: orderId }, { projection: { requestHash: 1, status: 1 } });
  return doc ?? undefined;
}

/** The orders among these ids that exist, newest first. */
export async function findOrders(orderIds: string[]): Promise<OrderState[]> {
  const docs = await orders().find({ _id: { $in: orderIds } }).toArray();
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
    const found = new Map((await orders().find({ _id: { $in: listed.map((entry) => entry.orderId) } }).toArray()).map((doc) => [doc._id, toOrderState(doc)]));
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
