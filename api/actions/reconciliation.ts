/**
 * Checks the levels projection against the stock ledger (admin) and, with `repair`, rewrites drifted levels
 * from it; repaired SKUs then get their alerts re-evaluated (and backorders woken when availability rose).
 * Drift that vanishes on a second look (a projection in flight) is neither reported nor repaired.
 */
import { reconcileStock } from '../../persistence/reconciliation.js';
import type { StockEffects } from '../../services/stock-effects.js';

export async function reconcile(effects: StockEffects, { repair = false, sku }: { repair?: boolean; sku?: string }) {
  const { checked, drift } = await reconcileStock({ repair, sku });
  if (repair) {
    for (const d of drift) {
      const increased = d.ledger.onHand - d.ledger.reserved > d.level.onHand - d.level.reserved;
      await effects.afterStockChange([d.sku], { increased });
    }
  }
  return { checked, repaired: repair && drift.length > 0, drift };
}
