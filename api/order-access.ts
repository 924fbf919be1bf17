/** Loading an order for a caller: a channel sees only its own orders (another channel's is a 404). */
import type { Client } from '@temporalio/client';
import { orderWorkflowId } from '../contracts/ids.js';
import { getOrderQuery } from '../contracts/messages.js';
import type { OrderState } from '../domain/order.js';
import { findOrder } from '../persistence/orders.js';
import type { Principal } from './auth.js';
import { problems } from './problem.js';
import type { OrderView } from './schemas/orders.js';

export function canSee(principal: Principal, order: { channel: string }): boolean {
  return principal.role !== 'channel' || principal.channel === order.channel;
}

/**
 * The order as the read model has it. In the moment between intake and the workflow's first write, the
 * running workflow answers instead.
 */
export async function loadOrder(temporal: Client, principal: Principal, orderId: string): Promise<OrderState> {
  const order = (await findOrder(orderId)) ?? (await queryRunningOrder(temporal, orderId));
  if (!order || !canSee(principal, order)) throw problems.notFound(`Order ${orderId} was not found.`);
  return order;
}

async function queryRunningOrder(temporal: Client, orderId: string): Promise<OrderState | undefined> {
  try {
    return await temporal.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery);
  } catch {
    return undefined;
  }
}

/** Drops the null/undefined fields a stored subdocument may carry. */
function stripEmpty<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as T;
}

export function toOrderView(order: OrderState): OrderView {
  return {
    orderId: order.orderId,
    externalId: order.externalId,
    channel: order.channel,
    status: order.status,
    customer: order.customer,
    shippingAddress: order.shippingAddress,
    lines: order.lines.map(({ lineId, sku, quantity, unitPrice, cancelledQuantity }) => ({
      lineId,
      sku,
      quantity,
      unitPrice,
      cancelledQuantity: cancelledQuantity ?? 0,
    })),
    total: { amount: order.total.amount, currency: order.total.currency },
    payment: {
      status: order.payment.status,
      authorized: order.payment.authorized,
      captured: order.payment.captured,
      refunded: order.payment.refunded,
      voided: order.payment.voided ?? 0,
      reauthorizations: order.payment.reauthorizations ?? 0,
      ...(order.payment.authorizedAt ? { authorizedAt: order.payment.authorizedAt } : {}),
    },
    allocations: order.allocations.map(({ sku, warehouseId, quantity }) => ({ sku, warehouseId, quantity })),
    unallocated: (order.unallocated ?? []).map(({ sku, quantity }) => ({ sku, quantity })),
    ...(order.backorderDeadline ? { backorderDeadline: order.backorderDeadline } : {}),
    ...(order.lateSince ? { lateSince: order.lateSince } : {}),
    allowPartialShipment: order.policy?.allowPartialShipment ?? false,
    ...(order.review ? { review: stripEmpty(order.review) } : {}),
    shipments: order.shipments.map((s) => ({
      shipmentId: s.shipmentId,
      warehouseId: s.warehouseId,
      status: s.status,
      carrier: s.carrier,
      trackingNumber: s.trackingNumber,
      lines: s.lines.map(({ sku, quantity }) => ({ sku, quantity })),
    })),
    ...(order.returnsAcceptedUntil ? { returnsAcceptedUntil: order.returnsAcceptedUntil } : {}),
    // Orders stored before returns existed have none.
    returns: (order.returns ?? []).map(({ lines, receipt, ...rest }) => ({
      ...stripEmpty(rest),
      lines: lines.map(({ lineId, sku, quantity }) => ({ lineId, sku, quantity })),
      ...(receipt
        ? { receipt: { ...stripEmpty(receipt), lines: receipt.lines.map(({ sku, quantity }) => ({ sku, quantity })) } }
        : {}),
    })),
    timeline: order.timeline.map(({ id, at, type, message, webhook }) => ({
      id,
      at,
      type,
      message,
      ...(webhook ? { webhook: { deliveredAt: webhook.deliveredAt, attempts: webhook.attempts } } : {}),
    })),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}
