/** Returns of delivered orders (api/actions/returns.ts): opened by the owning channel or support, received by a warehouse. */
import { Router, type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import { MAY } from '../actions/permissions.js';
import { recordReturnReceipt, requestReturn } from '../actions/returns.js';
import { principalOf, requireRole } from '../auth.js';
import { OrderId, ReturnId } from '../schemas/common.js';
import { ReturnReceiptRequest, ReturnRequest } from '../schemas/orders.js';
import { parseWith } from '../validation.js';

/**
 * `admit` refuses opening a return while the engine is behind (api/admission.ts); a receipt is not refused:
 * like a shipment event, it reports goods a warehouse already holds, for a return already accepted.
 */
export function returnsRouter(temporal: Client, admit: RequestHandler): Router {
  const router = Router();

  router.post('/v1/orders/:orderId/returns', requireRole(...MAY.requestReturn), admit, async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const body = parseWith(ReturnRequest, req.body, 'body');
    res.status(202).json(await requestReturn(temporal, principalOf(req), orderId, body));
  });

  router.post('/v1/orders/:orderId/returns/:returnId/receipt', requireRole(...MAY.receiveReturn), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const returnId = parseWith(ReturnId, req.params.returnId, 'path');
    const body = parseWith(ReturnReceiptRequest, req.body, 'body');
    res.status(202).json(await recordReturnReceipt(temporal, principalOf(req), { orderId, returnId }, body));
  });

  return router;
}
