/**
 * Order intake: validate against known SKUs, then start the order's workflow exactly once.
 * `(channel, externalId)` is the idempotency key: the order id is derived from it (contracts/ids.ts), so
 * the workflow id (`order-<orderId>`) is too, and Temporal refuses a second workflow with that id. A
 * repeated request with the same body gets the same order back (200); the same externalId with another
 * body is a conflict (409).
 */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { orderIdFor, orderWorkflowId, WorkflowType } from '../../contracts/ids.js';
import { orderSearchAttributes, OrderStatusKey } from '../../contracts/search-attributes.js';
import { formatMoney, orderTotal } from '../../domain/money.js';
import { receivedOrder, type OrderInput, type OrderPolicySettings, type OrderStatus } from '../../domain/order.js';
import { describeQuantities } from '../../domain/quantities.js';
import { stockedSkus } from '../../persistence/inventory.js';
import { markAwaitingEngine } from '../../persistence/engine-intake.js';
import { findOrderRequest, storeReceivedOrder } from '../../persistence/orders.js';
import type { orderWorkflow } from '../../workflows/order/workflow.js';
import type { Principal } from '../auth.js';
import { problems } from '../problem.js';
import type { CreateOrderRequest } from '../schemas/orders.js';

export type IntakeResult = { created: boolean; orderId: string; status: OrderStatus };

/** The parsed body's JSON: zod rebuilds objects in schema order, so equal requests hash equally. */
function requestHashOf(request: CreateOrderRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

export interface IntakeSettings {
  taskQueue: string;
  orderPolicy: OrderPolicySettings;
}

/** The HTTP request an order came in with: its id (recorded on the workflow) and its log. */
export interface IntakeContext {
  requestId: string;
  log: Pick<Logger, 'warn'>;
}

/** Takes a channel's order: its workflow starts once per `(channel, externalId)`. */
export async function submitOrder(
  temporal: Client,
  settings: IntakeSettings,
  caller: Principal,
  request: CreateOrderRequest,
  context: IntakeContext,
): Promise<IntakeResult> {
  const channel = caller.channel!;
  await rejectUnknownSkus(request);
  const orderId = orderIdFor(channel, request.externalId);
  const requestHash = requestHashOf(request);

  const stored = await findOrderRequest(orderId);
  if (stored) return sameRequestOrConflict(stored.requestHash === requestHash, orderId, stored.status);

  const input: OrderInput = {
    orderId,
    externalId: request.externalId,
    channel,
    customer: request.customer,
    shippingAddress: request.shippingAddress,
    lines: request.lines.map((line, index) => ({ lineId: `L${index + 1}`, ...line })),
    total: orderTotal(request.lines, request.currency),
    paymentToken: request.payment.token,
    policy: { ...settings.orderPolicy, allowPartialShipment: request.allowPartialShipment ?? false },
    requestHash,
    receivedAt: new Date().toISOString(),
  };
  try {
    await temporal.workflow.start<typeof orderWorkflow>(WorkflowType.order, {
      taskQueue: settings.taskQueue,
      workflowId: orderWorkflowId(orderId),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // requestId: the API's log lines of the request that started it carry the same id.
      memo: { requestHash, requestId: context.requestId },
      // What an engineer sees next to the workflow id in the Temporal UI's list.
      staticSummary: `Order ${request.externalId} from ${channel}: ${describeLines(input.lines)}, ${formatMoney(input.total)}`,
      typedSearchAttributes: orderSearchAttributes({ ...input, status: 'received' }),
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    // A concurrent or retried request started it first (the read model may not have it yet).
    const description = await temporal.workflow.getHandle(orderWorkflowId(orderId)).describe();
    const status = (description.typedSearchAttributes.get(OrderStatusKey) ?? 'received') as OrderStatus;
    return sameRequestOrConflict(description.memo?.requestHash === requestHash, orderId, status);
  }
  await Promise.all([storeAsReceived(input, context), markAsAwaitingEngine(input, context)]);
  return { created: true, orderId, status: 'received' };
}

/**
 * The order as received in the read model, so a lookup right after the 202 reads it there rather than asking
 * the workflow, which under load answers only after its first task (1.5 s at the benchmark's p50). Only after
 * the start: a view without a workflow would make a retried request look accepted. The order is accepted
 * either way, so a failed write is only logged; the workflow stores the view itself moments later.
 */
async function storeAsReceived(input: OrderInput, { log }: IntakeContext): Promise<void> {
  try {
    await storeReceivedOrder(receivedOrder(input));
  } catch (error) {
    log.warn({ err: error, orderId: input.orderId }, 'order accepted, but its view was not stored at intake (the workflow will)');
  }
}

/**
 * Admission control's measure of how far behind the engine is (persistence/engine-intake.ts). After the
 * start, so that every mark has a workflow whose first save removes it (one that came first is removed
 * when read). The order is accepted either way: a failed mark only leaves it unmeasured.
 */
async function markAsAwaitingEngine(input: OrderInput, { log }: IntakeContext): Promise<void> {
  try {
    await markAwaitingEngine(input.orderId, input.receivedAt);
  } catch (error) {
    log.warn({ err: error, orderId: input.orderId }, 'order accepted, but not marked as awaiting the engine (admission control does not see it wait)');
  }
}

function describeLines(lines: OrderInput['lines']): string {
  const shown = describeQuantities(lines.slice(0, 3));
  return lines.length > 3 ? `${shown} and ${lines.length - 3} more lines` : shown;
}

function sameRequestOrConflict(same: boolean, orderId: string, status: OrderStatus): IntakeResult {
  if (!same) {
    throw problems.conflict(`externalId was already used for order ${orderId} with a different request body.`);
  }
  return { created: false, orderId, status };
}

async function rejectUnknownSkus(request: CreateOrderRequest): Promise<void> {
  const skus = request.lines.map((line) => line.sku);
  const known = await stockedSkus(skus);
  const errors = request.lines.flatMap((line, index) =>
    known.has(line.sku) ? [] : [{ path: `lines.${index}.sku`, message: `unknown SKU "${line.sku}"` }],
  );
  if (errors.length > 0) throw problems.unprocessable('The order names SKUs that no warehouse stocks.', errors);
}
