/**
 * The order as the API shows it (`GET /v1/orders/{orderId}`, lists, the console): its schema, and how the
 * order's state becomes it.
 */
import { z } from 'zod';
import { ORDER_STATUSES, PAYMENT_STATUSES, RETURN_STATUSES, SHIPMENT_STATUSES, type OrderState } from '../../domain/order.js';
import { Address, Customer, MinorUnits, Money, OrderId, ReturnId, ShipmentId, Sku, Timestamp, WarehouseId } from './common.js';

export const OrderReturnView = z
  .object({
    returnId: ReturnId,
    status: z.enum(RETURN_STATUSES).meta({
      description:
        'requested: waiting for the goods; received: back in stock, refund under way; refunded; refund_failed: support settles it; ' +
        'expired: nothing arrived by the receipt deadline (nothing restocked or refunded); failed: ended unexpectedly',
    }),
    lines: z
      .array(z.object({ lineId: z.string(), sku: Sku, quantity: z.number().int() }))
      .meta({ description: 'What the customer announced, per order line (with its SKU)' }),
    reason: z.string(),
    requestedBy: z.string(),
    requestedAt: Timestamp,
    receiptDeadline: Timestamp.meta({ description: 'The return expires if nothing has arrived by then' }),
    receipt: z
      .object({
        warehouseId: WarehouseId,
        lines: z.array(z.object({ sku: Sku, quantity: z.number().int() })),
        receivedAt: Timestamp,
        recordedBy: z.string(),
      })
      .optional()
      .meta({ description: 'What arrived, where: these units went back into stock and are refunded' }),
    amount: MinorUnits.optional().meta({ description: 'Refunded, once settled' }),
    settledAt: Timestamp.optional(),
    detail: z.string().optional().meta({ description: 'Why the refund or the return failed' }),
  })
  .meta({ id: 'OrderReturn' });

export const OrderView = z
  .object({
    orderId: OrderId,
    externalId: z.string(),
    channel: z.string(),
    status: z.enum(ORDER_STATUSES),
    customer: Customer,
    shippingAddress: Address,
    lines: z.array(
      z.object({
        lineId: z.string(),
        sku: Sku,
        quantity: z.number().int(),
        unitPrice: MinorUnits,
        cancelledQuantity: z.number().int().meta({ description: 'Units of the line cancelled while the order ran' }),
      }),
    ),
    total: Money,
    payment: z.object({
      status: z.enum(PAYMENT_STATUSES),
      authorized: MinorUnits.meta({ description: 'Held by the current authorization when it was made' }),
      captured: MinorUnits,
      refunded: MinorUnits,
      voided: MinorUnits.meta({ description: 'Released without charging: cancelled lines, a cancelled rest' }),
      reauthorizations: z.number().int().meta({ description: 'Times the authorization was renewed because it grew too old' }),
      authorizedAt: Timestamp.optional(),
    }),
    allocations: z.array(z.object({ sku: Sku, warehouseId: WarehouseId, quantity: z.number().int() })),
    unallocated: z
      .array(z.object({ sku: Sku, quantity: z.number().int() }))
      .meta({ description: 'What the order still waits for (backordered)' }),
    backorderDeadline: Timestamp.optional().meta({ description: 'When a backordered order is cancelled if stock has not arrived' }),
    lateSince: Timestamp.optional().meta({ description: 'When the order was marked late: nothing shipped within the shipping SLA' }),
    review: z
      .object({
        reason: z.string(),
        deadline: Timestamp,
        decision: z.enum(['approve', 'reject']).optional(),
        note: z.string().optional(),
        reviewer: z.string().optional(),
      })
      .optional()
      .meta({ description: 'Present once the order was held for review' }),
    allowPartialShipment: z.boolean(),
    shipments: z.array(
      z.object({
        shipmentId: ShipmentId,
        warehouseId: WarehouseId,
        status: z.enum(SHIPMENT_STATUSES),
        carrier: z.string(),
        trackingNumber: z.string(),
        lines: z.array(z.object({ sku: Sku, quantity: z.number().int() })),
      }),
    ),
    returnsAcceptedUntil: Timestamp.optional().meta({ description: 'Set at delivery: returns are accepted until then' }),
    returns: z.array(OrderReturnView),
    timeline: z.array(
      z.object({
        id: z.string().meta({ description: "`<orderId>-<n>`: the order's n-th event; webhooks send it as the event id" }),
        at: Timestamp,
        type: z.string(),
        message: z.string(),
        webhook: z
          .object({ deliveredAt: Timestamp, attempts: z.number().int().min(1) })
          .optional()
          .meta({ description: "Present once the channel's webhook accepted this event" }),
      }),
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Order' });
export type OrderView = z.infer<typeof OrderView>;

export const OrderList = z
  .object({ items: z.array(OrderView), nextCursor: z.string().nullable() })
  .meta({ id: 'OrderList' });

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
