/** Orders, their changes, returns and shipment events: requests and responses of /v1/orders and /v1/shipments. */
import { z } from 'zod';
import { ORDER_STATUSES, RETURN_STATUSES, SHIPMENT_STATUSES, type OrderLine } from '../../domain/order.js';
import { SHIPMENT_EVENT_TYPES } from '../../domain/shipment-events.js';
import { Address, Customer, CurrencyCode, OrderId, pageCursor, ReturnId, ShipmentId, Sku, Text, Timestamp, WarehouseId } from './common.js';

/** A line as a channel sends it; intake numbers it (`lineId`). */
export const OrderLineInput = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(10_000),
  unitPrice: z.number().int().min(0).max(100_000_000).meta({ description: 'Integer minor units (cents) per unit' }),
}) satisfies z.ZodType<Pick<OrderLine, 'sku' | 'quantity' | 'unitPrice'>>;

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

export const OrderListQuery = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  channel: Text(1, 64).optional(),
  customerId: Text(1, 128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: pageCursor(200),
});

export const ReviewOrderRequest = z
  .strictObject({ decision: z.enum(['approve', 'reject']), note: Text(1, 500).optional() })
  .meta({ id: 'ReviewOrderRequest' });
export type ReviewOrderRequest = z.infer<typeof ReviewOrderRequest>;

export const CancelOrderRequest = z
  .strictObject({
    reason: Text(1, 500),
    lines: LineQuantities.optional().meta({
      description: 'Cancel only these units of these lines (what has not shipped); without it, the whole order. Each `lineId` at most once: a line listed twice is a 400',
    }),
  })
  .meta({ id: 'CancelOrderRequest' });
export type CancelOrderRequest = z.infer<typeof CancelOrderRequest>;

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
export type ReturnRequest = z.infer<typeof ReturnRequest>;

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
export type ReturnReceiptRequest = z.infer<typeof ReturnReceiptRequest>;

export const ReturnReceiptAccepted = z
  .object({ orderId: OrderId, returnId: ReturnId, status: z.enum(RETURN_STATUSES) })
  .meta({ id: 'ReturnReceiptAccepted' });

export const ShipmentEventRequest = z
  .strictObject({ type: z.enum(SHIPMENT_EVENT_TYPES), trackingNumber: Text(1, 64).optional() })
  .meta({ id: 'ShipmentEventRequest' });
export type ShipmentEventRequest = z.infer<typeof ShipmentEventRequest>;

export const ShipmentEventResponse = z.object({
  shipmentId: ShipmentId,
  shipmentStatus: z.enum(SHIPMENT_STATUSES).meta({ description: 'The shipment status the event moves it to' }),
  orderId: OrderId,
});
