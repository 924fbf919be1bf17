/**
 * Channel webhooks: each timeline entry of an order is an event its channel's webhook receives. Plain data,
 * so the workflow builds the event (deterministically) and the delivery activity sends exactly that.
 * Signing is in webhook-signature.ts.
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

/**
 * Why a webhook URL is refused in production, or undefined: it must be https, and its host must not name
 * this machine or a private network (loopback, RFC 1918, link-local, unique-local, shared address space),
 * so an admin key cannot turn the engine into a probe of the internal network. Host names are judged by
 * their name only; one that resolves to a private address is not caught here.
 */
export function productionWebhookUrlProblem(url: string): string | undefined {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'https:') return 'must use https in production';
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || /\.(localhost|local|internal)$/.test(host)) return `must not point at an internal host (${host})`;
  if (isPrivateAddress(host)) return `must not point at a private or loopback address (${host})`;
  return undefined;
}

function isPrivateAddress(host: string): boolean {
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)?.slice(1).map(Number);
  if (ipv4) {
    const [a, b] = ipv4;
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  if (!host.includes(':')) return false;
  // An IPv4-mapped address, as URL normalizes it: ::ffff:10.0.0.1 becomes ::ffff:a00:1.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
    return isPrivateAddress(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  return host === '::' || host === '::1' || /^f[cd][0-9a-f]{2}:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host);
}
