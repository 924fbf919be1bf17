/**
 * The worker's business counters, on the Temporal SDK's meter: the worker serves them at
 * WORKER_METRICS_ADDRESS beside the SDK's own metrics, each tagged with the activity type and task queue.
 * An email counts once, by the attempt that sent it; a reservation retried after a crash counts again.
 */
import { Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';

/** The running activity's meter; none when an activity function is called directly (as some tests do). */
function meter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined;
  }
}

/** Stock reserved for an order, or found gone to another order meanwhile (`short`: the order routes again). */
export function countReservations(outcome: 'reserved' | 'short', allocations: number): void {
  if (allocations > 0) meter()?.createCounter('oms_stock_reservations', 'allocations', 'Stock reservations of orders by outcome').add(allocations, { outcome });
}

/** An email sent, refused for good by the mail server, or failed for now (retried). */
export function countEmail(outcome: 'sent' | 'rejected' | 'failed'): void {
  meter()?.createCounter('oms_emails', 'emails', 'Customer and operations emails by outcome').add(1, { outcome });
}

/** A channel webhook accepted by its endpoint, failed for now, or not sent to an address not allowed (both retried). */
export function countWebhookDelivery(outcome: 'delivered' | 'failed' | 'refused'): void {
  meter()?.createCounter('oms_webhook_deliveries', 'deliveries', 'Channel webhook deliveries by outcome').add(1, { outcome });
}
