/**
 * /v1/inventory: how much of each SKU is where, stock counts and adjustments (each one a ledger movement),
 * the ledger itself, low-stock thresholds and the list of SKUs running low.
 */
import { Router } from 'express';
import type { InventorySettings } from '../../config.js';
import { inventoryPage, isStocked, movementPage, setLowStockThreshold, warehousesStocking } from '../../persistence/inventory.js';
import { readBalance, type LedgerBalance } from '../../persistence/stock-ledger.js';
import type { StockMovementDoc } from '../../persistence/stock-models.js';
import { warehouseExists } from '../../persistence/warehouses.js';
import type { StockEffects } from '../../services/stock-effects.js';
import { adjustInventory, ADJUSTMENT_ROLES } from '../actions/inventory.js';
import { mayHandleWarehouse, principalOf, requireRole } from '../auth.js';
import { movementCursor, skuCursor } from '../cursor.js';
import { problems } from '../problem.js';
import { Sku, WarehouseId } from '../schemas/common.js';
import { IdempotencyKeyHeader, InventoryListQuery, MovementListQuery, SetStockRequest, SkuSettingsRequest } from '../schemas/inventory.js';
import { setStockCount } from '../stock-changes.js';
import { parseWith } from '../validation.js';

/** A location's level as the API shows it (PUT, adjustments): available never below 0. */
function levelView({ sku, warehouseId, onHand, reserved, safetyStock, available }: LedgerBalance) {
  return { sku, warehouseId, onHand, reserved, safetyStock, available };
}

function movementView(doc: StockMovementDoc) {
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

async function requireWarehouse(warehouseId: string): Promise<void> {
  if (!(await warehouseExists(warehouseId))) throw problems.notFound(`Warehouse ${warehouseId} was not found.`);
}

async function requireStockedSku(sku: string, warehouseId?: string): Promise<void> {
  if (!(await isStocked(sku, warehouseId))) {
    throw problems.notFound(warehouseId ? `SKU ${sku} is not stocked at ${warehouseId}.` : `SKU ${sku} is not stocked anywhere.`);
  }
}

export function inventoryRouter(effects: StockEffects, inventory: InventorySettings): Router {
  const router = Router();

  /**
   * SKUs in ascending order with their availability and low-stock state, from the levels projection
   * (the same numbers the low-stock alerts use). `belowThreshold=true` keeps those with an open alert or
   * availability at or below their threshold.
   */
  router.get('/v1/inventory', async (req, res) => {
    const query = parseWith(InventoryListQuery, req.query, 'query');
    const after = query.cursor ? skuCursor.decode(query.cursor) : undefined;
    const { items, more } = await inventoryPage({
      after,
      limit: query.limit,
      onlyLow: query.belowThreshold === 'true',
      defaultThreshold: inventory.lowStockThreshold,
    });
    res.json({ items, nextCursor: more ? skuCursor.encode(items[items.length - 1].sku) : null });
  });

  /** The ledger of a SKU, newest first (persistence/inventory.ts, movementPage). */
  router.get('/v1/inventory/:sku/movements', requireRole('admin', 'support'), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const query = parseWith(MovementListQuery, req.query, 'query');
    await requireStockedSku(sku, query.warehouseId);
    const after = query.cursor ? movementCursor.decode(query.cursor) : undefined;
    const { items, more } = await movementPage(sku, { warehouseId: query.warehouseId, after, limit: query.limit });
    const last = items[items.length - 1];
    res.json({
      items: items.map(movementView),
      nextCursor: more && last ? movementCursor.encode(last) : null,
    });
  });

  // Before /v1/inventory/:sku/:warehouseId, which would otherwise take "settings" for a warehouse id.
  router.put('/v1/inventory/:sku/settings', requireRole('admin'), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const { lowStockThreshold } = parseWith(SkuSettingsRequest, req.body, 'body');
    await requireStockedSku(sku);
    await setLowStockThreshold(sku, lowStockThreshold);
    // The threshold moved: the alert may open or close.
    await effects.afterStockChange([sku], { increased: false });
    res.json({ sku, lowStockThreshold });
  });

  router.put('/v1/inventory/:sku/:warehouseId', requireRole('admin', 'warehouse'), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const count = parseWith(SetStockRequest, req.body, 'body');
    if (!mayHandleWarehouse(principalOf(req), warehouseId)) throw problems.notFound(`Warehouse ${warehouseId} was not found.`);
    await requireWarehouse(warehouseId);
    res.json(levelView(await setStockCount(effects, { sku, warehouseId }, count, principalOf(req).label)));
  });

  /** Adds or removes stock by a delta (api/actions/inventory.ts). */
  router.post('/v1/inventory/:sku/:warehouseId/adjustments', requireRole(...ADJUSTMENT_ROLES), async (req, res) => {
    const { 'Idempotency-Key': idempotencyKey } = parseWith(IdempotencyKeyHeader, { 'Idempotency-Key': req.get('idempotency-key') }, 'header');
    const { sku, warehouseId } = req.params;
    const { movement, level, repeated } = await adjustInventory(effects, principalOf(req), { sku, warehouseId }, req.body, idempotencyKey);
    res.status(repeated ? 200 : 201).json({ movement: movementView(movement), level: levelView(level) });
  });

  router.get('/v1/inventory/:sku', async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const warehouseIds = await warehousesStocking(sku);
    if (warehouseIds.length === 0) throw problems.notFound(`SKU ${sku} is not stocked anywhere.`);
    const balances = await Promise.all(warehouseIds.map((warehouseId) => readBalance(sku, warehouseId)));
    res.json({
      sku,
      available: balances.reduce((sum, b) => sum + b.available, 0),
      // The v1 shape of this endpoint has no safetyStock (GET /v1/inventory lists it); available is net of it.
      locations: balances.map(({ warehouseId, onHand, reserved, available }) => ({ warehouseId, onHand, reserved, available })),
    });
  });

  return router;
}
