/**
 * An order's events (its timeline entries) to its channel's webhook. Deliveries run in the background, one
 * after another: the channel receives the order's events in order, each retried until its webhook accepts
 * it, while the order goes on without waiting.
 */
import { CancellationScope, log } from '@temporalio/workflow';
import type { OrderState, TimelineEntry } from '../../domain/order.js';
import { orderEvent } from '../../domain/webhooks.js';
import { leanerOrderHistory, localDb, webhooks } from '../activity-steps.js';

export function deliverToChannelWebhook(state: OrderState, saveView: () => Promise<void>) {
  let deliveries: Promise<void> = Promise.resolve();
  let configured = true;
  let lookedUp = false;

  return {
    send(entry: TimelineEntry): void {
      const event = orderEvent(state, entry);
      deliveries = deliveries
        .then(() =>
          // Not cancelled with the workflow, so the order's `cancelled` event still goes out.
          CancellationScope.nonCancellable(async () => {
            // Before the first event, a local activity looks the webhook up: a channel without one costs the
            // order that lookup (orders from before it: one delivery that finds none), and then it sends no
            // more; a webhook configured later serves the orders received after it.
            if (!lookedUp && leanerOrderHistory()) configured = await localDb().channelHasWebhook({ channel: state.channel });
            lookedUp = true;
            if (!configured) return;
            const outcome = await webhooks.deliverOrderEvent(event);
            if (outcome.status === 'not_configured') {
              configured = false;
              return;
            }
            // Shown on the entry itself: a timeline entry of its own would be one more event to deliver.
            entry.webhook = { deliveredAt: outcome.deliveredAt, attempts: outcome.attempts };
            await saveView();
          }),
        )
        .catch((error) => {
          // Delivery retries without limit, so this is a bug; a rejected chain would stall the order's workflow.
          log.error('webhook delivery failed', { orderId: state.orderId, eventId: event.id, error: String(error) });
        });
    },

    /** Settles once every event sent so far was accepted. */
    allDelivered(): Promise<void> {
      return deliveries;
    },
  };
}
