/** Returns of delivered orders (api/actions/returns.ts): opened by the owning channel or support, received by a warehouse. */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { recordReturnReceipt, requestReturn, RETURN_ROLES } from '../actions/returns.js';
import { principalOf, requireRole } from '../auth.js';
import { changeRequestOf } from '../updates.js';

export function returnsRouter(temporal: Client): Router {
  const router = Router();

  router.post('/v1/orders/:orderId/returns', requireRole(...RETURN_ROLES.request), async (req, res) => {
    res.status(202).json(await requestReturn(temporal, changeRequestOf(req)));
  });

  router.post('/v1/orders/:orderId/returns/:returnId/receipt', requireRole(...RETURN_ROLES.receipt), async (req, res) => {
    const { orderId, returnId } = req.params;
    res.status(202).json(await recordReturnReceipt(temporal, principalOf(req), { orderId, returnId }, req.body));
  });

  return router;
}
