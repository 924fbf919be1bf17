/**
 * Channel webhooks: each timeline entry of an order is an event its channel's webhook receives. Plain data,
 * so the workflow builds the event (deterministically) and the delivery activity sends exactly that.
 * Signing is in webhook-signature.ts.
 */
import type { OrderState, TimelineEntry } from './order.js';
import type { OrderEvent } from './schemas.js';

export type { OrderEvent };

/** What one delivery attempt of an event to its channel's webhook came to. */
export type WebhookDeliveryOutcome =
  | { status: 'not_configured' }
  /** Accepted now, or by an earlier run for the same event (then nothing was sent again). */
  | { status: 'delivered'; deliveredAt: string; attempts: number };

/** The timeline entry's id: `<orderId>-<n>` for the order's n-th event. */
export function timelineEntryId(orderId: string, sequence: number): string {
  return `${orderId}-${sequence}`;
}

/** The webhook body for a timeline entry of the order, with the order's status as it is right after it. */
export function orderEvent(order: OrderState, entry: TimelineEntry): OrderEvent {
  return {
    version: 1,
    id: entry.id,
    type: entry.type,
    orderId: order.orderId,
    externalId: order.externalId,
    channel: order.channel,
    status: order.status,
    occurredAt: entry.at,
    message: entry.message,
  };
}
