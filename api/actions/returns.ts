/**
 * Returns, as people ask for them: the owning channel or support opens one on a delivered order (its workflow
 * accepts or rejects it at once and starts the return's own workflow); the warehouse that received the goods
 * records what arrived, which restocks and refunds it. Called by the v1 API and the console alike.
 */
import type { Client } from '@temporalio/client';
import { returnWorkflowId } from '../../contracts/ids.js';
import { requestReturnUpdate, returnReceiptUpdate } from '../../contracts/messages.js';
import { warehouseExists } from '../../persistence/warehouses.js';
import { mayHandleWarehouse, type Principal, type Role } from '../auth.js';
import { loadOrder } from '../order-access.js';
import { problems } from '../problem.js';
import { OrderId, ReturnId } from '../schemas/common.js';
import { ReturnReceiptRequest, ReturnRequest } from '../schemas/orders.js';
import { changeOrder, sendUpdate, type ChangeRequest } from '../updates.js';
import { parseWith } from '../validation.js';

/** Who may open a return and record its receipt, in the API and in the console. */
export const RETURN_ROLES = {
  request: ['channel', 'support'],
  receipt: ['warehouse'],
} as const satisfies Record<string, readonly Role[]>;

export async function requestReturn(temporal: Client, request: ChangeRequest) {
  const { orderId, result } = await changeOrder(temporal, request, {
    body: ReturnRequest,
    update: requestReturnUpdate,
    arg: ({ lines, reason }, principal) => ({ lines, reason, requestedBy: principal.label }),
    // The workflow of a delivered order ends with its return window.
    refusal: (why, { orderId, order, ended }) =>
      `Order ${orderId} cannot take this return: ${ended && order.returnsAcceptedUntil ? `the return window closed at ${order.returnsAcceptedUntil}` : why}.`,
  });
  return { orderId, status: 'requested' as const, ...result };
}

export async function recordReturnReceipt(temporal: Client, principal: Principal, ids: { orderId: unknown; returnId: unknown }, rawBody: unknown) {
  const orderId = parseWith(OrderId, ids.orderId, 'path');
  const returnId = parseWith(ReturnId, ids.returnId, 'path');
  const { warehouseId, lines } = parseWith(ReturnReceiptRequest, rawBody, 'body');
  const order = await loadOrder(temporal, principal, orderId);
  const known = (order.returns ?? []).find((r) => r.returnId === returnId);
  if (!known) throw problems.notFound(`Order ${orderId} has no return ${returnId}.`);
  if (!mayHandleWarehouse(principal, warehouseId) || !(await warehouseExists(warehouseId))) {
    throw problems.unprocessable(`Warehouse ${warehouseId} does not exist.`, [{ path: 'warehouseId', message: `unknown warehouse "${warehouseId}"` }]);
  }
  const receipt = { warehouseId, lines, recordedBy: principal.label };
  const outcome = await sendUpdate(temporal, { workflowId: returnWorkflowId(returnId), subject: 'the return' }, returnReceiptUpdate, receipt);
  if (!outcome.accepted) {
    const why = outcome.ended ? `it has ended (${known.status})` : outcome.reason;
    throw problems.conflict(`Return ${returnId} cannot be received: ${why}.`);
  }
  return { orderId, returnId, status: outcome.result?.status ?? 'received' };
}
