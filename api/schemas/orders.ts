/** Orders, their changes, returns and shipment events: requests and responses of /v1/orders and /v1/shipments. */
import { z } from 'zod';
import { ORDER_STATUSES, PAYMENT_STATUSES, RETURN_STATUSES, SHIPMENT_STATUSES } from '../../domain/order.js';
import { SHIPMENT_EVENT_TYPES } from '../../domain/shipment-events.js';
import { Address, Customer, CurrencyCode, MinorUnits, Money, OrderId, pageCursor, ReturnId, ShipmentId, Sku, Text, Timestamp, WarehouseId } from './common.js';

export const OrderLineInput = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(10_000),
  unitPrice: z.number().int().min(0).max(100_000_000).meta({ description: 'Integer minor units (cents) per unit' }),
});

/**
 * Units of order lines, as a line cancellation and a return name them. Each line at most once: JSON Schema
 * cannot say that of one property of the items, so the descriptions do.
 */
const LineQuantities = z
  .array(z.strictObject({ lineId: Text(1, 64), quantity: z.number().int().min(1).max(10_000) }))
  .min(1)
  .max(100)
  .refine((lines) => new Set(lines.map((l) => l.lineId)).size === lines.length, 'each line may be listed once');

export const CreateOrderRequest = z
  .strictObject({
    externalId: Text(1, 128).meta({ description: "The channel's own order reference; unique per channel" }),
    customer: Customer,
    shippingAddress: Address,
    lines: z.array(OrderLineInput).min(1).max(100),
    currency: CurrencyCode,
    payment: z.strictObject({ token: Text(1, 128).meta({ example: 'tok_ok' }) }),
    allowPartialShipment: z
      .boolean()
      .optional()
      .meta({ description: 'Ship what is in stock now and backorder the rest (default: wait and ship complete)' }),
  })
  .meta({ id: 'CreateOrderRequest' });
export type CreateOrderRequest = z.infer<typeof CreateOrderRequest>;

export const OrderAccepted = z
  .object({ orderId: OrderId, status: z.enum(ORDER_STATUSES) })
  .meta({ id: 'OrderAccepted' });

const ReceiptLine = z.strictObject({ sku: Sku, quantity: z.number().int().min(1).max(10_000) });

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

export const OrderListQuery = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  channel: Text(1, 64).optional(),
  customerId: Text(1, 128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: pageCursor(200),
});

export const OrderList = z
  .object({ items: z.array(OrderView), nextCursor: z.string().nullable() })
  .meta({ id: 'OrderList' });

export const ReviewOrderRequest = z
  .strictObject({ decision: z.enum(['approve', 'reject']), note: Text(1, 500).optional() })
  .meta({ id: 'ReviewOrderRequest' });

export const CancelOrderRequest = z
  .strictObject({
    reason: Text(1, 500),
    lines: LineQuantities.optional().meta({
      description: 'Cancel only these units of these lines (what has not shipped); without it, the whole order. Each `lineId` at most once: a line listed twice is a 400',
    }),
  })
  .meta({ id: 'CancelOrderRequest' });

export const ChangeShippingAddressResponse = z
  .object({
    orderId: OrderId,
    status: z.enum(ORDER_STATUSES),
    rerouted: z.boolean().meta({ description: 'The order moved to warehouses that serve the new address better' }),
    warehouseIds: z.array(WarehouseId),
  })
  .meta({ id: 'ChangeShippingAddressResponse' });

export const CancelOrderResponse = z.object({ orderId: OrderId, status: z.enum(ORDER_STATUSES) });

export const ReturnRequest = z
  .strictObject({
    lines: LineQuantities.meta({
      description: 'Units of order lines to send back, at most its units delivered and not on another return. Each `lineId` at most once: a line listed twice is a 400',
    }),
    reason: Text(1, 500),
  })
  .meta({ id: 'ReturnRequest' });

export const ReturnAccepted = z
  .object({
    orderId: OrderId,
    returnId: ReturnId.optional().meta({ description: 'Absent when the order is still opening the return; it shows on the order' }),
    status: z.enum(RETURN_STATUSES),
    receiptDeadline: Timestamp.optional(),
    orderStatus: z.enum(ORDER_STATUSES).optional(),
  })
  .meta({ id: 'ReturnAccepted' });

export const ReturnReceiptRequest = z
  .strictObject({
    warehouseId: WarehouseId.meta({ description: 'The warehouse that received the goods: they go back into its stock' }),
    lines: z.array(ReceiptLine).min(1).max(100).meta({ description: 'What arrived, per SKU: at most what the return announced of each' }),
  })
  .meta({ id: 'ReturnReceiptRequest' });

export const ReturnReceiptAccepted = z
  .object({ orderId: OrderId, returnId: ReturnId, status: z.enum(RETURN_STATUSES) })
  .meta({ id: 'ReturnReceiptAccepted' });

export const ShipmentEventRequest = z
  .strictObject({ type: z.enum(SHIPMENT_EVENT_TYPES), trackingNumber: Text(1, 64).optional() })
  .meta({ id: 'ShipmentEventRequest' });

export const ShipmentEventResponse = z.object({
  shipmentId: ShipmentId,
  shipmentStatus: z.enum(SHIPMENT_STATUSES).meta({ description: 'The shipment status the event moves it to' }),
  orderId: OrderId,
});
