/** Webhook secrets at rest (domain/webhook-secrets.ts): AES-256-GCM envelopes, their keys and rotation. */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptWebhookSecret, encryptWebhookSecret, envelopeKeyId, loadWebhookSecretKeys, WebhookSecretUnreadable } from '../../domain/webhook-secrets.js';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('hex');
const SECRET = 'whsec_0123456789abcdef0123456789abcdef';

describe('webhook secret envelopes', () => {
  const keys = loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: KEY_A });

  it('decrypt to the secret, which they do not contain, and differ each time', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x21-\x7E]{32,256}$/), (secret) => {
        const envelope = encryptWebhookSecret(keys, 'web', secret);
        expect(envelope).not.toContain(secret);
        expect(envelope).toMatch(/^v1\.[\w-]{10}\.[\w-]+\.[\w-]+\.[\w-]+$/);
        expect(decryptWebhookSecret(keys, 'web', envelope)).toBe(secret);
      }),
    );
    expect(encryptWebhookSecret(keys, 'web', SECRET)).not.toBe(encryptWebhookSecret(keys, 'web', SECRET));
  });

  it('name the key they were encrypted with, by an id that is not the key', () => {
    const envelope = encryptWebhookSecret(keys, 'web', SECRET);
    expect(envelopeKeyId(envelope)).toBe(keys.current.id);
    expect(KEY_A).not.toContain(keys.current.id);
    expect(envelopeKeyId(SECRET)).toBeUndefined();
  });

  it('do not open with another key, naming the key id and never the secret', () => {
    const envelope = encryptWebhookSecret(keys, 'web', SECRET);
    const other = loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: KEY_B });
    const failure = (() => {
      try {
        decryptWebhookSecret(other, 'web', envelope);
      } catch (error) {
        return error as Error;
      }
    })();
    expect(failure).toBeInstanceOf(WebhookSecretUnreadable);
    expect(failure?.message).toBe(
      `the webhook secret of channel web was encrypted with key ${keys.current.id}, which is neither WEBHOOK_SECRET_KEY (${other.current.id}) nor in WEBHOOK_SECRET_PREVIOUS_KEYS`,
    );
    expect(failure?.message).not.toContain(SECRET);
  });

  it('do not open for another channel or once altered', () => {
    const envelope = encryptWebhookSecret(keys, 'web', SECRET);
    expect(() => decryptWebhookSecret(keys, 'store', envelope)).toThrow(/channel store does not decrypt with key .*: it was altered or belongs to another channel/);
    const parts = envelope.split('.');
    const flipped = Buffer.from(parts[4], 'base64url');
    flipped[0] ^= 1;
    expect(() => decryptWebhookSecret(keys, 'web', [...parts.slice(0, 4), flipped.toString('base64url')].join('.'))).toThrow(WebhookSecretUnreadable);
    expect(() => decryptWebhookSecret(keys, 'web', SECRET)).toThrow(/is not an encrypted envelope/);
  });

  it('rotate: a previous key still decrypts, the current one encrypts', () => {
    const before = encryptWebhookSecret(keys, 'web', SECRET);
    const rotated = loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: KEY_B, WEBHOOK_SECRET_PREVIOUS_KEYS: KEY_A });
    expect(decryptWebhookSecret(rotated, 'web', before)).toBe(SECRET);
    const after = encryptWebhookSecret(rotated, 'web', SECRET);
    expect(envelopeKeyId(after)).toBe(rotated.current.id);
    expect(envelopeKeyId(after)).not.toBe(keys.current.id);
    expect(() => decryptWebhookSecret(keys, 'web', after)).toThrow(WebhookSecretUnreadable);
  });
});

describe('loadWebhookSecretKeys', () => {
  it('requires WEBHOOK_SECRET_KEY in production; outside it a dev key stands in', () => {
    expect(() => loadWebhookSecretKeys({ NODE_ENV: 'production' })).toThrow(/WEBHOOK_SECRET_KEY .* must be set in production/);
    expect(loadWebhookSecretKeys({ NODE_ENV: 'production', WEBHOOK_SECRET_KEY: KEY_A }).current.id).toBe(loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: KEY_A }).current.id);
    expect(loadWebhookSecretKeys({}).current.id).toBe(loadWebhookSecretKeys({}).current.id);
    expect(loadWebhookSecretKeys({}).current.id).not.toBe(loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: KEY_A }).current.id);
  });

  it('reads 32 bytes as hex, base64 or base64url, and nothing shorter', () => {
    const bytes = randomBytes(32);
    const ids = [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')].map((key) => loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: key }).current.id);
    expect(new Set(ids).size).toBe(1);
    for (const bad of ['short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), 'a passphrase that is long enough to be 44 ch']) {
      expect(() => loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: bad }), bad).toThrow(/WEBHOOK_SECRET_KEY must be 32 bytes/);
    }
    expect(() => loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: KEY_A, WEBHOOK_SECRET_PREVIOUS_KEYS: `${KEY_B},nope` })).toThrow(/WEBHOOK_SECRET_PREVIOUS_KEYS must be 32 bytes/);
  });
});
