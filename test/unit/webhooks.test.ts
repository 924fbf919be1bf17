import { describe, expect, it } from 'vitest';
import type { OrderState } from '../../domain/order.js';
import { signWebhookBody, verifyWebhookSignature } from '../../domain/webhook-signature.js';
import { orderEvent } from '../../domain/webhooks.js';
import { timelineEntryId } from '../../contracts/ids.js';

const SECRET = 'whsec_test_0123456789abcdef0123456789';
const BODY = '{"id":"ord_1-1","type":"received"}';
const T = 1_700_000_000;
// Computed independently: python3 -c "import hmac,hashlib; print(hmac.new(SECRET, b'1700000000.' + BODY, hashlib.sha256).hexdigest())"
const EXPECTED_HMAC = '0a738ec390a35f40d92d25f2df1018825f1dd23328068a0cb89a918b459571d5';

const verify = (header: string | null | undefined, overrides: { secret?: string; body?: string; nowSeconds?: number } = {}) =>
  verifyWebhookSignature({ secret: SECRET, body: BODY, header, nowSeconds: T + 10, ...overrides });

describe('signWebhookBody', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 keyed by the secret, Stripe style', () => {
    expect(signWebhookBody(SECRET, BODY, T)).toBe(`t=${T},v1=${EXPECTED_HMAC}`);
  });

  it('never contains the secret', () => {
    expect(signWebhookBody(SECRET, BODY, T)).not.toContain(SECRET);
  });
});

describe('verifyWebhookSignature', () => {
  it('accepts its own signature within the tolerance, either side of the clock', () => {
    expect(verify(signWebhookBody(SECRET, BODY, T))).toBe(true);
    expect(verify(signWebhookBody(SECRET, BODY, T), { nowSeconds: T - 300 })).toBe(true);
    expect(verify(signWebhookBody(SECRET, BODY, T), { nowSeconds: T + 300 })).toBe(true);
  });

  it('refuses a changed body, another secret, or a timestamp moved to replay the request', () => {
    const header = signWebhookBody(SECRET, BODY, T);
    expect(verify(header, { body: BODY.replace('received', 'cancelled') })).toBe(false);
    expect(verify(header, { body: `${BODY} ` })).toBe(false);
    expect(verify(header, { secret: `${SECRET}x` })).toBe(false);
    expect(verify(header.replace(`t=${T}`, `t=${T + 5}`))).toBe(false);
  });

  it('refuses a signature older (or newer) than the tolerance', () => {
    const header = signWebhookBody(SECRET, BODY, T);
    expect(verify(header, { nowSeconds: T + 301 })).toBe(false);
    expect(verify(header, { nowSeconds: T - 301 })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, body: BODY, header, nowSeconds: T + 3600, toleranceSeconds: 3600 })).toBe(true);
  });

  it('refuses missing and malformed headers', () => {
    for (const header of [undefined, null, '', 'garbage', `v1=${EXPECTED_HMAC}`, `t=${T}`, `t=abc,v1=${EXPECTED_HMAC}`,
      `t=${T},t=${T},v1=${EXPECTED_HMAC}`, `t=${T},v1=${EXPECTED_HMAC.slice(0, 63)}`, `t=${T},v1=${EXPECTED_HMAC.toUpperCase()}`, `t=${T},v0=${EXPECTED_HMAC}`]) {
      expect(verify(header), String(header)).toBe(false);
    }
  });

  it('accepts a header with several v1 signatures when one matches (secret rotation)', () => {
    const other = signWebhookBody('an-older-secret-0123456789abcdef', BODY, T).split('v1=')[1];
    expect(verify(`t=${T},v1=${other},v1=${EXPECTED_HMAC}`)).toBe(true);
    expect(verify(`t=${T}, v1=${other}`)).toBe(false);
  });
});

describe('orderEvent', () => {
  it('is the versioned webhook body of a timeline entry, with the order as it stands', () => {
    const order = { orderId: 'ord_1', externalId: 'web-10001', channel: 'web', status: 'allocated' } as OrderState;
    const entry = { id: timelineEntryId('ord_1', 3), at: '2026-11-28T09:30:00.000Z', type: 'allocated', message: 'Allocated to wh-berlin' };

    expect(orderEvent(order, entry)).toEqual({
      version: 1,
      id: 'ord_1-3',
      type: 'allocated',
      orderId: 'ord_1',
      externalId: 'web-10001',
      channel: 'web',
      status: 'allocated',
      occurredAt: '2026-11-28T09:30:00.000Z',
      message: 'Allocated to wh-berlin',
    });
  });
});
