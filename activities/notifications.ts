/** Notification activities: customer and operations email, each effectively once per business key (services/notifications.ts). */
import { orderKeys } from '../contracts/keys.js';
import { renderNotification, type NotificationRequest } from '../domain/notifications.js';
import type { Mailer } from '../services/mailer.js';
import { deliverNotification } from '../services/notifications.js';
import type { TrackingLinks } from '../services/tracking-links.js';

export function notificationActivities(mailer: Mailer, operationsEmail: string, tracking: TrackingLinks) {
  return {
    /** Tells operations about an order that needs them (e.g. late to ship), once per key. */
    async notifyOperations(message: { key: string; orderId?: string; event: string; subject: string; body: string }): Promise<void> {
      await deliverNotification(mailer, { ...message, recipient: operationsEmail });
    },

    async notifyCustomer(request: NotificationRequest): Promise<void> {
      await deliverNotification(mailer, {
        key: orderKeys(request.orderId).notification(request.event, request.subjectId),
        orderId: request.orderId,
        event: request.event,
        recipient: request.recipient.email,
        ...renderNotification(request, tracking.urlOf(request.orderId)),
      });
    },
  };
}
