/**
 * Returns of delivered orders: the owning channel or support opens one (the order's workflow accepts or
 * rejects it at once and starts the return's own workflow); the warehouse that received the goods records
 * what arrived, which restocks and refunds it.
 */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { returnWorkflowId } from '../../contracts/ids.js';
import { requestReturnUpdate, returnReceiptUpdate } from '../../contracts/messages.js';
import { warehouseExists } from '../../persistence/warehouses.js';
import { principalOf, requireRole } from '../auth.js';
import { loadOrder } from '../order-access.js';
import { problems } from '../problem.js';
import { OrderId } from '../schemas/common.js';
import { ReturnId, ReturnReceiptRequest, ReturnRequest } from '../schemas/orders.js';
import { changeOrder, sendUpdate } from '../updates.js';
import { parseWith } from '../validation.js';

export function returnsRouter(temporal: Client): Router {
  const router = Router();

  router.post('/v1/orders/:orderId/returns', requireRole('channel', 'support'), async (req, res) => {
    const { orderId, result } = await changeOrder(temporal, req, {
      body: ReturnRequest,
      update: requestReturnUpdate,
      arg: ({ lines, reason }, principal) => ({ lines, reason, requestedBy: principal.label }),
      // The workflow of a delivered order ends with its return window.
      refusal: (why, { orderId, order, ended }) =>
        `Order ${orderId} cannot take this return: ${ended && order.returnsAcceptedUntil ? `the return window closed at ${order.returnsAcceptedUntil}` : why}.`,
    });
    res.status(202).json({ orderId, status: 'requested', ...result });
  });

  router.post('/v1/orders/:orderId/returns/:returnId/receipt', requireRole('warehouse'), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const returnId = parseWith(ReturnId, req.params.returnId, 'path');
    const { warehouseId, lines } = parseWith(ReturnReceiptRequest, req.body, 'body');
    const principal = principalOf(req);
    const order = await loadOrder(temporal, principal, orderId);
    const known = (order.returns ?? []).find((r) => r.returnId === returnId);
    if (!known) throw problems.notFound(`Order ${orderId} has no return ${returnId}.`);
    if (!(await warehouseExists(warehouseId))) {
      throw problems.unprocessable(`Warehouse ${warehouseId} does not exist.`, [{ path: 'warehouseId', message: `unknown warehouse "${warehouseId}"` }]);
    }
    const receipt = { warehouseId, lines, recordedBy: principal.label };
    const outcome = await sendUpdate(temporal, { workflowId: returnWorkflowId(returnId), subject: 'the return' }, returnReceiptUpdate, receipt);
    if (!outcome.accepted) {
      const why = outcome.ended ? `it has ended (${known.status})` : outcome.reason;
      throw problems.conflict(`Return ${returnId} cannot be received: ${why}.`);
    }
    res.status(202).json({ orderId, returnId, status: outcome.result?.status ?? 'received' });
  });

  return router;
}
