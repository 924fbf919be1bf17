/** Channel webhooks: their settings (/v1/channels/{channel}/webhook) and the events they receive. */
import { z } from 'zod';
import { ORDER_STATUSES } from '../../domain/order.js';
import type { OrderEvent as OrderEventBody } from '../../domain/webhooks.js';
import type { ChannelWebhook } from '../../persistence/channels.js';
import { OrderId, Timestamp } from './common.js';

/** Channel names as API keys declare them (`API_KEYS`: `<key>=channel:<name>`). */
export const ChannelName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a channel name holds 1 to 64 letters, digits, _ and -')
  .meta({ id: 'ChannelName', example: 'web' });

export const ChannelWebhookPath = z.object({ channel: ChannelName });

export const WebhookSettingsRequest = z
  .strictObject({
    url: z
      // The limit holds for the URL as sent (normalizing may add a `/` or percent-encode), so it is checked first.
      .string()
      .max(2048, 'must be at most 2048 characters')
      // `abort`: the refinement below parses the URL, so it runs only on one that passed.
      .check(z.url({ protocol: /^https?$/, normalize: true, error: 'must be an absolute http:// or https:// URL', abort: true }))
      .refine((url) => {
        const { username, password } = new URL(url);
        return !username && !password;
      }, 'must not hold credentials; the secret signs each request')
      .meta({
        description:
          'An absolute http:// or https:// URL (https in production) without user:password. Must lead to public addresses only: not loopback, private, link-local or cloud metadata ones, by its host or what the host resolves to',
        example: 'https://shop.example.com/oms/events',
      }),
    secret: z
      .string()
      .min(32, 'must be at least 32 characters')
      .max(256, 'must be at most 256 characters')
      .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces')
      .meta({ description: 'Keys the HMAC-SHA256 signature of every request; stored, never shown again', writeOnly: true }),
  })
  .meta({ id: 'WebhookSettingsRequest' });

export const WebhookSettings = z
  .object({
    channel: ChannelName,
    url: z.string(),
    secretSet: z.literal(true).meta({ description: 'The secret itself is never returned' }),
    updatedAt: Timestamp,
  })
  .meta({ id: 'WebhookSettings' });

/** A channel's webhook as the API shows it: never its secret. */
export function webhookView(channel: string, webhook: ChannelWebhook): z.infer<typeof WebhookSettings> {
  return { channel, url: webhook.url, secretSet: true as const, updatedAt: webhook.updatedAt.toISOString() };
}

/** What a channel's webhook receives for each order event (the body of the POST, version 1). */
export const OrderEvent = z
  .object({
    version: z.literal(1),
    id: z.string().meta({ description: '`<orderId>-<n>`, the same on every retry: deduplicate by it', example: 'ord_3f2a9c0d1e4b5a6978c1d2e3-3' }),
    type: z.string().meta({ description: 'The timeline entry type: received, allocated, shipment_shipped, cancelled, ...', example: 'allocated' }),
    orderId: OrderId,
    externalId: z.string(),
    channel: ChannelName,
    status: z.enum(ORDER_STATUSES).meta({ description: 'The order status right after the event' }),
    occurredAt: Timestamp,
    message: z.string(),
  })
  .meta({ id: 'OrderEvent' }) satisfies z.ZodType<OrderEventBody>;
