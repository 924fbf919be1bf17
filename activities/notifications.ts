/**
 * Customer notifications, recorded once per (order, event). Real email delivery comes with the lifecycle
 * issue; today the record is the notification.
 */
import { notificationKey, renderNotification, type NotificationRequest } from '../domain/notifications.js';
import { isDuplicateKeyError } from '../persistence/connection.js';
import { NotificationModel } from '../persistence/models.js';

export const notificationActivities = {
  async notifyCustomer(request: NotificationRequest): Promise<void> {
    const { subject, body } = renderNotification(request);
    try {
      await NotificationModel.create({
        key: notificationKey(request),
        orderId: request.orderId,
        event: request.event,
        recipient: request.recipient.email,
        subject,
        body,
        status: 'recorded',
        at: new Date(),
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  },
};
