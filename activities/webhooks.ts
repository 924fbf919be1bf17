/**
 * Order events to the channel's webhook: a signed POST, once per (channel, event id).
 *
 * The event is POSTed only while no delivery record exists for it; a 2xx answer is recorded (status code,
 * attempt, time), so a retried or repeated run finds the record and sends nothing. Any other answer throws
 * a retryable failure, and Temporal retries until the webhook accepts. The gap is a crash (or a lost reply)
 * between the 2xx and the record, or two attempts at once (a timed-out attempt still sending while its
 * retry starts): then the event goes out again with the same `X-OMS-Event-Id`, by which receivers
 * deduplicate. Neither the secret nor the signature ever appears in a failure: they are not in the
 * activity's input, and messages name only the channel and the answer (not the URL, which may carry a token).
 *
 * Each attempt resolves the URL's host and connects only to the addresses it checked
 * (services/webhook-targets.ts): a URL whose host now resolves to a loopback, private, link-local or
 * metadata address is refused before anything is sent (`WebhookAddressRefused`). That failure is retried
 * like a webhook that is down, not given up: it is a setting the channel's admin can correct (the next
 * attempt reads the new URL), and giving up would lose the order's events for good; a refused attempt
 * costs a DNS lookup and connects nowhere. The same holds for a secret that does not decrypt
 * (`WebhookSecretUnreadable`: the worker lacks the key, which a restart with the right keys mends).
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import { WebhookSecretUnreadable } from '../domain/webhook-secrets.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhookBody } from '../domain/webhook-signature.js';
import type { OrderEvent, WebhookDeliveryOutcome } from '../domain/webhooks.js';
import { findDelivery, findWebhook, findWebhookForDelivery, recordDelivery } from '../persistence/channels.js';
import { countWebhookDelivery } from './metrics.js';
import { postToPinnedAddresses, resolveWebhookTarget, systemResolver, type WebhookSettings } from '../services/webhook-targets.js';

/** How long one POST may take; the activity's start-to-close timeout leaves room for the database around it. */
const WEBHOOK_TIMEOUT_MS = 10_000;

/** The failure type of a delivery the webhook did not accept (retried). */
export const WEBHOOK_NOT_ACCEPTED = 'WebhookNotAccepted';
/** The failure type of a delivery not sent because the URL's host resolves to an address not allowed (retried). */
export const WEBHOOK_ADDRESS_REFUSED = 'WebhookAddressRefused';
/** The failure type of a delivery not sent because the stored secret does not decrypt with the configured keys (retried). */
export const WEBHOOK_SECRET_UNREADABLE = 'WebhookSecretUnreadable';

function delivered(record: { deliveredAt: Date; attempts: number }): WebhookDeliveryOutcome {
  return { status: 'delivered', deliveredAt: record.deliveredAt.toISOString(), attempts: record.attempts };
}

/** Why the POST failed, without the URL: a timeout, or the network error code (ECONNREFUSED, ...). */
function unreachableReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000}s`;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'network error';
}

export function webhookActivities({ policy, keys, resolve = systemResolver }: WebhookSettings) {
  return {
    /** Whether the channel has a webhook: one read by `_id`, which an order makes as a local activity before its first event. */
    async channelHasWebhook(input: { channel: string }): Promise<boolean> {
      return (await findWebhook(input.channel)) !== undefined;
    },

    /** Delivers one order event to its channel's webhook unless it was delivered before; see the file comment. */
    async deliverOrderEvent(event: OrderEvent): Promise<WebhookDeliveryOutcome> {
      let webhook: Awaited<ReturnType<typeof findWebhookForDelivery>>;
      try {
        webhook = await findWebhookForDelivery(event.channel, keys);
      } catch (error) {
        if (error instanceof WebhookSecretUnreadable) throw ApplicationFailure.retryable(error.message, WEBHOOK_SECRET_UNREADABLE);
        throw error;
      }
      if (!webhook) return { status: 'not_configured' };

      const earlier = await findDelivery(event.channel, event.id);
      if (earlier) return delivered(earlier);

      const target = await resolveWebhookTarget(webhook.url, policy, resolve);
      if (!target.ok) {
        // The problem names the host or address at fault, never the URL's path or query.
        const refused = target.kind !== 'unresolvable';
        countWebhookDelivery(refused ? 'refused' : 'failed');
        const what = refused ? 'was not called' : 'could not be reached';
        throw ApplicationFailure.retryable(`the webhook of channel ${event.channel} ${what}: its URL ${target.problem}`, refused ? WEBHOOK_ADDRESS_REFUSED : WEBHOOK_NOT_ACCEPTED);
      }

      const body = JSON.stringify(event);
      let statusCode: number;
      try {
        statusCode = await postToPinnedAddresses(webhook.url, target.addresses, {
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'fulfillment-engine-webhooks/1',
            [EVENT_ID_HEADER]: event.id,
            [SIGNATURE_HEADER]: signWebhookBody(webhook.secret, body, Math.floor(Date.now() / 1000)),
          },
          body,
          timeoutMs: WEBHOOK_TIMEOUT_MS,
        });
      } catch (error) {
        countWebhookDelivery('failed');
        throw ApplicationFailure.retryable(`the webhook of channel ${event.channel} could not be reached: ${unreachableReason(error)}`, WEBHOOK_NOT_ACCEPTED);
      }
      // Signed events go to the configured URL only: a redirect (3xx) is not followed, and fails like any non-2xx.
      if (statusCode < 200 || statusCode > 299) {
        countWebhookDelivery('failed');
        throw ApplicationFailure.retryable(`the webhook of channel ${event.channel} answered ${statusCode}`, WEBHOOK_NOT_ACCEPTED);
      }

      countWebhookDelivery('delivered');
      return delivered(
        await recordDelivery({
          channel: event.channel,
          eventId: event.id,
          orderId: event.orderId,
          eventType: event.type,
          statusCode,
          attempts: activityInfo().attempt,
          deliveredAt: new Date(),
        }),
      );
    },
  };
}
