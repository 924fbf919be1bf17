/**
 * What is in stock where, as the v1 API and the inventory screen read it: SKUs with their availability and
 * low-stock state, one SKU across warehouses, and a SKU's ledger newest first. Lists page by cursor.
 */
import { inventoryPage, isStocked, movementPage, skuSummary, warehousesStocking, type InventorySummary } from '../../persistence/inventory.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import type { StockMovementDoc } from '../../persistence/stock-models.js';
import { movementCursor, skuCursor } from '../cursor.js';
import { problems } from '../problem.js';

/** 404 unless the SKU is stocked (at that warehouse, when one is named). */
export async function requireStockedSku(sku: string, warehouseId?: string): Promise<void> {
  if (!(await isStocked(sku, warehouseId))) {
    throw problems.notFound(warehouseId ? `SKU ${sku} is not stocked at ${warehouseId}.` : `SKU ${sku} is not stocked anywhere.`);
  }
}

/**
 * SKUs in ascending order with their availability and low-stock state, from the levels projection (the
 * numbers the low-stock alerts use). `onlyLow` keeps those with an open alert or availability at or below
 * their threshold.
 */
export async function listInventory(query: { onlyLow: boolean; cursor?: string; limit: number; defaultThreshold: number }) {
  const after = query.cursor ? skuCursor.decode(query.cursor) : undefined;
  const { items, more } = await inventoryPage({ after, limit: query.limit, onlyLow: query.onlyLow, defaultThreshold: query.defaultThreshold });
  return { items, nextCursor: more ? skuCursor.encode(items[items.length - 1].sku) : null };
}

/** One SKU's availability and low-stock state at each warehouse that stocks it (the inventory screen). */
export async function skuOverview(sku: string, defaultThreshold: number): Promise<InventorySummary> {
  const summary = await skuSummary(sku, defaultThreshold);
  if (!summary) throw problems.notFound(`SKU ${sku} is not stocked anywhere.`);
  return summary;
}

/** A SKU at each warehouse that stocks it, and in all. */
export async function skuAvailability(sku: string) {
  const warehouseIds = await warehousesStocking(sku);
  if (warehouseIds.length === 0) throw problems.notFound(`SKU ${sku} is not stocked anywhere.`);
  const balances = await Promise.all(warehouseIds.map((warehouseId) => readBalance(sku, warehouseId)));
  return { sku, available: balances.reduce((sum, b) => sum + b.available, 0), balances };
}

type LedgerQuery = { warehouseId?: string; cursor?: string; limit: number };
type LedgerPage = { items: StockMovementDoc[]; nextCursor: string | null };

/** A SKU's ledger newest first, at one warehouse or all; 404 when the SKU is not stocked there. */
export async function stockLedger(sku: string, query: LedgerQuery): Promise<LedgerPage> {
  await requireStockedSku(sku, query.warehouseId);
  return ledgerPage(sku, query);
}

/** A page of a SKU's ledger (persistence/inventory.ts, movementPage), for a caller that knows the SKU is stocked. */
export async function ledgerPage(sku: string, query: LedgerQuery): Promise<LedgerPage> {
  const after = query.cursor ? movementCursor.decode(query.cursor) : undefined;
  const { items, more } = await movementPage(sku, { warehouseId: query.warehouseId, after, limit: query.limit });
  const last = items[items.length - 1];
  return { items, nextCursor: more && last ? movementCursor.encode(last) : null };
}
