/**
 * The workflow bundle of "build B" in test/workflows/worker-versioning.test.ts: the real workflows, except
 * that orderWorkflow first waits on a 1 ms timer. A change no open order's history allows: replayed on this
 * code, an order that build A started meets a timer where its history has its first step, and fails with
 * nondeterminism. Only Worker Versioning keeps those orders away from build B.
 */
import { sleep } from '@temporalio/workflow';
import type { OrderInput } from '../../domain/order.js';
import { orderWorkflow as orderWorkflowOfBuildA } from '../../workflows/order/workflow.js';

export { restockDispatcherWorkflow } from '../../workflows/restock.js';
export { returnWorkflow } from '../../workflows/return.js';

// Pinned like the real one: by the versioned worker's default (worker/create-worker.ts).
export async function orderWorkflow(input: OrderInput) {
  await sleep(1);
  return orderWorkflowOfBuildA(input);
}
