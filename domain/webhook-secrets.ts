/**
 * Webhook secrets at rest: AES-256-GCM with a key from the environment (`WEBHOOK_SECRET_KEY`), so a copy
 * of the database (a backup, a dump, a read-only user) does not hand out the secrets that sign a
 * channel's events. A stored secret is a versioned envelope, `v1.<key id>.<iv>.<tag>.<ciphertext>`
 * (base64url), bound to its channel (the channel name is the authenticated data, so an envelope copied
 * to another channel does not open). The key id is derived from the key, so keys rotate by setting a new
 * `WEBHOOK_SECRET_KEY` and moving the old one to `WEBHOOK_SECRET_PREVIOUS_KEYS` until every secret was
 * encrypted again (the worker does that at its start). Needs only node:crypto.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SettingsError } from './settings-error.js';

export interface WebhookSecretKey {
  id: string;
  key: Buffer;
}

export interface WebhookSecretKeys {
  /** Encrypts; also decrypts. */
  current: WebhookSecretKey;
  /** Decrypt only: the keys of earlier rotations. */
  previous: WebhookSecretKey[];
}

/** Why a stored secret cannot be read: its key is not configured, or it does not decrypt with it. */
export class WebhookSecretUnreadable extends Error {
  override name = 'WebhookSecretUnreadable';
}

const ENVELOPE_VERSION = 'v1';
const DEV_KEY_SOURCE = 'dev-webhook-secret-key-only-outside-production';

/** The key id: the start of a hash of the key, so it names the key without revealing it. */
function keyOf(key: Buffer): WebhookSecretKey {
  return { id: createHash('sha256').update('oms webhook secret key id\0').update(key).digest('base64url').slice(0, 10), key };
}

/** 32 bytes as 64 hex digits or base64(url); throws naming the variable otherwise. */
function parseKey(name: string, raw: string): Buffer {
  const text = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (key?.length !== 32) throw new SettingsError(`${name} must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)`);
  return key;
}

/**
 * The keys from the environment. In production `WEBHOOK_SECRET_KEY` must be set; outside it a documented
 * dev key stands in (so secrets stored in development are not protected by it).
 */
export function loadWebhookSecretKeys(env: NodeJS.ProcessEnv): WebhookSecretKeys {
  const raw = env.WEBHOOK_SECRET_KEY?.trim();
  if (!raw && env.NODE_ENV === 'production') {
    throw new SettingsError('WEBHOOK_SECRET_KEY (32 random bytes: openssl rand -base64 32) must be set in production; the dev key only works outside production');
  }
  const current = keyOf(raw ? parseKey('WEBHOOK_SECRET_KEY', raw) : createHash('sha256').update(DEV_KEY_SOURCE).digest());
  const previous = (env.WEBHOOK_SECRET_PREVIOUS_KEYS ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => keyOf(parseKey('WEBHOOK_SECRET_PREVIOUS_KEYS', entry)))
    .filter((key) => key.id !== current.id);
  return { current, previous };
}

const associatedData = (channel: string) => Buffer.from(`oms webhook secret ${ENVELOPE_VERSION} channel:${channel}`);

/** The envelope of a channel's secret, encrypted with the current key. */
export function encryptWebhookSecret(keys: WebhookSecretKeys, channel: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.current.key, iv);
  cipher.setAAD(associatedData(channel));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [ENVELOPE_VERSION, keys.current.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

/** The key id an envelope was encrypted with, or undefined for something that is not an envelope. */
export function envelopeKeyId(envelope: string): string | undefined {
  const parts = envelope.split('.');
  return parts.length === 5 && parts[0] === ENVELOPE_VERSION ? parts[1] : undefined;
}

/**
 * The channel's secret from its envelope. Throws `WebhookSecretUnreadable`, naming the channel and the
 * key id but nothing of the secret, when the key is not configured or the envelope does not decrypt
 * (altered data, or an envelope copied from another channel).
 */
export function decryptWebhookSecret(keys: WebhookSecretKeys, channel: string, envelope: string): string {
  const keyId = envelopeKeyId(envelope);
  if (keyId === undefined) throw new WebhookSecretUnreadable(`the webhook secret of channel ${channel} is not an encrypted envelope (${ENVELOPE_VERSION})`);
  const key = [keys.current, ...keys.previous].find((candidate) => candidate.id === keyId);
  if (!key) {
    throw new WebhookSecretUnreadable(
      `the webhook secret of channel ${channel} was encrypted with key ${keyId}, which is neither WEBHOOK_SECRET_KEY (${keys.current.id}) nor in WEBHOOK_SECRET_PREVIOUS_KEYS`,
    );
  }
  const [, , iv, tag, ciphertext] = envelope.split('.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(associatedData(channel));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new WebhookSecretUnreadable(`the webhook secret of channel ${channel} does not decrypt with key ${keyId}: it was altered or belongs to another channel`);
  }
}
