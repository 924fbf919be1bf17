/**
 * Webhook signatures, Stripe style: `X-OMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, the HMAC keyed
 * by the channel's secret over `<t>.<raw body>`. Signing the timestamp with the body lets a receiver refuse
 * replays of an old request. Needs nothing but node:crypto, so a channel can copy `verifyWebhookSignature`
 * as it is. (Not imported by workflows: their bundle has no node:crypto.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-OMS-Signature';
export const EVENT_ID_HEADER = 'X-OMS-Event-Id';

/** How far a signature's timestamp may be from the receiver's clock before it is refused (seconds). */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The `X-OMS-Signature` value for this body, signed at `timestamp` (unix seconds). */
export function signWebhookBody(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}

/**
 * True when `header` (the `X-OMS-Signature` value) signs exactly this raw body with `secret`, and its
 * timestamp is within the tolerance of `nowSeconds`. Verify the bytes as received, before parsing the
 * JSON. Several `v1=` entries are accepted (any one matching suffices), so a secret can be rotated.
 */
export function verifyWebhookSignature(options: {
  secret: string;
  body: string;
  header: string | null | undefined;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): boolean {
  const { secret, body, header, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_SECONDS } = options;
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => value);
  if (timestamps.length !== 1 || !/^\d+$/.test(timestamps[0] ?? '')) return false;
  const timestamp = Number(timestamps[0]);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  return parts
    .filter(([key, value]) => key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? ''))
    .some(([, value]) => timingSafeEqual(Buffer.from(value, 'hex'), expected));
}
