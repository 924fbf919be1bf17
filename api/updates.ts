/**
 * Updates from HTTP requests. The workflow's validator answers at once (accepted, or rejected with its
 * reason); the handler's result is awaited only briefly, so a request never hangs on a slow step (the
 * workflow finishes the work durably either way).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import { orderWorkflowId } from '../contracts/ids.js';
import type { OrderState } from '../domain/order.js';
import type { Request } from 'express';
import { principalOf, type Principal } from './auth.js';
import { loadOrder } from './order-access.js';
import { problems } from './problem.js';
import { OrderId } from './schemas/common.js';
import { parseWith } from './validation.js';

export type UpdateOutcome<Result> =
  | { accepted: true; result: Result | undefined }
  | { accepted: false; reason: string; /** The workflow is no longer running. */ ended: boolean };

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
      return { accepted: false, reason: error.cause?.message ?? error.message, ended: false };
    }
    if (error instanceof WorkflowNotFoundError) return { accepted: false, reason: `${target.subject} has ended`, ended: true };
    throw error;
  }
}

export function orderTarget(orderId: string) {
  return { workflowId: orderWorkflowId(orderId), subject: 'the order' };
}

/** Who asks for a change of which order, with the body as it arrived (not yet parsed). */
export interface ChangeRequest {
  principal: Principal;
  orderId: unknown;
  body: unknown;
}

/** The change an HTTP request to /v1/orders/{orderId}/... asks for. */
export function changeRequestOf(req: Request): ChangeRequest {
  return { principal: principalOf(req), orderId: req.params.orderId, body: req.body };
}

/**
 * A change of an order by Update, as the v1 API and the console ask for it: parses the order id and the body,
 * loads the order as the caller may see it (404 otherwise), runs an optional check of it, sends the Update,
 * and turns a refusal into a 409 whose detail `refusal` words.
 */
export async function changeOrder<Body extends z.ZodType, Result, Arg>(
  temporal: Client,
  request: ChangeRequest,
  change: {
    body: Body;
    update: UpdateDefinition<Result, [Arg]>;
    arg: (body: z.output<Body>, principal: Principal) => Arg;
    refusal: (reason: string, context: { orderId: string; body: z.output<Body>; order: OrderState; ended: boolean }) => string;
    check?: (order: OrderState) => void;
  },
): Promise<{ orderId: string; order: OrderState; result: Result | undefined }> {
  const orderId = parseWith(OrderId, request.orderId, 'path');
  const body = parseWith(change.body, request.body, 'body');
  const order = await loadOrder(temporal, request.principal, orderId);
  change.check?.(order);
  const outcome = await sendUpdate(temporal, orderTarget(orderId), change.update, change.arg(body, request.principal), 10_000);
  if (!outcome.accepted) throw problems.conflict(change.refusal(outcome.reason, { orderId, body, order, ended: outcome.ended }));
  return { orderId, order, result: outcome.result };
}
