/**
 * Returns, as people ask for them: the owning channel or support opens one on a delivered order (its workflow
 * accepts or rejects it at once and starts the return's own workflow); the warehouse that received the goods
 * records what arrived, which restocks and refunds it. Called by the v1 API and the console alike.
 */
import type { Client } from '@temporalio/client';
import { returnWorkflowId } from '../../contracts/ids.js';
import { requestReturnUpdate, returnReceiptUpdate } from '../../contracts/messages.js';
import { warehouseExists } from '../../persistence/warehouses.js';
import { mayHandleWarehouse, type Principal } from '../auth.js';
import { problems } from '../problem.js';
import type { ReturnReceiptRequest, ReturnRequest } from '../schemas/orders.js';
import { loadOrder } from './orders.js';
import { changeOrder, sendUpdate } from './updates.js';

export async function requestReturn(temporal: Client, caller: Principal, orderId: string, { lines, reason }: ReturnRequest) {
  const { result } = await changeOrder(temporal, caller, orderId, {
    update: requestReturnUpdate,
    arg: { lines, reason, requestedBy: caller.label },
    // The workflow of a delivered order ends with its return window.
    refusal: (why, { order, ended }) =>
      `Order ${orderId} cannot take this return: ${ended && order.returnsAcceptedUntil ? `the return window closed at ${order.returnsAcceptedUntil}` : why}.`,
  });
  return { orderId, status: 'requested' as const, ...result };
}

export async function recordReturnReceipt(
  temporal: Client,
  caller: Principal,
  { orderId, returnId }: { orderId: string; returnId: string },
  { warehouseId, lines }: ReturnReceiptRequest,
) {
  const order = await loadOrder(temporal, caller, orderId);
  const known = (order.returns ?? []).find((r) => r.returnId === returnId);
  if (!known) throw problems.notFound(`Order ${orderId} has no return ${returnId}.`);
  if (!mayHandleWarehouse(caller, warehouseId) || !(await warehouseExists(warehouseId))) {
    throw problems.unprocessable(`Warehouse ${warehouseId} does not exist.`, [{ path: 'warehouseId', message: `unknown warehouse "${warehouseId}"` }]);
  }
  const receipt = { warehouseId, lines, recordedBy: caller.label };
  const outcome = await sendUpdate(temporal, { workflowId: returnWorkflowId(returnId), subject: 'the return' }, returnReceiptUpdate, receipt);
  if (!outcome.accepted) {
    const why = outcome.ended ? `it has ended (${known.status})` : outcome.reason;
    throw problems.conflict(`Return ${returnId} cannot be received: ${why}.`);
  }
  return { orderId, returnId, status: outcome.result?.status ?? 'received' };
}
