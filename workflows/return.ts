/**
 * One workflow per return, id `return-<orderId>-<n>`, started by its order's workflow as a child. It waits
 * for the warehouse to record what arrived (an Update, checked against what the customer announced), puts
 * those units back in stock, refunds their value and emails the customer. When nothing has arrived by the
 * receipt deadline the return expires: nothing is restocked or refunded, and the customer is told.
 * The order hears of the receipt by signal, and of the end by this workflow's result.
 */
import { ActivityFailure, condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { orderWorkflowId } from '../contracts/ids.js';
import { returnReceiptUpdate, returnReceivedSignal } from '../contracts/messages.js';
import type { Money } from '../domain/money.js';
import type { NotificationEvent } from '../domain/notifications.js';
import type { OrderState, ReturnLine, ReturnReceipt, ReturnStatus } from '../domain/order.js';
import { describeQuantities } from '../domain/quantities.js';
import { receiptLinesProblem, refundForReceipt } from '../domain/returns.js';
import { sumQuantities } from '../domain/routing.js';
import { db, external, failureMessage, payments } from './activity-steps.js';
import { setVersioningBehavior } from './versioning.js';

export interface ReturnInput {
  returnId: string;
  order: Pick<OrderState, 'orderId' | 'externalId' | 'customer' | 'lines' | 'total'>;
  /** What the customer announced they send back, per order line: received units are refunded at their line's price. */
  lines: ReturnLine[];
  /** When the return expires if nothing has arrived (ISO 8601). */
  receiptDeadline: string;
}

export interface ReturnOutcome {
  returnId: string;
  status: Extract<ReturnStatus, 'refunded' | 'refund_failed' | 'expired'>;
  /** Minor units refunded. */
  amount: number;
  detail?: string;
}

// Waits up to the receipt deadline (14 days): it ends on the build it started on, like its order.
setVersioningBehavior('PINNED', returnWorkflow);

export async function returnWorkflow(input: ReturnInput): Promise<ReturnOutcome> {
  const { returnId, order } = input;
  let receipt: ReturnReceipt | undefined;
  let expired = false;

  setHandler(
    returnReceiptUpdate,
    (request) => {
      receipt = { ...request, lines: sumQuantities(request.lines), receivedAt: new Date().toISOString() };
      return { returnId, status: 'received' };
    },
    {
      validator: (request) => {
        if (receipt) throw new Error(`return ${returnId} was already received`);
        if (expired) throw new Error(`return ${returnId} expired at ${input.receiptDeadline}`);
        const problem = receiptLinesProblem(input.lines, request.lines);
        if (problem) throw new Error(problem);
      },
    },
  );

  function notify(event: NotificationEvent, detail: string, refund?: Money) {
    return external.notifyCustomer({
      orderId: order.orderId,
      event,
      subjectId: returnId,
      recipient: { email: order.customer.email, name: order.customer.name },
      externalId: order.externalId,
      total: order.total,
      detail,
      refund,
    });
  }

  const arrived = await condition(() => receipt !== undefined, Math.max(1, Date.parse(input.receiptDeadline) - Date.now()));
  if (!arrived) {
    expired = true;
    await notify('return_expired', describeQuantities(input.lines));
    return { returnId, status: 'expired', amount: 0 };
  }

  const received = receipt!;
  await db.restockReturn({ orderId: order.orderId, returnId, warehouseId: received.warehouseId, lines: received.lines });
  await getExternalWorkflowHandle(orderWorkflowId(order.orderId)).signal(returnReceivedSignal, { returnId, receipt: received });

  const value: Money = { amount: refundForReceipt(order.lines, input.lines, received.lines), currency: order.total.currency };
  let refunded = 0;
  try {
    if (value.amount > 0) refunded = (await payments.refundPayment({ orderId: order.orderId, returnId, amount: value })).refunded;
  } catch (error) {
    // Refused (an unreachable provider is retried until it answers): the goods are back in stock; support settles the money.
    if (!(error instanceof ActivityFailure)) throw error;
    return { returnId, status: 'refund_failed', amount: 0, detail: failureMessage(error) };
  }
  await notify('order_refunded', describeQuantities(received.lines), { amount: refunded, currency: order.total.currency });
  return { returnId, status: 'refunded', amount: refunded };
}
