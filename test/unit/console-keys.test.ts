/** Console sessions and customers' tracking links: what a cookie or a link proves, and what it cannot. */
import { describe, expect, it } from 'vitest';
import { loadApiKeys } from '../../api/auth.js';
import { loadConsoleKeys, principalOfSession, sessionFor } from '../../api/console/session.js';
import { trackingLinks } from '../../services/tracking-links.js';

const SECRET = 'a-console-secret-of-more-than-32-characters';
const apiKeys = loadApiKeys({});
const keys = loadConsoleKeys({ CONSOLE_SECRET: SECRET });

describe('console sessions', () => {
  it('sign in the key they were made for, until they expire', () => {
    const now = Date.now();
    const cookie = sessionFor(keys, 'dev-support', now);
    expect(principalOfSession(keys, apiKeys, cookie, now + 1_000)).toMatchObject({ role: 'support' });
    expect(principalOfSession(keys, apiKeys, cookie, now + 13 * 3_600_000)).toBeUndefined();
    expect(cookie).not.toContain('dev-support');
  });

  it('are worthless altered, signed with another secret, for an unknown key, or for a channel key', () => {
    const cookie = sessionFor(keys, 'dev-admin');
    const [digest, expiry, signature] = cookie.split('.');
    const other = loadConsoleKeys({ CONSOLE_SECRET: `${SECRET}-rotated` });
    for (const forged of [
      `${digest}.${Number(expiry) + 1}.${signature}`,
      `${sessionFor(keys, 'dev-support').split('.')[0]}.${expiry}.${signature}`,
      sessionFor(other, 'dev-admin'),
      sessionFor(keys, 'not-a-known-key-at-all'),
      sessionFor(keys, 'dev-channel-web'),
      'garbage',
      undefined,
    ]) {
      expect(principalOfSession(keys, apiKeys, forged)).toBeUndefined();
    }
  });

  it('need a secret of 32 characters in production', () => {
    expect(() => loadConsoleKeys({ NODE_ENV: 'production' })).toThrow(/CONSOLE_SECRET/);
    expect(() => loadConsoleKeys({ NODE_ENV: 'production', CONSOLE_SECRET: 'short' })).toThrow(/CONSOLE_SECRET/);
    expect(() => loadConsoleKeys({ NODE_ENV: 'production', CONSOLE_SECRET: SECRET })).not.toThrow();
  });
});

describe('tracking links', () => {
  const links = trackingLinks({ TRACKING_SECRET: 'a-tracking-secret-of-more-than-32-chars', PUBLIC_URL: 'https://shop.example/' });
  const orderId = 'ord_0123456789abcdef01234567';

  it('lead to the order they were made for, under PUBLIC_URL', () => {
    expect(links.urlOf(orderId)).toBe(`https://shop.example/track/${links.tokenOf(orderId)}`);
    expect(links.orderOf(links.tokenOf(orderId))).toBe(orderId);
  });

  it('lead nowhere altered, for another order, or made with another secret', () => {
    const token = links.tokenOf(orderId);
    const other = trackingLinks({ TRACKING_SECRET: 'another-tracking-secret-of-32-chars-plus' });
    for (const forged of [
      `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      token.replace(orderId, 'ord_0123456789abcdef01234568'),
      other.tokenOf(orderId),
      orderId,
      `${orderId}.`,
      '',
    ]) {
      expect(links.orderOf(forged)).toBeUndefined();
    }
  });

  it('need a secret of 32 characters in production', () => {
    expect(() => trackingLinks({ NODE_ENV: 'production' })).toThrow(/TRACKING_SECRET/);
    expect(() => trackingLinks({ NODE_ENV: 'production', TRACKING_SECRET: 'a-tracking-secret-of-more-than-32-chars' })).not.toThrow();
  });
});
