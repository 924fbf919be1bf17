/**
 * Per-channel settings (its webhook and the secret that signs it) and the record of each order event a
 * channel's webhook accepted.
 */
import mongoose, { Schema } from 'mongoose';
import { insertOnce } from './duplicate-key.js';

/**
 * `_id` the channel name. The secret is `select: false`, so only the delivery activity, which asks for it,
 * ever reads it. (Write with `updateOne`: `findOneAndUpdate` would send a projection, which FerretDB v1 refuses.)
 */
const channelSettingSchema = new Schema(
  {
    _id: { type: String, required: true },
    webhook: {
      url: { type: String },
      secret: { type: String, select: false },
      updatedAt: { type: Date },
    },
  },
  { timestamps: true, versionKey: false },
);
export const ChannelSettingModel = mongoose.model('ChannelSetting', channelSettingSchema, 'channel_settings');

/** `<channel>/<eventId>`: the id of a webhook delivery record (channel names hold no `/`). */
export function webhookDeliveryId(channel: string, eventId: string): string {
  return `${channel}/${eventId}`;
}

/**
 * One record per event a channel's webhook accepted (activities/webhooks.ts), so a retried or repeated
 * delivery finds it and sends nothing. Keyed by `webhookDeliveryId`, since FerretDB v1 looks up only
 * `_id` filters without a scan; the unique (channel, eventId) index states the rule on any server.
 */
const webhookDeliverySchema = new Schema(
  {
    _id: { type: String, required: true },
    channel: { type: String, required: true },
    eventId: { type: String, required: true },
    orderId: { type: String, required: true },
    eventType: { type: String, required: true },
    /** The 2xx the webhook answered, and on which attempt of the activity. */
    statusCode: { type: Number, required: true },
    attempts: { type: Number, required: true },
    deliveredAt: { type: Date, required: true },
  },
  { versionKey: false },
);
webhookDeliverySchema.index({ channel: 1, eventId: 1 }, { unique: true });
webhookDeliverySchema.index({ orderId: 1 });
export const WebhookDeliveryModel = mongoose.model('WebhookDelivery', webhookDeliverySchema, 'webhook_deliveries');

export interface ChannelWebhook {
  url: string;
  updatedAt: Date;
}

/** The channel's webhook without its secret, or undefined. */
export async function findWebhook(channel: string): Promise<ChannelWebhook | undefined> {
  const webhook = (await ChannelSettingModel.findById(channel).lean())?.webhook;
  return webhook?.url && webhook.updatedAt ? { url: webhook.url, updatedAt: webhook.updatedAt } : undefined;
}

/** The channel's webhook with the secret that signs its requests, or undefined: for delivering only. */
export async function findWebhookForDelivery(channel: string): Promise<{ url: string; secret: string } | undefined> {
  const webhook = (await ChannelSettingModel.findById(channel).select('+webhook.secret').lean())?.webhook;
  return webhook?.url && webhook.secret ? { url: webhook.url, secret: webhook.secret } : undefined;
}

export async function saveWebhook(channel: string, webhook: ChannelWebhook & { secret: string }): Promise<void> {
  await ChannelSettingModel.updateOne({ _id: channel }, { $set: { webhook } }, { upsert: true });
}

/** Switches the webhook off and forgets its secret. */
export async function deleteWebhook(channel: string): Promise<void> {
  await ChannelSettingModel.updateOne({ _id: channel }, { $unset: { webhook: 1 } });
}

export interface WebhookDelivery {
  channel: string;
  eventId: string;
  orderId: string;
  eventType: string;
  statusCode: number;
  attempts: number;
  deliveredAt: Date;
}

export async function findDelivery(channel: string, eventId: string): Promise<WebhookDelivery | undefined> {
  return (await WebhookDeliveryModel.findById(webhookDeliveryId(channel, eventId)).lean()) ?? undefined;
}

/** Records an accepted delivery; when a concurrent attempt recorded it first, its record is the one that stands. */
export async function recordDelivery(delivery: WebhookDelivery): Promise<WebhookDelivery> {
  if (await insertOnce(() => WebhookDeliveryModel.create({ _id: webhookDeliveryId(delivery.channel, delivery.eventId), ...delivery }))) return delivery;
  return (await findDelivery(delivery.channel, delivery.eventId)) ?? delivery;
}
