/**
 * One record per notification business key (an order event, a low-stock alert): the email as recorded
 * before it is sent, then marked `sent`, so a retry never sends it twice (services/notifications.ts).
 * `rejected`: the mail server refused it for good.
 */
import mongoose, { Schema } from 'mongoose';
import { isDuplicateKeyError } from './duplicate-key.js';

export const NOTIFICATION_STATUSES = ['recorded', 'sent', 'rejected'] as const;

const notificationSchema = new Schema(
  {
    key: { type: String, required: true },
    /** Absent for notifications to operations that concern no order (low stock). */
    orderId: { type: String },
    event: { type: String, required: true },
    recipient: { type: String, required: true },
    subject: { type: String, required: true },
    body: { type: String, required: true },
    status: { type: String, enum: NOTIFICATION_STATUSES, required: true },
    /** The email's Message-ID, derived from `key`: every attempt sends the same one. (Absent on records from before email.) */
    messageId: { type: String },
    /** When it was recorded. */
    at: { type: Date, required: true },
    /** When the mail server accepted it, and its reply (`250 ... queued as ...`). */
    sentAt: { type: Date },
    smtpResponse: { type: String },
    rejectedAt: { type: Date },
    /** Why the last attempt failed (cleared once sent). */
    lastError: { type: String },
  },
  { versionKey: false },
);
notificationSchema.index({ key: 1 }, { unique: true });
notificationSchema.index({ orderId: 1 });
export const NotificationModel = mongoose.model('Notification', notificationSchema, 'notifications');

export interface NotificationContent {
  key: string;
  orderId?: string;
  event: string;
  recipient: string;
  subject: string;
  body: string;
  messageId: string;
}

/** Records the notification unless one with its key exists, and returns the record that stands. */
export async function recordNotificationOnce(notification: NotificationContent) {
  try {
    await NotificationModel.create({ ...notification, status: 'recorded', at: new Date() });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  const record = await NotificationModel.findOne({ key: notification.key }).lean();
  if (!record) throw new Error(`notification ${notification.key} was recorded but cannot be read back`);
  return record;
}

export async function markNotificationSent(key: string, smtpResponse: string): Promise<void> {
  await NotificationModel.updateOne({ key }, { $set: { status: 'sent', sentAt: new Date(), smtpResponse }, $unset: { lastError: 1 } });
}

export async function markNotificationRejected(key: string, reason: string): Promise<void> {
  await NotificationModel.updateOne({ key }, { $set: { status: 'rejected', rejectedAt: new Date(), lastError: reason } });
}

/** Keeps why the last attempt failed on the record, for whoever looks; best effort. */
export async function noteNotificationError(key: string, reason: string): Promise<void> {
  await NotificationModel.updateOne({ key }, { $set: { lastError: reason } }).catch(() => undefined);
}
