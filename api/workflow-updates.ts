/**
 * Sending an Update to an order's workflow (or its return's) from an HTTP request: the validator's verdict comes back at once
 * (accepted, or rejected with its reason); the handler's result is awaited only briefly, so a request never
 * hangs on a slow step (the workflow finishes the work durably either way).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { orderWorkflowId } from '../domain/order.js';

export type UpdateOutcome<Result> =
  | { accepted: true; result: Result | undefined }
  | { accepted: false; reason: string; /** The workflow is no longer running. */ ended: boolean };

export function updateOrder<Result, Args extends [unknown]>(
  temporal: Client,
  orderId: string,
  update: UpdateDefinition<Result, Args>,
  args: Args,
  waitForResultMs = 5_000,
): Promise<UpdateOutcome<Result>> {
  return updateWorkflow(temporal, orderWorkflowId(orderId), 'the order', update, args, waitForResultMs);
}

/** `subject` names the workflow's business object in the reason when it has ended (`the order has ended`). */
export async function updateWorkflow<Result, Args extends [unknown]>(
  temporal: Client,
  workflowId: string,
  subject: string,
  update: UpdateDefinition<Result, Args>,
  args: Args,
  waitForResultMs = 5_000,
): Promise<UpdateOutcome<Result>> {
  try {
    const handle = await temporal.workflow.getHandle(workflowId).startUpdate(update, { args, waitForStage: 'ACCEPTED' });
    const result = await Promise.race([handle.result(), sleep(waitForResultMs, undefined, { ref: false })]);
    return { accepted: true, result };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      return { accepted: false, reason: error.cause?.message ?? error.message, ended: false };
    }
    if (error instanceof WorkflowNotFoundError) return { accepted: false, reason: `${subject} has ended`, ended: true };
    throw error;
  }
}
