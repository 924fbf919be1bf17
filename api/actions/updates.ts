/**
 * Updates from HTTP requests. The workflow's validator answers at once (accepted, or rejected with its
 * reason); the handler's result is awaited only briefly, so a request never hangs on a slow step (the
 * workflow finishes the work durably either way).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { orderWorkflowId } from '../../contracts/ids.js';
import type { OrderState } from '../../domain/order.js';
import type { Principal } from '../auth.js';
import { problems } from '../problem.js';
import { loadOrder } from './orders.js';

export type UpdateOutcome<Result> =
  | { accepted: true; result: Result | undefined }
  | {
      accepted: false;
      reason: string;
      /** The workflow is no longer running. */
      ended: boolean;
      /** The refusal's business type (domain/failures.ts), when the workflow gave one. */
      failureType?: string;
    };

/**
 * Sends the Update and answers once the workflow has accepted it (its validator passed, and the acceptance
 * is in the workflow's history), waiting at most `waitForResultMs` more for the handler's result.
 * `subject` names the workflow's business object in the reason when it has ended.
 */
export async function sendUpdate<Result, Arg>(
  temporal: Client,
  target: { workflowId: string; subject: string },
  update: UpdateDefinition<Result, [Arg]>,
  arg: Arg,
  waitForResultMs = 5_000,
): Promise<UpdateOutcome<Result>> {
  try {
    const handle = await temporal.workflow.getHandle(target.workflowId).startUpdate(update, { args: [arg], waitForStage: 'ACCEPTED' });
    // A rejection comes back with the acceptance stage, so even with no time to wait its result is known.
    const result = await Promise.race([handle.result(), sleep(waitForResultMs, undefined, { ref: false })]);
    return { accepted: true, result };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const failureType = error.cause instanceof ApplicationFailure ? (error.cause.type ?? undefined) : undefined;
      return { accepted: false, reason: error.cause?.message ?? error.message, ended: false, failureType };
    }
    if (error instanceof WorkflowNotFoundError) return { accepted: false, reason: `${target.subject} has ended`, ended: true };
    throw error;
  }
}

export function orderTarget(orderId: string) {
  return { workflowId: orderWorkflowId(orderId), subject: 'the order' };
}

/**
 * A change of an order by Update, as the v1 API and the console ask for it: loads the order as the caller
 * may see it (404 otherwise), runs an optional check of it, sends the Update, and turns a refusal into a
 * 409 whose detail `refusal` words.
 */
export async function changeOrder<Result, Arg>(
  temporal: Client,
  caller: Principal,
  orderId: string,
  change: {
    update: UpdateDefinition<Result, [Arg]>;
    arg: Arg;
    refusal: (reason: string, context: { order: OrderState; ended: boolean }) => string;
    check?: (order: OrderState) => void;
  },
): Promise<{ order: OrderState; result: Result | undefined }> {
  const order = await loadOrder(temporal, caller, orderId);
  change.check?.(order);
  const outcome = await sendUpdate(temporal, orderTarget(orderId), change.update, change.arg, 10_000);
  if (!outcome.accepted) throw problems.conflict(change.refusal(outcome.reason, { order, ended: outcome.ended }));
  return { order, result: outcome.result };
}
