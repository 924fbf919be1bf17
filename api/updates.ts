/**
 * Updates from HTTP requests. The workflow's validator answers at once (accepted, or rejected with its
 * reason); the handler's result is awaited only briefly, so a request never hangs on a slow step (the
 * workflow finishes the work durably either way).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { orderWorkflowId } from '../contracts/ids.js';
import type { OrderState } from '../domain/order.js';
import type { Principal } from './auth.js';
import { loadOrder } from './order-access.js';
import { problems } from './problem.js';

export type UpdateOutcome<Result> =
  | { accepted: true; result: Result | undefined }
  | { accepted: false; reason: string; /** The workflow is no longer running. */ ended: boolean };

/** Sends the Update; `subject` names the workflow's business object in the reason when it has ended (`the order has ended`). */
export async function sendUpdate<Result, Arg>(
  temporal: Client,
  target: { workflowId: string; subject: string },
  update: UpdateDefinition<Result, [Arg]>,
  arg: Arg,
  waitForResultMs = 5_000,
): Promise<UpdateOutcome<Result>> {
  try {
    const handle = await temporal.workflow.getHandle(target.workflowId).startUpdate(update, { args: [arg], waitForStage: 'ACCEPTED' });
    const result = await Promise.race([handle.result(), sleep(waitForResultMs, undefined, { ref: false })]);
    return { accepted: true, result };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      return { accepted: false, reason: error.cause?.message ?? error.message, ended: false };
    }
    if (error instanceof WorkflowNotFoundError) return { accepted: false, reason: `${target.subject} has ended`, ended: true };
    throw error;
  }
}

export function orderTarget(orderId: string) {
  return { workflowId: orderWorkflowId(orderId), subject: 'the order' };
}

/**
 * A change to a running order on behalf of the caller: the order as the caller may see it (404 otherwise),
 * an optional check of it, then the Update; a refusal becomes a 409 whose detail `refusal` words.
 */
export async function changeOrder<Result, Arg>(
  temporal: Client,
  principal: Principal,
  orderId: string,
  change: {
    update: UpdateDefinition<Result, [Arg]>;
    arg: Arg;
    refusal: (reason: string, context: { order: OrderState; ended: boolean }) => string;
    check?: (order: OrderState) => void;
  },
): Promise<{ order: OrderState; result: Result | undefined }> {
  const order = await loadOrder(temporal, principal, orderId);
  change.check?.(order);
  const outcome = await sendUpdate(temporal, orderTarget(orderId), change.update, change.arg, 10_000);
  if (!outcome.accepted) throw problems.conflict(change.refusal(outcome.reason, { order, ended: outcome.ended }));
  return { order, result: outcome.result };
}
