/** Low-stock alerts: one open alert per SKU while its availability is at or below its threshold. */
import { availableToPromise } from '../domain/stock.js';
import { isDuplicateKeyError } from './duplicate-key.js';
import { levelsWithSettings } from './stock-ledger.js';
import { alertId, SkuSettingModel, skuIdRange, StockAlertModel } from './stock-models.js';

export interface AlertChange {
  change: 'opened' | 'closed' | 'none';
  alertId?: string;
  sku: string;
  /** The SKU's availability; or, when a lower bound above the threshold settled it, that bound. */
  available: number;
  threshold: number;
}

export async function skuAvailability(sku: string): Promise<number> {
  const levels = await levelsWithSettings([sku]);
  return levels.reduce((sum, level) => sum + availableToPromise(level), 0);
}

export async function lowStockThreshold(sku: string, defaultThreshold: number): Promise<number> {
  return (await SkuSettingModel.findById(sku).lean())?.lowStockThreshold ?? defaultThreshold;
}

/**
 * Opens the SKU's alert when it crosses down to its threshold, closes it when stock is back above.
 * `availableAtLeast` is what one of its locations had available right after the change (a reservation
 * knows it): when that alone is above the threshold and no alert is open, there is nothing to do, and the
 * SKU's availability across its locations is not read.
 */
export async function evaluateLowStock(sku: string, defaultThreshold: number, availableAtLeast?: number): Promise<AlertChange> {
  const [threshold, open] = await Promise.all([lowStockThreshold(sku, defaultThreshold), openAlert(sku)]);
  if (availableAtLeast !== undefined && availableAtLeast > threshold && !open) return { sku, available: availableAtLeast, threshold, change: 'none' };
  const available = await skuAvailability(sku);
  const result = { sku, available, threshold };
  if (available <= threshold && !open) {
    try {
      const openedAt = new Date();
      const alert = await StockAlertModel.create({ _id: alertId(sku, openedAt), sku, openKey: sku, threshold, availableAtOpen: available, openedAt });
      return { ...result, change: 'opened', alertId: String(alert._id) };
    } catch (error) {
      if (isDuplicateKeyError(error)) return { ...result, change: 'none' }; // another writer opened it
      throw error;
    }
  }
  if (available > threshold && open) {
    const closed = await StockAlertModel.updateOne(
      { _id: open._id, openKey: sku },
      { $set: { openKey: `closed:${String(open._id)}`, closedAt: new Date(), availableAtClose: available } },
    );
    if (closed.modifiedCount === 1) return { ...result, change: 'closed', alertId: String(open._id) };
  }
  return { ...result, change: 'none' };
}

/** The SKU's open alert, if any: its newest, if that is still open. */
export async function openAlert(sku: string) {
  const newest = await StockAlertModel.findOne({ _id: skuIdRange(sku) }).sort({ _id: -1 }).lean();
  return newest?.openKey === sku ? newest : null;
}
