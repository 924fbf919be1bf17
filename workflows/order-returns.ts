/**
 * Returns of a delivered order: for the policy's window the order takes return requests (an Update with a
 * validator), each run by its own child workflow (workflows/return.ts, id `return-<orderId>-<n>`) that
 * reports the receipt by signal and how it ended by its result. The order ends once the window is over
 * and every return is settled.
 */
import { condition, setHandler, sleep, startChild } from '@temporalio/workflow';
import { describeQuantities, type OrderReturn, type OrderState, type OrderStatus } from '../domain/order.js';
import { describeSettledReturn, isSettled, linesToReturn, orderStatusWithReturns, paymentStatusAfterRefund, returnLinesProblem } from '../domain/returns.js';
import { failureMessage } from './activity-steps.js';
import type { returnWorkflow } from './return.js';
import { returnWorkflowId } from '../contracts/ids.js';
import { requestReturnUpdate, returnReceivedSignal } from '../contracts/messages.js';
import { returnSearchAttributes } from '../contracts/search-attributes.js';

type RecordEvent = (type: string, message: string, status?: OrderStatus) => Promise<void>;

/** Registers the order's return handlers; the main flow calls `acceptReturns` once the order is delivered. */
export function handleReturns(state: OrderState, record: RecordEvent) {
  setHandler(
    requestReturnUpdate,
    async (request) => {
      const returnId = `${state.orderId}-${state.returns.length + 1}`;
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
      const child = await startChild<typeof returnWorkflow>('returnWorkflow', {
        workflowId: returnWorkflowId(returnId),
        staticSummary: `Return of ${describeQuantities(opened.lines)} for order ${externalId} from ${state.channel}`,
        typedSearchAttributes: returnSearchAttributes(state),
        args: [
          { returnId, order: { orderId, externalId, customer, lines, total }, lines: opened.lines, receiptDeadline: opened.receiptDeadline },
        ],
      });
      void child.result().then(settleReturn, (error) => settleReturn({ returnId, status: 'failed', amount: 0, detail: failureMessage(error) }));
      await record(
        'return_requested',
        `Return ${returnId} of ${describeQuantities(opened.lines)} requested by ${request.requestedBy}: ${request.reason}; to arrive by ${opened.receiptDeadline}`,
        orderStatusWithReturns(state.shipments, state.returns),
      );
      return { returnId, status: opened.status, receiptDeadline: opened.receiptDeadline, orderStatus: state.status };
    },
    {
      validator: (request) => {
        if (!state.returnsAcceptedUntil) {
          throw new Error(state.policy.returnWindowMs > 0 ? `only a delivered order takes returns (this one is ${state.status})` : 'this order takes no returns');
        }
        if (Date.now() >= Date.parse(state.returnsAcceptedUntil)) throw new Error(`the return window closed at ${state.returnsAcceptedUntil}`);
        const problem = returnLinesProblem(state.lines, state.shipments, state.returns, request.lines);
        if (problem) throw new Error(problem);
      },
    },
  );

  setHandler(returnReceivedSignal, ({ returnId, receipt }) => {
    const received = state.returns.find((r) => r.returnId === returnId && r.status === 'requested');
    if (!received) return; // a repeated signal
    received.status = 'received';
    received.receipt = receipt;
    void record(
      'return_received',
      `Return ${returnId} received at ${receipt.warehouseId}: ${describeQuantities(receipt.lines)}, back in stock`,
      orderStatusWithReturns(state.shipments, state.returns),
    );
  });

  /** Takes returns for the policy's window after delivery, then waits until every return is settled. */
  async function acceptReturns(): Promise<void> {
    if (state.policy.returnWindowMs <= 0) return; // no returns: the order ends at delivery
    state.returnsAcceptedUntil = new Date(Date.now() + state.policy.returnWindowMs).toISOString();
    await record('returns_open', `Returns accepted until ${state.returnsAcceptedUntil}`);
    await sleep(state.policy.returnWindowMs);
    await condition(() => state.returns.every(isSettled));
    await record('returns_closed', `The return window closed at ${state.returnsAcceptedUntil}; every return is settled`);
  }

  /** A return's workflow ended: its refund counts on the payment, and the order's status follows its returns. */
  function settleReturn(outcome: Pick<OrderReturn, 'returnId' | 'status' | 'amount' | 'detail'>): Promise<void> {
    const settled = Object.assign(state.returns.find((r) => r.returnId === outcome.returnId)!, outcome, { settledAt: new Date().toISOString() });
    if (settled.amount) {
      state.payment.refunded += settled.amount;
      state.payment.status = paymentStatusAfterRefund(state.payment.refunded, state.payment.captured);
    }
    return record(`return_${settled.status}`, describeSettledReturn(settled, state.total.currency), orderStatusWithReturns(state.shipments, state.returns));
  }

  return { acceptReturns };
}
