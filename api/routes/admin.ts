/** /v1/admin: operations on the system itself. */
import { Router } from 'express';
import { reconcileStock } from '../../persistence/reconciliation.js';
import type { StockEffects } from '../../services/stock-effects.js';
import { requireRole } from '../auth.js';
import { ReconciliationRequest } from '../schemas/inventory.js';
import { parseWith } from '../validation.js';

export function adminRouter(effects: StockEffects): Router {
  const router = Router();

  /**
   * Checks the levels projection against the stock ledger and, with `repair`, rewrites drifted levels from
   * it; repaired SKUs then get their alerts re-evaluated (and backorders woken when availability rose).
   * Drift that vanishes on a second look (a projection in flight) is neither reported nor repaired.
   */
  router.post('/v1/admin/reconciliation', requireRole('admin'), async (req, res) => {
    const { repair = false, sku } = parseWith(ReconciliationRequest, req.body, 'body');
    const { checked, drift } = await reconcileStock({ repair, sku });
    if (repair) {
      for (const d of drift) {
        const increased = d.ledger.onHand - d.ledger.reserved > d.level.onHand - d.level.reserved;
        await effects.afterStockChange([d.sku], { increased });
      }
    }
    res.json({ checked, repaired: repair && drift.length > 0, drift });
  });

  return router;
}
