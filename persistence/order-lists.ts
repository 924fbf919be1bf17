/**
 * The order lists behind `GET /v1/orders` (collection `order_list_entries`): one entry per order and list
 * it is on, keyed `<list>#<createdAt>|<orderId>`. A page is a range of `_id`, newest first, read in order
 * from the `_id` index with its limit, so it costs the same with a hundred orders stored or a hundred
 * thousand: on MongoDB natively, on the embedded FerretDB through tools/ferretdb/patches/id-ranges.patch.
 *
 * The lists: all orders, by channel, customer id, customer email, status, channel and status, and those
 * that need a person. Written with the order's view (persistence/orders.ts): an order enters the lists its
 * new state puts it on and leaves those of its state before. The same collection holds the outbox of order
 * changes (persistence/order-changes.ts, under `changes#`), so that a save writes its change with its list
 * entries in one call, and the orders the engine has not taken up yet (persistence/engine-intake.ts, under
 * `intake#`); no list may be named `changes` or `intake`.
 */
import mongoose, { Schema, type mongo } from 'mongoose';
import { needsAPerson, ORDER_STATUSES, type OrderStatus } from '../domain/order.js';
import { ignoreDuplicateKeys } from './duplicate-key.js';

const orderListEntrySchema = new Schema(
  { _id: { type: String, required: true }, orderId: { type: String, required: true } },
  { versionKey: false },
);
export const OrderListEntryModel = mongoose.model('OrderListEntry', orderListEntrySchema, 'order_list_entries');

/** The same collection without mongoose's casting: every save of an order's view may move its entries. */
const entries = () => OrderListEntryModel.collection as unknown as mongo.Collection<AlsoWritten & { orderId?: string }>;

/** What an order's list membership depends on. */
export interface ListedOrder {
  orderId: string;
  status: OrderStatus;
  channel: string;
  customer: { id: string; email: string };
  createdAt: string;
  lateSince?: string;
}

export interface OrderListFilter {
  channel?: string;
  status?: OrderStatus;
  customerId?: string;
  customerEmail?: string;
  /** Only orders that need a person (domain/order.ts needsAPerson). */
  needsAPerson?: boolean;
}

/** Where a newest-first page of orders continues: after this order. */
export interface OrderPosition {
  createdAt: string;
  orderId: string;
}

// Each part is URI-encoded, so the `=`, `|` and `#` between them never occur inside one, and an id holds
// no character that JSON escapes (the embedded FerretDB orders ids by their JSON text). A list's entries
// are the ids between `<list>#` and `<list>#~`, which no other list's ids fall between.
const part = (value: string) => encodeURIComponent(value);
const allOrders = 'all';
const byChannel = (channel: string) => `channel=${part(channel)}`;
const byStatus = (status: OrderStatus) => `status=${status}`;
const byChannelAndStatus = (channel: string, status: OrderStatus) => `channel=${part(channel)}|status=${status}`;
const byCustomer = (customerId: string) => `customer=${part(customerId)}`;
const byEmail = (email: string) => `email=${part(normalizedEmail(email))}`;
const needingAPerson = 'attention';

/** An email as lists file it: the same address in any case is one customer. */
export const normalizedEmail = (email: string) => email.trim().toLowerCase();

/** The `_id` of an order's entry on `list`; another document of this collection keyed the same way may use it too. */
export function entryId(list: string, { createdAt, orderId }: OrderPosition): string {
  return `${list}#${part(createdAt)}|${part(orderId)}`;
}

/** The lists an order is on because of its status. */
function statusLists(channel: string, status: OrderStatus): string[] {
  return [byStatus(status), byChannelAndStatus(channel, status)];
}

/** Every list an order in this state is on. */
function listsOf(order: Omit<ListedOrder, 'orderId'>): string[] {
  return [
    allOrders,
    byChannel(order.channel),
    byCustomer(order.customer.id),
    byEmail(order.customer.email),
    ...statusLists(order.channel, order.status),
    ...(needsAPerson(order) ? [needingAPerson] : []),
  ];
}

/**
 * Another document of this collection that a save writes in the same call as the lists' entries: the
 * order's change (persistence/order-changes.ts).
 */
export interface AlsoWritten {
  _id: string;
}

/**
 * Adds the order's entries to these lists, and `also`; entries it has already stay as they are. Nothing to
 * write: no database call.
 */
async function enter(order: ListedOrder, lists: string[], also?: AlsoWritten): Promise<void> {
  const written = [...lists.map((list) => ({ _id: entryId(list, order), orderId: order.orderId })), ...(also ? [also] : [])];
  if (written.length === 0) return;
  await entries().insertMany(written, { ordered: false }).catch(ignoreDuplicateKeys);
}

async function leave(order: ListedOrder, lists: string[]): Promise<void> {
  if (lists.length === 0) return;
  await entries().deleteMany({ _id: { $in: lists.map((list) => entryId(list, order)) } });
}

/**
 * Puts the order on the lists its state puts it on, and, when it was on lists before (`before`: its state
 * as last saved; none for a new order), takes it off those it no longer belongs on; writes `also` with the
 * entries. Idempotent for the lists: a retry changes nothing more.
 */
export async function moveOrderInLists(order: ListedOrder, before: Pick<ListedOrder, 'status' | 'lateSince'> | undefined, also?: AlsoWritten): Promise<void> {
  const now = listsOf(order);
  if (before === undefined) return enter(order, now, also);
  const was = listsOf({ ...order, status: before.status, lateSince: before.lateSince });
  await enter(order, now.filter((list) => !was.includes(list)), also);
  await leave(order, was.filter((list) => !now.includes(list)));
}

/**
 * Makes the order's entries what its current state says, whatever happened before: on the lists of its
 * state and of no other; writes `also` with them. For a save whose earlier attempt may have stopped
 * between the view and its lists.
 */
export async function repairOrderInLists(order: ListedOrder, also?: AlsoWritten): Promise<void> {
  const now = listsOf(order);
  await enter(order, now, also);
  const others = [...ORDER_STATUSES.flatMap((status) => statusLists(order.channel, status)), needingAPerson];
  await leave(order, others.filter((list) => !now.includes(list)));
}

/**
 * The orders on the list that serves the filter, newest first, after `after`: at most `limit`. A filter on
 * the customer (id or email) or on needing a person reads that list; the caller checks the other conditions
 * on the orders.
 */
export async function listedOrders(filter: OrderListFilter, page: { after?: OrderPosition; limit: number }): Promise<OrderPosition[]> {
  const list = listFor(filter);
  const upper = page.after ? entryId(list, page.after) : `${list}#~`;
  const found = await entries()
    .find({ _id: { $gt: `${list}#`, $lt: upper } }, { projection: { _id: 1 } })
    .sort({ _id: -1 })
    .limit(page.limit)
    .toArray();
  return found.map((entry) => positionOf(entry._id));
}

/** The order an entry's `_id` (entryId) is for. */
export function positionOf(id: string): OrderPosition {
  const [createdAt, orderId] = id.slice(id.lastIndexOf('#') + 1).split('|').map(decodeURIComponent);
  return { createdAt, orderId };
}

function listFor({ channel, status, customerId, customerEmail, needsAPerson }: OrderListFilter): string {
  if (customerId) return byCustomer(customerId);
  if (customerEmail) return byEmail(customerEmail);
  if (needsAPerson) return needingAPerson;
  if (channel && status) return byChannelAndStatus(channel, status);
  if (channel) return byChannel(channel);
  if (status) return byStatus(status);
  return allOrders;
}
