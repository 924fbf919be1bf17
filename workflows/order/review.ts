/**
 * Review holds: an order the payment provider flags, or above the review amount, waits before any stock is
 * reserved until support approves or rejects it (the reviewOrder Update), and is rejected at the deadline.
 * The decision waits in this file's state until the hold takes it.
 */
import { condition } from '@temporalio/workflow';
import type { ReviewDecision } from '../../contracts/messages.js';
import { formatMoney } from '../../domain/money.js';
import { CancelRequested, stepState, type OrderRun } from './run.js';

const reviewOf = stepState(() => ({
  /** Support's decision, handed from the reviewOrder Update to the waiting hold. */
  decision: undefined as ReviewDecision | undefined,
}));

/** Why the order must be held for review, or undefined. */
export function reviewReason(order: OrderRun, authorization: { reviewRequested: boolean }): string | undefined {
  const { total, policy } = order.state;
  if (authorization.reviewRequested) return 'the payment provider asked for a review';
  if (total.amount > policy.reviewAboveAmount) return `the total is above ${formatMoney({ amount: policy.reviewAboveAmount, currency: total.currency })}`;
  return undefined;
}

/** Holds the order until support decides, or rejects it at the deadline; a rejection cancels the order. */
export async function holdForReview(order: OrderRun, reason: string): Promise<void> {
  const { state } = order;
  const deadline = new Date(Date.now() + state.policy.reviewTimeoutMs).toISOString();
  state.review = { reason, deadline };
  await order.record('awaiting_review', `Held for review: ${reason}; to be decided by ${deadline}`, 'awaiting_review');
  const decided = await condition(() => reviewOf(order).decision !== undefined || order.cancelRequest !== undefined, state.policy.reviewTimeoutMs);
  order.checkNotCancelled();
  const { decision, note, reviewer } = decided
    ? reviewOf(order).decision!
    : { decision: 'reject' as const, note: 'no decision by the deadline', reviewer: 'the review deadline' };
  state.review = { ...state.review, decision, note, reviewer };
  if (decision === 'reject') {
    order.cancelRequest = { reason: `rejected in review${note ? `: ${note}` : ''}`, requestedBy: reviewer };
    throw new CancelRequested();
  }
  await order.record('review_approved', `Approved in review by ${reviewer}${note ? `: ${note}` : ''}`, 'received');
}

/** The reviewOrder Update: hands the decision to the waiting hold and answers once the order moved on. */
export async function decideReview(order: OrderRun, decision: ReviewDecision): Promise<{ status: typeof order.state.status }> {
  reviewOf(order).decision = decision;
  await condition(() => order.state.status !== 'awaiting_review');
  return { status: order.state.status };
}

export function validateReviewDecision(order: OrderRun): void {
  if (order.state.status !== 'awaiting_review' || reviewOf(order).decision) {
    throw new Error(`the order is not awaiting review (${order.state.status})`);
  }
}
