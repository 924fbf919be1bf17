/**
 * The API's request and response shapes (version 1), declared once: zod validates requests with them,
 * TypeScript types come from them, and the OpenAPI document is generated from them.
 */
import 'zod-openapi';
import { z } from 'zod';
import { ORDER_STATUSES, PAYMENT_STATUSES, SHIPMENT_STATUSES } from './order.js';
import { SHIPMENT_EVENT_TYPES } from './shipment-events.js';

const identifier = (what: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, `${what} may hold letters, digits, '.', '_' and '-'`);

export const Sku = identifier('a SKU').meta({ id: 'Sku', example: 'TSHIRT-BLUE-M' });
export const WarehouseId = identifier('a warehouse id').meta({ id: 'WarehouseId', example: 'wh-berlin' });
export const OrderId = z.string().min(1).max(64).meta({ id: 'OrderId', example: 'ord_3f2a9c0d1e4b5a6978c1d2e3' });
export const ShipmentId = z.string().min(1).max(64).meta({ example: 'shp_4b5a6978c1d2e3f2a9c0' });
const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as "DE"').meta({ example: 'DE' });
const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "EUR"').meta({ example: 'EUR' });
const MinorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ description: 'Integer minor units (cents)' });
const Timestamp = z.string().meta({ format: 'date-time', example: '2026-11-28T09:30:00.000Z' });

export const GeoPoint = z.strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).meta({ id: 'GeoPoint' });

export const Money = z.strictObject({ amount: MinorUnits, currency: CurrencyCode }).meta({ id: 'Money' });

export const Customer = z
  .strictObject({ id: z.string().min(1).max(128), email: z.email().max(254), name: z.string().min(1).max(200).optional() })
  .meta({ id: 'Customer' });

export const Address = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    line1: z.string().min(1).max(200),
    line2: z.string().max(200).optional(),
    city: z.string().min(1).max(100),
    postalCode: z.string().min(1).max(20),
    country: CountryCode,
    location: GeoPoint.optional(),
  })
  .meta({ id: 'Address' });

export const OrderLineInput = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(10_000),
  unitPrice: z.number().int().min(0).max(100_000_000).meta({ description: 'Integer minor units (cents) per unit' }),
});

export const CreateOrderRequest = z
  .strictObject({
    externalId: z.string().min(1).max(128).meta({ description: "The channel's own order reference; unique per channel" }),
    customer: Customer,
    shippingAddress: Address,
    lines: z.array(OrderLineInput).min(1).max(100),
    currency: CurrencyCode,
    payment: z.strictObject({ token: z.string().min(1).max(128).meta({ example: 'tok_ok' }) }),
  })
  .meta({ id: 'CreateOrderRequest' });
export type CreateOrderRequest = z.infer<typeof CreateOrderRequest>;

export const OrderAccepted = z
  .object({ orderId: OrderId, status: z.enum(ORDER_STATUSES) })
  .meta({ id: 'OrderAccepted' });

export const OrderView = z
  .object({
    orderId: OrderId,
    externalId: z.string(),
    channel: z.string(),
    status: z.enum(ORDER_STATUSES),
    customer: Customer,
    shippingAddress: Address,
    lines: z.array(z.object({ lineId: z.string(), sku: Sku, quantity: z.number().int(), unitPrice: MinorUnits })),
    total: Money,
    payment: z.object({
      status: z.enum(PAYMENT_STATUSES),
      authorized: MinorUnits,
      captured: MinorUnits,
      refunded: MinorUnits,
    }),
    allocations: z.array(z.object({ sku: Sku, warehouseId: WarehouseId, quantity: z.number().int() })),
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
    timeline: z.array(z.object({ at: Timestamp, type: z.string(), message: z.string() })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Order' });
export type OrderView = z.infer<typeof OrderView>;

export const OrderListQuery = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  channel: z.string().min(1).max(64).optional(),
  customerId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const OrderList = z
  .object({ items: z.array(OrderView), nextCursor: z.string().nullable() })
  .meta({ id: 'OrderList' });

export const CancelOrderRequest = z
  .strictObject({ reason: z.string().min(1).max(500) })
  .meta({ id: 'CancelOrderRequest' });

export const CancelOrderResponse = z.object({ orderId: OrderId, status: z.enum(ORDER_STATUSES) });

export const ShipmentEventRequest = z
  .strictObject({ type: z.enum(SHIPMENT_EVENT_TYPES), trackingNumber: z.string().min(1).max(64).optional() })
  .meta({ id: 'ShipmentEventRequest' });

export const ShipmentEventResponse = z.object({
  shipmentId: ShipmentId,
  shipmentStatus: z.enum(SHIPMENT_STATUSES),
  orderId: OrderId,
  orderStatus: z.enum(ORDER_STATUSES).optional().meta({ description: 'Absent when the order is still applying the event' }),
});

export const WarehouseRequest = z
  .strictObject({ name: z.string().min(1).max(200), country: CountryCode, location: GeoPoint })
  .meta({ id: 'WarehouseRequest' });

export const Warehouse = z
  .object({
    warehouseId: WarehouseId,
    name: z.string(),
    country: CountryCode,
    location: GeoPoint,
    active: z.boolean(),
    priority: z.number().int(),
  })
  .meta({ id: 'Warehouse' });

export const SetStockRequest = z
  .strictObject({ onHand: z.number().int().min(0).max(1_000_000_000) })
  .meta({ id: 'SetStockRequest' });

export const StockLevel = z
  .object({
    sku: Sku,
    warehouseId: WarehouseId,
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int(),
  })
  .meta({ id: 'StockLevel' });

export const SkuAvailability = z
  .object({
    sku: Sku,
    available: z.number().int(),
    locations: z.array(StockLevel.omit({ sku: true })),
  })
  .meta({ id: 'SkuAvailability' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.boolean()).optional() });
