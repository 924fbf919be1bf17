/**
 * /v1/inventory: how much of each SKU is where, stock counts and adjustments (each one a ledger movement),
 * the ledger itself, low-stock thresholds and the list of SKUs running low (api/actions/inventory.ts and
 * stock-changes.ts).
 */
import { Router } from 'express';
import type { InventorySettings } from '../../config.js';
import type { StockEffects } from '../../services/stock-effects.js';
import { listInventory, skuAvailability, stockLedger } from '../actions/inventory.js';
import { MAY } from '../actions/permissions.js';
import { adjustStock, setSkuThreshold, setStockCount } from '../actions/stock-changes.js';
import { principalOf, requireRole } from '../auth.js';
import { Sku, WarehouseId } from '../schemas/common.js';
import {
  IdempotencyKeyHeader,
  InventoryListQuery,
  levelView,
  MovementListQuery,
  movementView,
  SetStockRequest,
  SkuSettingsRequest,
  StockAdjustmentRequest,
} from '../schemas/inventory.js';
import { parseWith } from '../validation.js';

export function inventoryRouter(effects: StockEffects, inventory: InventorySettings): Router {
  const router = Router();

  router.get('/v1/inventory', requireRole(...MAY.readInventory), async (req, res) => {
    const { belowThreshold, cursor, limit } = parseWith(InventoryListQuery, req.query, 'query');
    res.json(await listInventory({ onlyLow: belowThreshold === 'true', cursor, limit, defaultThreshold: inventory.lowStockThreshold }));
  });

  router.get('/v1/inventory/:sku/movements', requireRole(...MAY.readStockLedger), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const query = parseWith(MovementListQuery, req.query, 'query');
    const { items, nextCursor } = await stockLedger(sku, query);
    res.json({ items: items.map(movementView), nextCursor });
  });

  // Before /v1/inventory/:sku/:warehouseId, which would otherwise take "settings" for a warehouse id.
  router.put('/v1/inventory/:sku/settings', requireRole(...MAY.setSkuSettings), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const { lowStockThreshold } = parseWith(SkuSettingsRequest, req.body, 'body');
    res.json(await setSkuThreshold(effects, sku, lowStockThreshold));
  });

  router.put('/v1/inventory/:sku/:warehouseId', requireRole(...MAY.setStock), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const count = parseWith(SetStockRequest, req.body, 'body');
    res.json(levelView(await setStockCount(effects, principalOf(req), { sku, warehouseId }, count)));
  });

  router.post('/v1/inventory/:sku/:warehouseId/adjustments', requireRole(...MAY.setStock), async (req, res) => {
    const { 'Idempotency-Key': idempotencyKey } = parseWith(IdempotencyKeyHeader, { 'Idempotency-Key': req.get('idempotency-key') }, 'header');
    const sku = parseWith(Sku, req.params.sku, 'path');
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const adjustment = parseWith(StockAdjustmentRequest, req.body, 'body');
    const { movement, level, repeated } = await adjustStock(effects, principalOf(req), { sku, warehouseId }, adjustment, idempotencyKey);
    res.status(repeated ? 200 : 201).json({ movement: movementView(movement), level: levelView(level) });
  });

  router.get('/v1/inventory/:sku', requireRole(...MAY.readInventory), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const { available, balances } = await skuAvailability(sku);
    // The v1 shape of this endpoint has no safetyStock (GET /v1/inventory lists it); available is net of it.
    res.json({ sku, available, locations: balances.map(({ warehouseId, onHand, reserved, available }) => ({ warehouseId, onHand, reserved, available })) });
  });

  return router;
}
