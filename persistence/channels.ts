/**
 * Per-channel settings (its webhook and the secret that signs it) and the record of each order event a
 * channel's webhook accepted.
 */
import mongoose, { Schema, type mongo } from 'mongoose';
import { decryptWebhookSecret, encryptWebhookSecret, envelopeKeyId, type WebhookSecretKeys } from '../domain/webhook-secrets.js';
import { insertOnce } from './duplicate-key.js';

/**
 * `_id` the channel name. The secret is stored only encrypted (`encryptedSecret`, an envelope of
 * domain/webhook-secrets.ts), and `select: false`, so only the delivery activity, which asks for it, ever
 * reads it. (Write with `updateOne`: `findOneAndUpdate` would send a projection, which FerretDB v1 refuses.)
 */
const channelSettingSchema = new Schema(
  {
    _id: { type: String, required: true },
    webhook: {
      url: { type: String },
      encryptedSecret: { type: String, select: false },
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

/**
 * The channel's webhook with the secret that signs its requests, decrypted, or undefined: for delivering
 * only. Throws `WebhookSecretUnreadable` when the secret does not decrypt with `keys`.
 */
export async function findWebhookForDelivery(channel: string, keys: WebhookSecretKeys): Promise<{ url: string; secret: string } | undefined> {
  const webhook = (await ChannelSettingModel.findById(channel).select('+webhook.encryptedSecret').lean())?.webhook;
  return webhook?.url && webhook.encryptedSecret ? { url: webhook.url, secret: decryptWebhookSecret(keys, channel, webhook.encryptedSecret) } : undefined;
}

/** Sets the channel's webhook; the secret is stored encrypted with the current key. */
export async function saveWebhook(channel: string, webhook: ChannelWebhook & { secret: string }, keys: WebhookSecretKeys): Promise<void> {
  const { secret, ...rest } = webhook;
  await ChannelSettingModel.updateOne({ _id: channel }, { $set: { webhook: { ...rest, encryptedSecret: encryptWebhookSecret(keys, channel, secret) } } }, { upsert: true });
}

/** Settings as stored, before and after encryption at rest (the driver's collection: the model knows no `secret`). */
type StoredChannelSetting = { _id: string; webhook?: { url?: string; secret?: unknown; encryptedSecret?: unknown } };
const storedSettings = () => ChannelSettingModel.collection as unknown as mongo.Collection<StoredChannelSetting>;

/**
 * Encrypts each secret stored in plain text (before encryption at rest) with the current key, in place of
 * the plain one. Idempotent: a second run finds none; a setting replaced meanwhile is left as it is now.
 */
export async function encryptPlainWebhookSecrets(keys: WebhookSecretKeys): Promise<number> {
  let encrypted = 0;
  for await (const setting of storedSettings().find({ 'webhook.secret': { $exists: true } })) {
    const plain = setting.webhook?.secret;
    if (typeof plain !== 'string') continue;
    const result = await storedSettings().updateOne(
      { _id: setting._id, 'webhook.secret': plain },
      { $set: { 'webhook.encryptedSecret': encryptWebhookSecret(keys, setting._id, plain) }, $unset: { 'webhook.secret': '' } },
    );
    encrypted += result.modifiedCount;
  }
  return encrypted;
}

/**
 * Encrypts again with the current key each secret encrypted with a previous one (key rotation), so the
 * previous key can be dropped once this ran. Returns the channels whose secret no configured key opens
 * (left as they are; their deliveries fail naming the key) and how many were re-encrypted.
 */
export async function reencryptWebhookSecrets(keys: WebhookSecretKeys): Promise<{ reencrypted: number; unreadable: string[] }> {
  const result = { reencrypted: 0, unreadable: [] as string[] };
  for await (const setting of storedSettings().find({ 'webhook.encryptedSecret': { $exists: true } })) {
    const envelope = setting.webhook?.encryptedSecret;
    if (typeof envelope !== 'string' || envelopeKeyId(envelope) === keys.current.id) continue;
    let secret: string;
    try {
      secret = decryptWebhookSecret(keys, setting._id, envelope);
    } catch {
      result.unreadable.push(setting._id);
      continue;
    }
    const updated = await storedSettings().updateOne(
      { _id: setting._id, 'webhook.encryptedSecret': envelope },
      { $set: { 'webhook.encryptedSecret': encryptWebhookSecret(keys, setting._id, secret) } },
    );
    result.reencrypted += updated.modifiedCount;
  }
  return result;
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
