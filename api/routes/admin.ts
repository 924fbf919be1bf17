/** /v1/admin: operations on the system itself (api/actions/reconciliation.ts). */
import { Router } from 'express';
import type { StockEffects } from '../../services/stock-effects.js';
import { MAY } from '../actions/permissions.js';
import { reconcile } from '../actions/reconciliation.js';
import { requireRole } from '../auth.js';
import { ReconciliationRequest } from '../schemas/inventory.js';
import { parseWith } from '../validation.js';

export function adminRouter(effects: StockEffects): Router {
  const router = Router();

  router.post('/v1/admin/reconciliation', requireRole(...MAY.reconcileStock), async (req, res) => {
    res.json(await reconcile(effects, parseWith(ReconciliationRequest, req.body, 'body')));
  });

  return router;
}
