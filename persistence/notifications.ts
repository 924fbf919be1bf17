/**
 * One record per notification business key (an order event, a low-stock alert): the email as recorded
 * before it is sent, claimed by the attempt sending it, then marked `sent`, so a retry never sends it
 * twice (services/notifications.ts).
 * `rejected`: the mail server refused it for good.
 */
import mongoose, { Schema } from 'mongoose';
import { insertOnce } from './duplicate-key.js';

export const NOTIFICATION_STATUSES = ['recorded', 'sent', 'rejected'] as const;

const notificationSchema = new Schema(
  {
    /** The key, so a record is read and written by `_id` (records from before this have an ObjectId and are found by `key`). */
    _id: { type: String, required: true },
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
    /** An attempt is sending it until then (claimNotification): another attempt meanwhile waits its turn. */
    sendingUntil: { type: Date },
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

/**
 * Records the notification unless one with its key exists, and claims its sending for `leaseMs` unless it
 * went out already or another attempt's claim still runs: `sending` says whether this attempt may send it.
 * Two attempts at once happen when a local attempt the workflow gave up on (its workflow task lost with the
 * Temporal server) is still sending while the next one starts.
 */
export async function claimNotification(notification: NotificationContent, leaseMs: number) {
  const { key } = notification;
  const now = new Date();
  const sendingUntil = new Date(now.getTime() + leaseMs);
  const created = await insertOnce(() => NotificationModel.create({ _id: key, ...notification, status: 'recorded', at: now, sendingUntil }));
  if (created) return { record: created.toObject(), sending: true };
  const record = (await NotificationModel.findById(key).lean()) ?? (await NotificationModel.findOne({ key }).lean());
  if (!record) throw new Error(`notification ${key} was recorded but cannot be read back`);
  if (record.status !== 'recorded') return { record, sending: false };
  const claimed = await NotificationModel.findOneAndUpdate(
    { ...byRef(record), status: 'recorded', $or: [{ sendingUntil: null }, { sendingUntil: { $lte: now } }] },
    { $set: { sendingUntil } },
    { new: true },
  ).lean();
  return { record: claimed ?? record, sending: claimed !== null };
}

/** How to address a record: by `_id`, or by `key` for one recorded before records were keyed by `_id`. */
type RecordRef = { _id: unknown; key: string };
const byRef = ({ _id, key }: RecordRef) => (typeof _id === 'string' ? { _id } : { key });

export async function markNotificationSent(record: RecordRef, smtpResponse: string): Promise<void> {
  await NotificationModel.updateOne(byRef(record), { $set: { status: 'sent', sentAt: new Date(), smtpResponse }, $unset: { lastError: 1, sendingUntil: 1 } });
}

export async function markNotificationRejected(record: RecordRef, reason: string): Promise<void> {
  await NotificationModel.updateOne(byRef(record), { $set: { status: 'rejected', rejectedAt: new Date(), lastError: reason }, $unset: { sendingUntil: 1 } });
}

/** Keeps why the last attempt failed on the record, for whoever looks, and gives up its claim; best effort. */
export async function noteNotificationError(record: RecordRef, reason: string): Promise<void> {
  await NotificationModel.updateOne(byRef(record), { $set: { lastError: reason }, $unset: { sendingUntil: 1 } }).catch(() => undefined);
}

/**
 * The emails of an order to its customer, oldest first. Their keys (contracts/keys.ts) all start with
 * `order:<orderId>:notify:`, so they are the range of `_id` up to `...:notify;` (`;` follows `:`).
 */
export async function customerEmailsOf(orderId: string) {
  const prefix = `order:${orderId}:notify`;
  const records = await NotificationModel.find({ _id: { $gt: `${prefix}:`, $lt: `${prefix};` } }, { event: 1, recipient: 1, subject: 1, status: 1, at: 1 }).lean();
  return records.sort((a, b) => a.at.getTime() - b.at.getTime());
}
