/**
 * The API's request and response shapes (version 1), declared once: zod validates requests with them,
 * TypeScript types come from them, and the OpenAPI document is generated from them.
 */
import 'zod-openapi';
import { z } from 'zod';
import { ORDER_STATUSES, PAYMENT_STATUSES, RETURN_STATUSES, SHIPMENT_STATUSES } from './order.js';
import { SHIPMENT_EVENT_TYPES } from './shipment-events.js';
import { STOCK_MOVEMENT_KINDS } from './stock.js';

const identifier = (what: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, `${what} may hold letters, digits, '.', '_' and '-'`);

export const Sku = identifier('a SKU').meta({ id: 'Sku', example: 'TSHIRT-BLUE-M' });
/**
 * Path segments that /v1/inventory/{sku}/... uses for its own sub-resources, so no warehouse may be named
 * after them (`PUT /v1/inventory/{sku}/settings` would otherwise be ambiguous).
 */
export const RESERVED_WAREHOUSE_IDS = ['settings', 'movements'] as const;
export const WarehouseId = identifier('a warehouse id')
  .refine((id) => !(RESERVED_WAREHOUSE_IDS as readonly string[]).includes(id), `${RESERVED_WAREHOUSE_IDS.join(' and ')} are reserved words, not warehouse ids`)
  .meta({ id: 'WarehouseId', example: 'wh-berlin' });
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

/** Units of order lines, as a line cancellation and a return name them. */
const LineQuantities = z
  .array(z.strictObject({ lineId: z.string().min(1).max(64), quantity: z.number().int().min(1).max(10_000) }))
  .min(1)
  .max(100)
  .refine((lines) => new Set(lines.map((l) => l.lineId)).size === lines.length, 'each line may be listed once');

export const CreateOrderRequest = z
  .strictObject({
    externalId: z.string().min(1).max(128).meta({ description: "The channel's own order reference; unique per channel" }),
    customer: Customer,
    shippingAddress: Address,
    lines: z.array(OrderLineInput).min(1).max(100),
    currency: CurrencyCode,
    payment: z.strictObject({ token: z.string().min(1).max(128).meta({ example: 'tok_ok' }) }),
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

export const ReturnId = z.string().min(1).max(80).meta({ id: 'ReturnId', example: 'ord_3f2a9c0d1e4b5a6978c1d2e3-1' });

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
  channel: z.string().min(1).max(64).optional(),
  customerId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const OrderList = z
  .object({ items: z.array(OrderView), nextCursor: z.string().nullable() })
  .meta({ id: 'OrderList' });

export const ReviewOrderRequest = z
  .strictObject({ decision: z.enum(['approve', 'reject']), note: z.string().min(1).max(500).optional() })
  .meta({ id: 'ReviewOrderRequest' });

export const CancelOrderRequest = z
  .strictObject({
    reason: z.string().min(1).max(500),
    lines: LineQuantities.optional().meta({ description: 'Cancel only these units of these lines (what has not shipped); without it, the whole order' }),
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
    lines: LineQuantities.meta({ description: 'Units of order lines to send back, each line once: at most its units delivered and not on another return' }),
    reason: z.string().min(1).max(500),
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

const Quantity = z.number().int().min(0).max(1_000_000_000);

export const WarehousePatchRequest = z
  .strictObject({
    active: z.boolean().optional().meta({ description: 'An inactive warehouse gets no new allocations; its stock and reservations stay' }),
    priority: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .optional()
      .meta({ description: 'Higher wins among equally near warehouses' }),
  })
  .refine((body) => body.active !== undefined || body.priority !== undefined, 'name at least one of active, priority')
  .meta({ id: 'WarehousePatchRequest', minProperties: 1 });

export const SetStockRequest = z
  .strictObject({
    onHand: Quantity,
    safetyStock: Quantity.optional().meta({
      description: 'Units kept back from promising at this location; unchanged when absent (0 for a new location)',
    }),
  })
  .meta({ id: 'SetStockRequest' });

export const StockLevel = z
  .object({
    sku: Sku,
    warehouseId: WarehouseId,
    onHand: z.number().int(),
    reserved: z.number().int(),
    safetyStock: z.number().int(),
    available: z.number().int().meta({ description: 'onHand - reserved - safetyStock, never below 0' }),
  })
  .meta({ id: 'StockLevel' });

export const SkuAvailability = z
  .object({
    sku: Sku,
    available: z.number().int().meta({ description: 'Net of reservations and safety stock' }),
    locations: z.array(StockLevel.omit({ sku: true, safetyStock: true })),
  })
  .meta({ id: 'SkuAvailability' });

export const ADJUSTMENT_KINDS = ['receive', 'adjust', 'restock'] as const satisfies ReadonlyArray<(typeof STOCK_MOVEMENT_KINDS)[number]>;

export const StockAdjustmentRequest = z
  .strictObject({
    delta: z
      .number()
      .int()
      .min(-1_000_000_000)
      .max(1_000_000_000)
      .refine((delta) => delta !== 0, 'must not be 0')
      .meta({ description: 'Change in on-hand units: positive adds, negative removes' }),
    reason: z.string().min(1).max(500),
    kind: z.enum(ADJUSTMENT_KINDS).optional().meta({
      description: "Default: 'receive' for a positive delta, 'adjust' for a negative one. 'receive' and 'restock' need a positive delta",
    }),
  })
  .refine((body) => body.kind === undefined || body.kind === 'adjust' || body.delta > 0, {
    message: "'receive' and 'restock' add stock: their delta must be positive",
    path: ['kind'],
  })
  .meta({ id: 'StockAdjustmentRequest' });

export const IdempotencyKeyHeader = z.object({
  'Idempotency-Key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7E]+$/, 'printable ASCII without spaces')
    .optional()
    .meta({ description: 'Makes a retried request apply once: the same key (per API principal) answers 200 with the first result' }),
});

export const StockMovement = z
  .object({
    sku: Sku,
    warehouseId: WarehouseId,
    seq: z.number().int().meta({ description: "Position in the (sku, warehouse) stream, from 1" }),
    kind: z.enum(STOCK_MOVEMENT_KINDS),
    onHandDelta: z.number().int(),
    reservedDelta: z.number().int(),
    onHand: z.number().int().meta({ description: 'On hand after this movement' }),
    reserved: z.number().int().meta({ description: 'Reserved after this movement' }),
    key: z.string().meta({ description: 'Business key: the same key never moves stock twice' }),
    orderId: OrderId.optional(),
    reason: z.string().optional(),
    actor: z.string(),
    at: Timestamp,
  })
  .meta({ id: 'StockMovement' });

export const StockAdjustmentResponse = z
  .object({ movement: StockMovement, level: StockLevel.meta({ description: 'The current level' }) })
  .meta({ id: 'StockAdjustment' });

const PageLimit = z.coerce.number().int().min(1).max(100).default(20);
const PageCursor = z.string().max(500).optional();

export const MovementListQuery = z.strictObject({
  warehouseId: WarehouseId.optional(),
  limit: PageLimit,
  cursor: PageCursor,
});

export const MovementList = z
  .object({ items: z.array(StockMovement), nextCursor: z.string().nullable() })
  .meta({ id: 'StockMovementList', description: 'Newest first: by time recorded, then warehouse id, then sequence, all descending' });

export const InventoryListQuery = z.strictObject({
  belowThreshold: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'true: only SKUs with an open low-stock alert or availability at or below their threshold' }),
  limit: PageLimit,
  cursor: PageCursor,
});

export const InventorySummary = z
  .object({
    sku: Sku,
    available: z.number().int(),
    threshold: z.number().int().meta({ description: "The SKU's low-stock threshold (its own or the default)" }),
    lowStock: z.boolean().meta({ description: 'An alert is open or availability is at or below the threshold' }),
    locations: z.array(StockLevel.omit({ sku: true })),
  })
  .meta({ id: 'InventorySummary' });

export const InventoryList = z
  .object({ items: z.array(InventorySummary), nextCursor: z.string().nullable() })
  .meta({ id: 'InventoryList', description: 'SKUs in ascending order' });

export const SkuSettingsRequest = z.strictObject({ lowStockThreshold: Quantity }).meta({ id: 'SkuSettingsRequest' });

export const SkuSettings = z.object({ sku: Sku, lowStockThreshold: z.number().int() }).meta({ id: 'SkuSettings' });

export const ReconciliationRequest = z
  .strictObject({
    repair: z.boolean().optional().meta({ description: 'Rewrite drifted levels from the ledger (the ledger is never changed)' }),
    sku: Sku.optional(),
  })
  .meta({ id: 'ReconciliationRequest' });

const LedgerTotals = z.object({ onHand: z.number().int(), reserved: z.number().int(), seq: z.number().int() });

export const ReconciliationReport = z
  .object({
    checked: z.number().int().meta({ description: 'Locations (sku, warehouse) checked' }),
    repaired: z.boolean(),
    drift: z.array(
      z.object({
        sku: Sku,
        warehouseId: WarehouseId,
        level: LedgerTotals,
        ledger: LedgerTotals.extend({ movements: z.number().int() }),
        problems: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: 'ReconciliationReport' });

/** Channel names as API keys declare them (`API_KEYS`: `<key>=channel:<name>`). */
export const ChannelName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a channel name holds 1 to 64 letters, digits, _ and -')
  .meta({ id: 'ChannelName', example: 'web' });

export const ChannelWebhookPath = z.object({ channel: ChannelName });

export const WebhookSettingsRequest = z
  .strictObject({
    url: z
      // `abort`: the refinement below parses the URL, so it runs only on one that passed.
      .url({ protocol: /^https?$/, normalize: true, error: 'must be an absolute http:// or https:// URL', abort: true })
      .max(2048)
      .refine((url) => {
        const { username, password } = new URL(url);
        return !username && !password;
      }, 'must not hold credentials; the secret signs each request')
      .meta({ example: 'https://shop.example.com/oms/events' }),
    secret: z
      .string()
      .min(32, 'must be at least 32 characters')
      .max(256, 'must be at most 256 characters')
      .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces')
      .meta({ description: 'Keys the HMAC-SHA256 signature of every request; stored, never shown again', writeOnly: true }),
  })
  .meta({ id: 'WebhookSettingsRequest' });

export const WebhookSettings = z
  .object({
    channel: ChannelName,
    url: z.string(),
    secretSet: z.literal(true).meta({ description: 'The secret itself is never returned' }),
    updatedAt: Timestamp,
  })
  .meta({ id: 'WebhookSettings' });

/** What a channel's webhook receives for each order event (the body of the POST, version 1). */
export const OrderEvent = z
  .object({
    version: z.literal(1),
    id: z.string().meta({ description: '`<orderId>-<n>`, the same on every retry: deduplicate by it', example: 'ord_3f2a9c0d1e4b5a6978c1d2e3-3' }),
    type: z.string().meta({ description: 'The timeline entry type: received, allocated, shipment_shipped, cancelled, ...', example: 'allocated' }),
    orderId: OrderId,
    externalId: z.string(),
    channel: ChannelName,
    status: z.enum(ORDER_STATUSES).meta({ description: 'The order status right after the event' }),
    occurredAt: Timestamp,
    message: z.string(),
  })
  .meta({ id: 'OrderEvent' });
export type OrderEvent = z.infer<typeof OrderEvent>;

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
