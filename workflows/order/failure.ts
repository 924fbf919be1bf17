/**
 * How an order ends when it does not end delivered: a cancel (by a caller, a rejected review, the backorder
 * deadline, or an engineer cancelling the workflow) or an unexpected failure unwinds what was done, newest
 * first; a declined card has nothing to unwind.
 */
import { isCancellation } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures.js';
import { failureMessage, failureTypeOf } from '../activity-steps.js';
import { CancelRequested, type OrderRun } from './run.js';

/** Records how the order ended and tells the customer; returns an unexpected error for the workflow to fail with. */
export async function handleFailure(order: OrderRun, error: unknown): Promise<unknown> {
  const { state } = order;
  if (error instanceof CancelRequested || isCancellation(error)) {
    await order.compensate();
    const reason = order.cancelRequest?.reason ?? 'workflow cancelled';
    await order.record('cancelled', `Order cancelled by ${order.cancelRequest?.requestedBy ?? 'an engineer'}: ${reason}`, 'cancelled');
    await order.notify(state.review?.decision === 'reject' ? 'review_rejected' : 'order_cancelled', { detail: reason });
    return;
  }
  if (failureTypeOf(error) === FailureType.PaymentDeclined) {
    state.payment.status = 'declined';
    await order.record('payment_declined', `Payment declined: ${failureMessage(error)}`, 'payment_declined');
    await order.notify('payment_declined', { detail: failureMessage(error) });
    return;
  }
  await order.compensate();
  // Anything else is unexpected: unwind and show it on the order.
  await order.record('failed', `Order failed: ${failureMessage(error)}`, 'failed');
  await order.notify('order_failed');
  return error;
}
