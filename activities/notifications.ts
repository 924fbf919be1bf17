/**
 * Notifications, recorded once per business key (an order event, a low-stock alert). Real email delivery
 * comes with the lifecycle issue; today the record is the notification.
 */
import { notificationKey, renderNotification, type NotificationRequest } from '../domain/notifications.js';
import { isDuplicateKeyError } from '../persistence/connection.js';
import { NotificationModel } from '../persistence/models.js';

export interface NotificationRecord {
  key: string;
  orderId?: string;
  event: string;
  recipient: string;
  subject: string;
  body: string;
}

/** Records the notification unless one with the same key exists (a retried activity). */
export async function recordNotification(notification: NotificationRecord): Promise<void> {
  try {
    await NotificationModel.create({ ...notification, status: 'recorded', at: new Date() });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

export const notificationActivities = {
  async notifyCustomer(request: NotificationRequest): Promise<void> {
    await recordNotification({
      key: notificationKey(request),
      orderId: request.orderId,
      event: request.event,
      recipient: request.recipient.email,
      ...renderNotification(request),
    });
  },
};
