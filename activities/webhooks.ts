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
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhookBody } from '../domain/webhook-signature.js';
import type { OrderEvent, WebhookDeliveryOutcome } from '../domain/webhooks.js';
import { findDelivery, findWebhookForDelivery, recordDelivery } from '../persistence/channels.js';

/** How long one POST may take; the activity's start-to-close timeout leaves room for the database around it. */
const WEBHOOK_TIMEOUT_MS = 10_000;

/** The failure type of a delivery the webhook did not accept (retried). */
export const WEBHOOK_NOT_ACCEPTED = 'WebhookNotAccepted';

function delivered(record: { deliveredAt: Date; attempts: number }): WebhookDeliveryOutcome {
  return { status: 'delivered', deliveredAt: record.deliveredAt.toISOString(), attempts: record.attempts };
}

/** Why fetch failed, without the URL: a timeout, or the network error code (ECONNREFUSED, ...). */
function unreachableReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000}s`;
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' ? code : 'network error';
}

export const webhookActivities = {
  /** Delivers one order event to its channel's webhook unless it was delivered before; see the file comment. */
  async deliverOrderEvent(event: OrderEvent): Promise<WebhookDeliveryOutcome> {
    const webhook = await findWebhookForDelivery(event.channel);
    if (!webhook) return { status: 'not_configured' };

    const earlier = await findDelivery(event.channel, event.id);
    if (earlier) return delivered(earlier);

    const body = JSON.stringify(event);
    let response: Response;
    try {
      response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'fulfillment-engine-webhooks/1',
          [EVENT_ID_HEADER]: event.id,
          [SIGNATURE_HEADER]: signWebhookBody(webhook.secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        // Signed events go to the configured URL only.
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
    } catch (error) {
      throw ApplicationFailure.retryable(`the webhook of channel ${event.channel} could not be reached: ${unreachableReason(error)}`, WEBHOOK_NOT_ACCEPTED);
    }
    await response.body?.cancel();
    if (!response.ok) {
      throw ApplicationFailure.retryable(`the webhook of channel ${event.channel} answered ${response.status}`, WEBHOOK_NOT_ACCEPTED);
    }

    return delivered(
      await recordDelivery({
        channel: event.channel,
        eventId: event.id,
        orderId: event.orderId,
        eventType: event.type,
        statusCode: response.status,
        attempts: activityInfo().attempt,
        deliveredAt: new Date(),
      }),
    );
  },
};
