/**
 * Notifications by email, effectively once per business key (an order event, a low-stock alert):
 *
 * 1. the notification is recorded once (status `recorded`; a unique index on `key`), with what it says
 *    and a Message-ID derived from the key;
 * 2. unless its record says it went out already, it is emailed from that record, then marked `sent`
 *    with the server's reply and the time.
 *
 * A retried activity therefore finds `sent` and sends nothing. An attempt claims the sending for as long
 * as a send can take (SEND_LEASE_MS), so a second attempt meanwhile (a timed-out or abandoned attempt
 * still sending while its retry starts) fails, to be retried, instead of sending too. The gap is a crash
 * (or a lost reply) between the server accepting the message and the record being marked: the retry
 * sends it again once the claim has lapsed, with the same Message-ID, so it is recognisable downstream
 * as a duplicate of the first.
 */
import { createHash } from 'node:crypto';
import * as records from '../persistence/notifications.js';
import { EmailRejected, type Mailer } from './mailer.js';

export type Notification = Omit<records.NotificationContent, 'messageId'>;

/** `sent` now; `rejected` when the mail server refused the recipient or message for good; `done before` by an earlier attempt. */
export type NotificationOutcome = 'sent' | 'rejected' | 'done before';

/** How long an attempt may be sending: the mail transport's connection (10 s) and socket (20 s) timeouts. */
export const SEND_LEASE_MS = 30_000;

/** Another attempt is sending this notification now; retried, it finds it sent (or the claim lapsed). */
export class NotificationBeingSent extends Error {}

/** The Message-ID of the notification with this key: the same for every attempt to send it. */
export function notificationMessageId(key: string): string {
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@fulfillment.local>`;
}

/**
 * Records the notification (unless one with its key exists: a retry) and emails it unless already sent.
 * A transient failure (server unreachable, 4xx, authentication) throws, leaving it `recorded` with the
 * error, for the caller's retry. A permanent refusal (5xx to the recipient or the message) is final:
 * the record becomes `rejected` with the server's reply and nothing throws, so a bad address never
 * holds up or fails an order.
 */
export async function deliverNotification(mailer: Mailer, notification: Notification): Promise<NotificationOutcome> {
  const { key } = notification;
  const { record, sending } = await records.claimNotification({ ...notification, messageId: notificationMessageId(key) }, SEND_LEASE_MS);
  if (record.status === 'sent' || record.status === 'rejected') return 'done before';
  if (!sending) throw new NotificationBeingSent(`notification ${key} is being sent by another attempt`);

  try {
    // From the record, not the request: whatever was recorded first is what goes out.
    const sent = await mailer.send({
      to: record.recipient,
      subject: record.subject,
      text: record.body,
      messageId: record.messageId ?? notificationMessageId(key),
    });
    await records.markNotificationSent(record, sent.response);
    return 'sent';
  } catch (error) {
    if (error instanceof EmailRejected) {
      console.warn(`notification ${key} to ${record.recipient} was rejected by the mail server: ${error.response}`);
      await records.markNotificationRejected(record, error.message);
      return 'rejected';
    }
    // Keep the reason on the record for whoever looks; the caller retries.
    await records.noteNotificationError(record, error instanceof Error ? error.message : String(error));
    throw error;
  }
}
