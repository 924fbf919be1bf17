/** /console/inventory: stock per SKU and warehouse, what runs low, adjustments and the ledger, for the admin role. */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { allWarehouses } from '../../persistence/warehouses.js';
import type { StockEffects } from '../../services/stock-effects.js';
import { ledgerPage, listInventory, skuOverview } from '../actions/inventory.js';
import { adjustStock } from '../actions/stock-changes.js';
import { HttpProblem } from '../problem.js';
import { Sku, WarehouseId } from '../schemas/common.js';
import { StockAdjustmentRequest } from '../schemas/inventory.js';
import { parseWith } from '../validation.js';
import { allow, fieldText, formOf, renderPage, type PageContextOf } from './pages.js';
import { InventoryPage, SkuPage } from './views/inventory.js';

const PAGE_SIZE = 50;

export function inventoryRoutes(effects: StockEffects, lowStockThreshold: number, context: PageContextOf): Router {
  const router = Router();
  router.use(allow('admin'));

  router.get('/', async (req, res) => {
    const onlyLow = req.query.low === '1';
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    const { items, nextCursor } = await listInventory({ onlyLow, cursor, limit: PAGE_SIZE, defaultThreshold: lowStockThreshold });
    const nextHref = nextCursor ? `/console/inventory?${new URLSearchParams({ ...(onlyLow ? { low: '1' } : {}), cursor: nextCursor })}` : undefined;
    renderPage(res, InventoryPage({ context: context(req, res), items, onlyLow, nextHref }));
  });

  const skuPage = async (req: Request, res: Response, extra: { notice?: string; problem?: HttpProblem } = {}) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    // The overview is a 404 for a SKU no warehouse stocks, so the ledger needs no check of its own.
    const summary = await skuOverview(sku, lowStockThreshold);
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    const { items, nextCursor } = await ledgerPage(sku, { cursor, limit: PAGE_SIZE });
    const olderHref = nextCursor ? `/console/inventory/${encodeURIComponent(sku)}?cursor=${nextCursor}` : undefined;
    const page = SkuPage({ context: context(req, res), summary, warehouses: await allWarehouses(), movements: items, olderHref, idempotencyKey: randomUUID(), ...extra });
    renderPage(res, page, extra.problem?.status ?? 200);
  };

  router.get('/:sku', async (req, res) => {
    await skuPage(req, res, { notice: req.query.adjusted === '1' ? 'The adjustment is in the ledger.' : undefined });
  });

  router.post('/:sku/adjustments', async (req, res) => {
    const form = formOf(req.body);
    try {
      const sku = parseWith(Sku, req.params.sku, 'path');
      const warehouseId = parseWith(WarehouseId, form.warehouseId, 'path');
      const adjustment = parseWith(StockAdjustmentRequest, { delta: Number(form.delta), reason: form.reason }, 'body');
      await adjustStock(effects, req.principal!, { sku, warehouseId }, adjustment, fieldText(form, 'idempotencyKey'));
      res.redirect(303, `/console/inventory/${encodeURIComponent(sku)}?adjusted=1`);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      await skuPage(req, res, { problem: error });
    }
  });

  return router;
}
