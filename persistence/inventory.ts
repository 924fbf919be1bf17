/**
 * Inventory reads: what the warehouses can promise for routing, SKUs page by page with their low-stock
 * state, a SKU's ledger page by page. Stock changes go through the ledger (stock-ledger.ts).
 */
import type { WarehouseStock } from '../domain/routing.js';
import { availableToPromise } from '../domain/stock.js';
import { openAlert } from './stock-alerts.js';
import { levelsOf, levelsWithSettings } from './stock-ledger.js';
import { InventoryLevelModel, locationId, SkuSettingModel, skuIdRange, StockMovementModel, type StockMovementDoc } from './stock-models.js';
import { activeWarehouses } from './warehouses.js';

/**
 * Availability (net of reservations and safety stock) of the SKUs in every active warehouse that stocks
 * them, from the level projection: it may lag a movement being appended, which routing can afford, since
 * the reservation decides on the ledger head and reports what it could not get for routing again.
 */
export async function stockForRouting(skus: string[]): Promise<WarehouseStock[]> {
  const locations = await levelsWithSettings(skus);
  const warehouses = await activeWarehouses([...new Set(locations.map((l) => l.warehouseId))]);
  return warehouses.map(({ warehouseId, country, location, priority }) => {
    const available: Record<string, number> = {};
    for (const stocked of locations.filter((l) => l.warehouseId === warehouseId)) available[stocked.sku] = availableToPromise(stocked);
    return { warehouseId, country, location, priority, available };
  });
}

/** Which of these SKUs some warehouse stocks. */
export async function stockedSkus(skus: string[]): Promise<Set<string>> {
  return new Set((await levelsOf(skus)).map((l) => l.sku));
}

/** Whether the SKU is stocked anywhere, or at the given warehouse. */
export async function isStocked(sku: string, warehouseId?: string): Promise<boolean> {
  return (await InventoryLevelModel.exists({ _id: warehouseId ? locationId(sku, warehouseId) : skuIdRange(sku) })) !== null;
}

/** The warehouses that stock the SKU, by id. */
export async function warehousesStocking(sku: string): Promise<string[]> {
  return (await levelsOf([sku])).map((l) => l.warehouseId);
}

export async function setLowStockThreshold(sku: string, lowStockThreshold: number): Promise<void> {
  await SkuSettingModel.updateOne({ _id: sku }, { $set: { lowStockThreshold } }, { upsert: true });
}

export interface InventorySummary {
  sku: string;
  available: number;
  threshold: number;
  /** An alert is open or availability is at or below the threshold. */
  lowStock: boolean;
  locations: Array<{ warehouseId: string; onHand: number; reserved: number; safetyStock: number; available: number }>;
}

/** How many distinct SKUs a filtered page reads per round while it looks for enough matches. */
const SKU_BATCH = 100;

/**
 * Up to `limit` SKUs after `after` in ascending order, with their availability and low-stock state
 * (`onlyLow`: only those running low), and whether more follow.
 */
export async function inventoryPage(options: {
  after: string | undefined;
  limit: number;
  onlyLow: boolean;
  defaultThreshold: number;
}): Promise<{ items: InventorySummary[]; more: boolean }> {
  const items: InventorySummary[] = [];
  let after = options.after;
  // Unfiltered, limit + 1 SKUs make the page; filtered, read on in batches until enough match.
  const batch = options.onlyLow ? SKU_BATCH : options.limit + 1;
  while (items.length <= options.limit) {
    const skus = await distinctSkus(after, batch);
    for (const summary of await summarize(skus, options.defaultThreshold)) {
      if (!options.onlyLow || summary.lowStock) items.push(summary);
      if (items.length > options.limit) break;
    }
    if (skus.length < batch) break;
    after = skus[skus.length - 1];
  }
  return { items: items.slice(0, options.limit), more: items.length > options.limit };
}

/** Up to `limit` SKUs of the levels after `after`, ascending. */
async function distinctSkus(after: string | undefined, limit: number): Promise<string[]> {
  const groups = await InventoryLevelModel.aggregate<{ _id: string }>([
    { $match: after === undefined ? {} : { sku: { $gt: after } } },
    { $group: { _id: '$sku' } },
    { $sort: { _id: 1 } },
    { $limit: limit },
  ]);
  return groups.map((g) => g._id);
}

/**
 * Availability, threshold and low-stock state of each SKU, in the given order. The same rules as
 * stock-alerts.ts (skuAvailability, lowStockThreshold), read for a whole batch at once.
 */
/** One SKU's availability and low-stock state, or undefined when no warehouse stocks it. */
export async function skuSummary(sku: string, defaultThreshold: number): Promise<InventorySummary | undefined> {
  const [summary] = await summarize([sku], defaultThreshold);
  return summary.locations.length > 0 ? summary : undefined;
}

async function summarize(skus: string[], defaultThreshold: number): Promise<InventorySummary[]> {
  if (skus.length === 0) return [];
  const [levels, settings, openAlerts] = await Promise.all([
    levelsWithSettings(skus),
    SkuSettingModel.find({ _id: { $in: skus } }).lean(),
    Promise.all(skus.map(openAlert)),
  ]);
  const thresholds = new Map(settings.map((s) => [s._id, s.lowStockThreshold]));
  const alerting = new Set(openAlerts.flatMap((alert) => (alert ? [alert.sku] : [])));
  return skus.map((sku) => {
    const locations = levels
      .filter((l) => l.sku === sku)
      .map(({ warehouseId, onHand, reserved, safetyStock }) => ({ warehouseId, onHand, reserved, safetyStock, available: availableToPromise({ onHand, reserved, safetyStock }) }));
    const available = locations.reduce((sum, l) => sum + l.available, 0);
    const threshold = thresholds.get(sku) ?? defaultThreshold;
    return { sku, available, threshold, lowStock: alerting.has(sku) || available <= threshold, locations };
  });
}

/** Where a page of a SKU's ledger continues: after this movement. */
export interface MovementPosition {
  at: Date;
  warehouseId: string;
  seq: number;
}

/**
 * A page of the SKU's ledger, newest first: by the time each movement was recorded, then warehouse id,
 * then sequence number, all descending (a total order: (sku, warehouse, seq) is unique).
 */
export async function movementPage(
  sku: string,
  options: { warehouseId?: string; after?: MovementPosition; limit: number },
): Promise<{ items: StockMovementDoc[]; more: boolean }> {
  const filter: Record<string, unknown> = { sku };
  if (options.warehouseId) filter.warehouseId = options.warehouseId;
  const after = options.after;
  if (after) {
    filter.$or = [
      { at: { $lt: after.at } },
      { at: after.at, warehouseId: { $lt: after.warehouseId } },
      { at: after.at, warehouseId: after.warehouseId, seq: { $lt: after.seq } },
    ];
  }
  const docs = await StockMovementModel.find(filter).sort({ at: -1, warehouseId: -1, seq: -1 }).limit(options.limit + 1).lean();
  return { items: docs.slice(0, options.limit), more: docs.length > options.limit };
}
