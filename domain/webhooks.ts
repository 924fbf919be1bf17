/**
 * Channel webhooks: each timeline entry of an order is an event its channel's webhook receives. Plain data,
 * so the workflow builds the event (deterministically) and the delivery activity sends exactly that.
 * Signing is in webhook-signature.ts, where a webhook may point in webhook-addresses.ts, its secret at rest in
 * webhook-secrets.ts.
 */
import type { OrderState, OrderStatus, TimelineEntry } from './order.js';

/** What a channel's webhook receives for each order event: the body of the POST (version 1). */
export interface OrderEvent {
  version: 1;
  /** `<orderId>-<n>`, the same on every retry: receivers deduplicate by it. */
  id: string;
  /** The timeline entry's type. */
  type: string;
  orderId: string;
  externalId: string;
  channel: string;
  /** The order's status right after the event. */
  status: OrderStatus;
  occurredAt: string;
  message: string;
}

/** What one delivery attempt of an event to its channel's webhook came to. */
export type WebhookDeliveryOutcome =
  | { status: 'not_configured' }
  /** Accepted now, or by an earlier run for the same event (then nothing was sent again). */
  | { status: 'delivered'; deliveredAt: string; attempts: number };

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
