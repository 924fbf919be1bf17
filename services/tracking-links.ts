/**
 * Customers follow their order at `/track/<token>`, no login: the token is the order id and an HMAC of it
 * with `TRACKING_SECRET`, so it cannot be guessed or altered (128 bits). The worker puts the link in every
 * customer email; the API checks it. `PUBLIC_URL` is where customers reach the API; outside production
 * both have dev defaults.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SettingsError } from '../domain/settings-error.js';

const DEV_TRACKING_SECRET = 'dev-tracking-secret-only-outside-production';
const SIGNATURE_CHARS = 22; // base64url of 16 bytes of the HMAC

export interface TrackingLinks {
  /** The link for an order's customer. */
  urlOf(orderId: string): string;
  tokenOf(orderId: string): string;
  /** The order a token was made for, or undefined for any token we did not make. */
  orderOf(token: string): string | undefined;
}

export function trackingLinks(env: NodeJS.ProcessEnv = process.env): TrackingLinks {
  const secret = env.TRACKING_SECRET?.trim();
  if (env.NODE_ENV === 'production' && (!secret || secret.length < 32)) {
    throw new SettingsError('TRACKING_SECRET of 32 or more characters must be set in production; the dev secret only works outside production');
  }
  const publicUrl = (env.PUBLIC_URL?.trim() || `http://localhost:${env.PORT || 3000}`).replace(/\/+$/, '');
  const sign = (orderId: string) => createHmac('sha256', secret || DEV_TRACKING_SECRET).update(`track:${orderId}`).digest('base64url').slice(0, SIGNATURE_CHARS);
  const tokenOf = (orderId: string) => `${orderId}.${sign(orderId)}`;
  return {
    tokenOf,
    urlOf: (orderId) => `${publicUrl}/track/${tokenOf(orderId)}`,
    orderOf(token) {
      const dot = token.lastIndexOf('.');
      if (dot <= 0) return undefined;
      const orderId = token.slice(0, dot);
      const presented = Buffer.from(token.slice(dot + 1));
      const expected = Buffer.from(sign(orderId));
      return presented.length === expected.length && timingSafeEqual(presented, expected) ? orderId : undefined;
    },
  };
}
