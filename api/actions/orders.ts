/**
 * Orders as a caller may see them: one by id, a page of a list, and what the console's search box finds.
 * A channel sees only its own orders (another channel's is a 404, listing them a 403).
 */
import type { Client } from '@temporalio/client';
import { orderIdFor, orderWorkflowId } from '../../contracts/ids.js';
import { getOrderQuery } from '../../contracts/messages.js';
import { needsAPerson, type OrderState, type OrderStatus } from '../../domain/order.js';
import type { OrderListFilter } from '../../persistence/order-lists.js';
import { findOrder, findOrders, listOrders } from '../../persistence/orders.js';
import type { Principal } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { problems } from '../problem.js';

export function canSee(principal: Principal, order: { channel: string }): boolean {
  return principal.role !== 'channel' || principal.channel === order.channel;
}

/**
 * Whose orders a request about many of them concerns: a channel's own (naming another channel is a 403,
 * `A channel can <doing> only its own orders.`), or for support and admin the channel asked for, if any.
 */
export function channelOf(caller: Principal, requested: string | undefined, doing: string): string | undefined {
  if (caller.role === 'channel' && requested && requested !== caller.channel) {
    throw problems.forbidden(`A channel can ${doing} only its own orders.`);
  }
  return caller.role === 'channel' ? caller.channel : requested;
}

/**
 * The order as the read model has it. In the moment between intake and the workflow's first write, the
 * running workflow answers instead.
 */
export async function loadOrder(temporal: Client, caller: Principal, orderId: string): Promise<OrderState> {
  const order = (await findOrder(orderId)) ?? (await queryRunningOrder(temporal, orderId));
  if (!order || !canSee(caller, order)) throw problems.notFound(`Order ${orderId} was not found.`);
  return order;
}

async function queryRunningOrder(temporal: Client, orderId: string): Promise<OrderState | undefined> {
  try {
    return await temporal.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery);
  } catch {
    return undefined;
  }
}

export interface OrderPage {
  orders: OrderState[];
  /** Where the list goes on (the cursor of the next page), or null at its end. */
  nextCursor: string | null;
}

/** A page of `filter`'s list after `cursor` (an opaque cursor this API returned), newest first. */
async function pageOf(filter: OrderListFilter, page: { cursor?: string; limit: number }): Promise<OrderPage> {
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  const { items, more } = await listOrders(filter, { after: after && { createdAt: after.createdAt, orderId: after.id }, limit: page.limit });
  const last = items[items.length - 1];
  return { orders: items, nextCursor: more && last ? encodeCursor({ createdAt: last.createdAt, id: last.orderId }) : null };
}

/** The list `GET /v1/orders` answers: a channel's own orders, or for support and admin any channel's. */
export async function listOrdersFor(
  caller: Principal,
  query: { status?: OrderStatus; channel?: string; customerId?: string; cursor?: string; limit: number },
): Promise<OrderPage> {
  const channel = channelOf(caller, query.channel, 'list');
  return pageOf({ channel, status: query.status, customerId: query.customerId }, query);
}

export interface OrderSearchTerms {
  /** An order id, an external id, a customer id or (with an @) a customer's email. */
  text?: string;
  status?: OrderStatus;
  channel?: string;
  needsAPerson: boolean;
}

/**
 * What the console's search box finds: the order of that id, or the orders of that external id in any of
 * `channels`, and else the customer of that id, or of that email when it has an @; without a text, the
 * list by status and channel, or of the orders that need a person. Lists page by cursor.
 */
export async function searchOrders(search: OrderSearchTerms, channels: string[], page: { cursor?: string; limit: number }): Promise<OrderPage> {
  const { text, status, channel } = search;
  if (text && !page.cursor) {
    const byId = await findOrders([text, ...channels.map((name) => orderIdFor(name, text))]);
    const matching = byId.filter(
      (order) => (!status || order.status === status) && (!channel || order.channel === channel) && (!search.needsAPerson || needsAPerson(order)),
    );
    if (matching.length > 0) return { orders: matching, nextCursor: null };
  }
  const byCustomer = text?.includes('@') ? { customerEmail: text } : { customerId: text };
  return pageOf({ status, channel, ...byCustomer, needsAPerson: search.needsAPerson }, page);
}
