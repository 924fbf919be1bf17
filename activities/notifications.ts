/** Notification activities: customer and operations email, each effectively once per business key (services/notifications.ts). */
import { orderKeys } from '../contracts/keys.js';
import { renderNotification, type NotificationRequest } from '../domain/notifications.js';
import type { Mailer } from '../services/mailer.js';
import { deliverNotification, type Notification } from '../services/notifications.js';
import type { TrackingLinks } from '../services/tracking-links.js';
import { countEmail } from './metrics.js';

/** Sends the notification once, counting what this attempt did. */
async function sendCounted(mailer: Mailer, notification: Notification): Promise<void> {
  try {
    const outcome = await deliverNotification(mailer, notification);
    if (outcome !== 'done before') countEmail(outcome);
  } catch (error) {
    countEmail('failed');
    throw error;
  }
}

export function notificationActivities(mailer: Mailer, operationsEmail: string, tracking: TrackingLinks) {
  return {
    /** Tells operations about an order that needs them (e.g. late to ship), once per key. */
    async notifyOperations(message: { key: string; orderId?: string; event: string; subject: string; body: string }): Promise<void> {
      await sendCounted(mailer, { ...message, recipient: operationsEmail });
    },

    async notifyCustomer(request: NotificationRequest): Promise<void> {
      await sendCounted(mailer, {
        key: orderKeys(request.orderId).notification(request.event, request.subjectId),
        orderId: request.orderId,
        event: request.event,
        recipient: request.recipient.email,
        ...renderNotification(request, tracking.urlOf(request.orderId)),
      });
    },
  };
}
