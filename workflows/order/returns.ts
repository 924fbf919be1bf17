/**
 * Returns of a delivered order: for the policy's window the order takes return requests (the requestReturn
 * Update), each run by its own child workflow (workflows/return.ts, id `return-<orderId>-<n>`) that
 * reports the receipt by signal and how it ended by its result. The order ends once the window is over
 * and every return is settled.
 */
import { condition, sleep, startChild } from '@temporalio/workflow';
import { returnId as nthReturnId, returnWorkflowId, WorkflowType } from '../../contracts/ids.js';
import type { ReturnOpened, ReturnRequest } from '../../contracts/messages.js';
import { returnSearchAttributes } from '../../contracts/search-attributes.js';
import type { OrderReturn, ReturnReceipt } from '../../domain/order.js';
import { describeQuantities } from '../../domain/quantities.js';
import { describeSettledReturn, isSettled, linesToReturn, orderStatusWithReturns, paymentStatusAfterRefund, returnLinesProblem } from '../../domain/returns.js';
import { failureMessage } from '../activity-steps.js';
import type { returnWorkflow } from '../return.js';
import type { OrderRun } from './run.js';

/** Opens a return and starts its workflow. */
export async function requestReturn(order: OrderRun, request: ReturnRequest): Promise<ReturnOpened> {
  const { state } = order;
  const returnId = nthReturnId(state.orderId, state.returns.length + 1);
  const opened: OrderReturn = {
    returnId,
    lines: linesToReturn(state.lines, request.lines),
    reason: request.reason,
    requestedBy: request.requestedBy,
    status: 'requested',
    requestedAt: new Date().toISOString(),
    receiptDeadline: new Date(Date.now() + state.policy.returnReceiptTimeoutMs).toISOString(),
  };
  // Tracked before any await, so a concurrent request is validated against it.
  state.returns.push(opened);
  const { orderId, externalId, customer, lines, total } = state;
  const child = await startChild<typeof returnWorkflow>(WorkflowType.return, {
    workflowId: returnWorkflowId(returnId),
    staticSummary: `Return of ${describeQuantities(opened.lines)} for order ${externalId} from ${state.channel}`,
    typedSearchAttributes: returnSearchAttributes(state),
    args: [{ returnId, order: { orderId, externalId, customer, lines, total }, lines: opened.lines, receiptDeadline: opened.receiptDeadline }],
  });
  const settle = (outcome: Settlement) => settleReturn(order, outcome);
  void child.result().then(settle, (error) => settle({ returnId, status: 'failed', amount: 0, detail: failureMessage(error) }));
  await order.record(
    'return_requested',
    `Return ${returnId} of ${describeQuantities(opened.lines)} requested by ${request.requestedBy}: ${request.reason}; to arrive by ${opened.receiptDeadline}`,
    orderStatusWithReturns(state.shipments, state.returns),
  );
  return { returnId, status: opened.status, receiptDeadline: opened.receiptDeadline, orderStatus: state.status };
}

/** Only within the window, only for units of the order's lines that were delivered and are not on another return. */
export function validateReturnRequest(order: OrderRun, request: ReturnRequest): void {
  const { state } = order;
  if (!state.returnsAcceptedUntil) {
    throw new Error(state.policy.returnWindowMs > 0 ? `only a delivered order takes returns (this one is ${state.status})` : 'this order takes no returns');
  }
  if (Date.now() >= Date.parse(state.returnsAcceptedUntil)) throw new Error(`the return window closed at ${state.returnsAcceptedUntil}`);
  const problem = returnLinesProblem(state.lines, state.shipments, state.returns, request.lines);
  if (problem) throw new Error(problem);
}

/** The returnReceived signal from a return's workflow: the goods arrived and are back in stock. */
export async function receiveReturn(order: OrderRun, { returnId, receipt }: { returnId: string; receipt: ReturnReceipt }): Promise<void> {
  const { state } = order;
  const received = state.returns.find((r) => r.returnId === returnId && r.status === 'requested');
  if (!received) return; // a repeated signal
  received.status = 'received';
  received.receipt = receipt;
  await order.record(
    'return_received',
    `Return ${returnId} received at ${receipt.warehouseId}: ${describeQuantities(receipt.lines)}, back in stock`,
    orderStatusWithReturns(state.shipments, state.returns),
  );
}

/**
 * Opens the policy's return window, if it has one, with its timeline entry: saved with the view save that
 * the caller makes next (the delivery's own, or acceptReturns').
 */
export function openReturnWindow(order: OrderRun): void {
  const { state } = order;
  if (state.policy.returnWindowMs <= 0) return; // no returns: the order ends at delivery
  state.returnsAcceptedUntil = new Date(Date.now() + state.policy.returnWindowMs).toISOString();
  order.note('returns_open', `Returns accepted until ${state.returnsAcceptedUntil}`);
}

/** Takes returns for the policy's window after delivery, then waits until every return is settled. */
export async function acceptReturns(order: OrderRun): Promise<void> {
  const { state } = order;
  if (state.policy.returnWindowMs <= 0) return;
  // Opened already by the shipment event that delivered the order, unless that ran on code from before.
  if (!state.returnsAcceptedUntil) {
    openReturnWindow(order);
    await order.saveView();
  }
  await sleep(state.policy.returnWindowMs);
  await condition(() => state.returns.every(isSettled));
  await order.record('returns_closed', `The return window closed at ${state.returnsAcceptedUntil}; every return is settled`);
}

type Settlement = Pick<OrderReturn, 'returnId' | 'status' | 'amount' | 'detail'>;

/** A return's workflow ended: its refund counts on the payment, and the order's status follows its returns. */
function settleReturn(order: OrderRun, outcome: Settlement): Promise<void> {
  const { state } = order;
  const settled = Object.assign(state.returns.find((r) => r.returnId === outcome.returnId)!, outcome, { settledAt: new Date().toISOString() });
  if (settled.amount) {
    state.payment.refunded += settled.amount;
    state.payment.status = paymentStatusAfterRefund(state.payment.refunded, state.payment.captured);
  }
  return order.record(`return_${settled.status}`, describeSettledReturn(settled, state.total.currency), orderStatusWithReturns(state.shipments, state.returns));
}
