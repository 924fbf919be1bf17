/** Warehouses, stock levels, adjustments, the ledger and reconciliation: /v1/warehouses, /v1/inventory, /v1/admin. */
import { z } from 'zod';
import { STOCK_MOVEMENT_KINDS } from '../../domain/stock.js';
import type { LedgerBalance } from '../../persistence/stock-ledger.js';
import type { StockMovementDoc } from '../../persistence/stock-models.js';
import { CountryCode, GeoPoint, OrderId, PageCursor, PageLimit, Quantity, Sku, Text, Timestamp, WarehouseId } from './common.js';

export const WarehouseRequest = z
  .strictObject({ name: Text(1, 200), country: CountryCode, location: GeoPoint })
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
  .meta({ id: 'WarehousePatchRequest', minProperties: 1, description: 'At least one of `active` and `priority`: an empty object is a 400' });

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

/** A location's level as the API shows it (PUT, adjustments): available never below 0. */
export function levelView({ sku, warehouseId, onHand, reserved, safetyStock, available }: LedgerBalance): z.infer<typeof StockLevel> {
  return { sku, warehouseId, onHand, reserved, safetyStock, available };
}

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
      .meta({ description: 'Change in on-hand units: positive adds, negative removes; never 0', not: { const: 0 } }),
    reason: Text(1, 500),
    kind: z.enum(ADJUSTMENT_KINDS).optional().meta({
      description: "Default: 'receive' for a positive delta, 'adjust' for a negative one. 'receive' and 'restock' need a positive delta",
    }),
  })
  .refine((body) => body.kind === undefined || body.kind === 'adjust' || body.delta > 0, {
    message: "'receive' and 'restock' add stock: their delta must be positive",
    path: ['kind'],
  })
  .meta({
    id: 'StockAdjustmentRequest',
    // The refinement above, in JSON Schema.
    if: { required: ['kind'], properties: { kind: { enum: ['receive', 'restock'] } } },
    then: { properties: { delta: { minimum: 1 } } },
  });
export type StockAdjustmentRequest = z.infer<typeof StockAdjustmentRequest>;

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

export function movementView(doc: StockMovementDoc): z.infer<typeof StockMovement> {
  return {
    sku: doc.sku,
    warehouseId: doc.warehouseId,
    seq: doc.seq,
    kind: doc.kind,
    onHandDelta: doc.onHandDelta,
    reservedDelta: doc.reservedDelta,
    onHand: doc.onHand,
    reserved: doc.reserved,
    key: doc.key,
    ...(doc.orderId ? { orderId: doc.orderId } : {}),
    ...(doc.reason ? { reason: doc.reason } : {}),
    actor: doc.actor,
    at: new Date(doc.at).toISOString(),
  };
}

export const StockAdjustmentResponse = z
  .object({ movement: StockMovement, level: StockLevel.meta({ description: 'The current level' }) })
  .meta({ id: 'StockAdjustment' });


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
