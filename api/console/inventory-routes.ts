/** /console/inventory: stock per SKU and warehouse, what runs low, adjustments and the ledger, for the admin role. */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { adjustInventory } from '../actions/inventory.js';
import { movementCursor, skuCursor } from '../cursor.js';
import { HttpProblem, problems } from '../problem.js';
import { Sku } from '../schemas/common.js';
import { parseWith } from '../validation.js';
import { inventoryPage, movementPage, skuSummary } from '../../persistence/inventory.js';
import { allWarehouses } from '../../persistence/warehouses.js';
import type { StockEffects } from '../../services/stock-effects.js';
import { allow, fieldText, formOf, renderPage, type PageContextOf } from './pages.js';
import { InventoryPage, SkuPage } from './views/inventory.js';

const PAGE_SIZE = 50;

export function inventoryRoutes(effects: StockEffects, lowStockThreshold: number, context: PageContextOf): Router {
  const router = Router();
  router.use(allow('admin'));

  router.get('/', async (req, res) => {
    const onlyLow = req.query.low === '1';
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    const after = cursor ? skuCursor.decode(cursor) : undefined;
    const { items, more } = await inventoryPage({ after, limit: PAGE_SIZE, onlyLow, defaultThreshold: lowStockThreshold });
    const nextHref = more ? `/console/inventory?${new URLSearchParams({ ...(onlyLow ? { low: '1' } : {}), cursor: skuCursor.encode(items[items.length - 1].sku) })}` : undefined;
    renderPage(res, InventoryPage({ context: context(req, res), items, onlyLow, nextHref }));
  });

  const skuPage = async (req: Request, res: Response, extra: { notice?: string; problem?: HttpProblem } = {}) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const summary = await skuSummary(sku, lowStockThreshold);
    if (!summary) throw problems.notFound(`SKU ${sku} is not stocked anywhere.`);
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    const { items, more } = await movementPage(sku, { after: cursor ? movementCursor.decode(cursor) : undefined, limit: PAGE_SIZE });
    const last = items[items.length - 1];
    const olderHref = more && last ? `/console/inventory/${encodeURIComponent(sku)}?cursor=${movementCursor.encode(last)}` : undefined;
    const page = SkuPage({ context: context(req, res), summary, warehouses: await allWarehouses(), movements: items, olderHref, idempotencyKey: randomUUID(), ...extra });
    renderPage(res, page, extra.problem?.status ?? 200);
  };

  router.get('/:sku', async (req, res) => {
    await skuPage(req, res, { notice: req.query.adjusted === '1' ? 'The adjustment is in the ledger.' : undefined });
  });

  router.post('/:sku/adjustments', async (req, res) => {
    const form = formOf(req.body);
    try {
      await adjustInventory(effects, req.principal!, { sku: req.params.sku, warehouseId: form.warehouseId }, { delta: Number(form.delta), reason: form.reason }, fieldText(form, 'idempotencyKey'));
      res.redirect(303, `/console/inventory/${encodeURIComponent(String(req.params.sku))}?adjusted=1`);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      await skuPage(req, res, { problem: error });
    }
  });

  return router;
}
