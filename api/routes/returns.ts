/**
 * Returns of delivered orders: the owning channel or support opens one (the order's workflow accepts or
 * rejects it at once and starts the return's own workflow); the warehouse that received the goods records
 * what arrived, which restocks and refunds it.
 */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { returnWorkflowId } from '../../domain/order.js';
import { OrderId, ReturnId, ReturnReceiptRequest, ReturnRequest } from '../../domain/schemas.js';
import { WarehouseModel } from '../../persistence/models.js';
import { requestReturnUpdate, returnReceiptUpdate } from '../../workflows/messages.js';
import { principalOf, requireRole } from '../auth.js';
import { loadOrder } from '../order-access.js';
import { problems } from '../problem.js';
import { parseWith } from '../validation.js';
import { updateOrder, updateWorkflow } from '../workflow-updates.js';

export function returnsRouter(temporal: Client): Router {
  const router = Router();

  router.post('/v1/orders/:orderId/returns', requireRole('channel', 'support'), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const { lines, reason } = parseWith(ReturnRequest, req.body, 'body');
    const principal = principalOf(req);
    const order = await loadOrder(temporal, principal, orderId);
    const outcome = await updateOrder(temporal, orderId, requestReturnUpdate, [{ lines, reason, requestedBy: principal.label }], 10_000);
    if (!outcome.accepted) {
      // The workflow of a delivered order ends with its return window.
      const why = outcome.ended && order.returnsAcceptedUntil ? `the return window closed at ${order.returnsAcceptedUntil}` : outcome.reason;
      throw problems.conflict(`Order ${orderId} cannot take this return: ${why}.`);
    }
    res.status(202).json({ orderId, status: 'requested', ...outcome.result });
  });

  router.post('/v1/orders/:orderId/returns/:returnId/receipt', requireRole('warehouse'), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const returnId = parseWith(ReturnId, req.params.returnId, 'path');
    const { warehouseId, lines } = parseWith(ReturnReceiptRequest, req.body, 'body');
    const principal = principalOf(req);
    const order = await loadOrder(temporal, principal, orderId);
    const known = (order.returns ?? []).find((r) => r.returnId === returnId);
    if (!known) throw problems.notFound(`Order ${orderId} has no return ${returnId}.`);
    if (!(await WarehouseModel.exists({ _id: warehouseId }))) {
      throw problems.unprocessable(`Warehouse ${warehouseId} does not exist.`, [{ path: 'warehouseId', message: `unknown warehouse "${warehouseId}"` }]);
    }
    const receipt = { warehouseId, lines, recordedBy: principal.label };
    const outcome = await updateWorkflow(temporal, returnWorkflowId(returnId), 'the return', returnReceiptUpdate, [receipt]);
    if (!outcome.accepted) {
      const why = outcome.ended ? `it has ended (${known.status})` : outcome.reason;
      throw problems.conflict(`Return ${returnId} cannot be received: ${why}.`);
    }
    res.status(202).json({ orderId, returnId, status: outcome.result?.status ?? 'received' });
  });

  return router;
}
