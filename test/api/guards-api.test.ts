/**
 * What every request passes before a route (api/guards.ts), over real HTTP: security headers, 415 for a body
 * that is not JSON, 405 with Allow, and the rate limits per key and on failed authentication, with their
 * standard headers. The API here runs with low limits so they are reached quickly; no worker is needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACES, seedWarehouse, setStock } from '../support/fixtures.js';
import { KEYS, expectProblem, orderBody, startApi, type ApiHarness } from './harness.js';

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApi({ database: 'api_guards', worker: false, env: { RATE_LIMIT_PER_KEY: '5', RATE_LIMIT_FAILED_AUTH: '3', LOG_LEVEL: 'warn' } });
});

afterAll(async () => {
  await harness?.close();
});

describe('headers and methods', () => {
  it('sends security headers on API answers', async () => {
    const response = await harness.api('GET', '/health');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('refuses a body that is not JSON with 415, and starts nothing', async () => {
    const response = await fetch(`${harness.baseUrl}/v1/warehouses/wh-xml`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/xml' },
      body: '<warehouse><name>XML</name></warehouse>',
    });
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await response.json()).detail).toMatch(/application\/json.*not application\/xml/);
    const form = await fetch(`${harness.baseUrl}/v1/warehouses/wh-xml`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=XML',
    });
    expect(form.status).toBe(415);
    expectProblem(await harness.api('GET', '/v1/inventory/NONE', KEYS.admin), 404);
  });

  it('answers a method a path does not take with 405 and Allow', async () => {
    const orders = await harness.api('DELETE', '/v1/orders', KEYS.warehouse);
    expectProblem(orders, 405);
    expect(orders.headers.get('allow')).toBe('GET, POST, HEAD');
    const order = await harness.api('PUT', '/v1/orders/ord_0123456789abcdef01234567', KEYS.warehouse, {});
    expectProblem(order, 405);
    expect(order.headers.get('allow')).toBe('GET, HEAD');
    expectProblem(await harness.api('GET', '/v1/nothing-here', KEYS.warehouse), 404);
  });

  it("names the methods of the path's most specific template, for OPTIONS and in a 405", async () => {
    // /v1/inventory/{sku}/movements, not /v1/inventory/{sku}/{warehouseId} (PUT), whose pattern it also fits.
    const options = await harness.api('OPTIONS', '/v1/inventory/SKU-1/movements', KEYS.warehouse);
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD');
    const put = await harness.api('PUT', '/v1/inventory/SKU-1/movements', KEYS.warehouse, { onHand: 1 });
    expectProblem(put, 405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
  });
});

// Each test uses keys of its own: the limit per key is 5 a minute here.
describe('request ids', () => {
  it("answers with the client's X-Request-Id, or a new one, and records it on the order's workflow", async () => {
    expect((await harness.api('GET', '/health/live', undefined, undefined, { 'x-request-id': 'req-abc.123' })).headers.get('x-request-id')).toBe('req-abc.123');
    const generated = (await harness.api('GET', '/health/live', undefined, undefined, { 'x-request-id': 'no spaces allowed' })).headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    await seedWarehouse('wh-guards', PLACES.berlin);
    await setStock('SKU-GUARDS', 'wh-guards', 5);
    const placed = await harness.api('POST', '/v1/orders', KEYS.store, orderBody('guards-1', 'SKU-GUARDS'), { 'x-request-id': 'req-order-1' });
    expect(placed.status).toBe(202);
    const description = await harness.temporal.workflow.getHandle(`order-${placed.body.orderId}`).describe();
    expect(description.memo).toMatchObject({ requestId: 'req-order-1' });
  });
});

describe('rate limits', () => {
  it('lets a key send its limit per minute, then answers 429 with Retry-After and the RateLimit headers', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await fetch(`${harness.baseUrl}/v1/orders?limit=1`, { headers: { authorization: `Bearer ${KEYS.support}` } });
      statuses.push(last.status);
      if (i === 0) expect(last.headers.get('ratelimit')).toMatch(/"per-key"; ?r=4; ?t=\d+/);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('ratelimit-policy')).toMatch(/"per-key"; ?q=5; ?w=60/);
    // Another key is not held back by it.
    expect((await fetch(`${harness.baseUrl}/v1/orders?limit=1`, { headers: { authorization: `Bearer ${KEYS.web}` } })).status).toBe(200);
  });

  it('stops an address that keeps presenting wrong keys, at the API and at the console sign-in alike', async () => {
    const wrong = () => fetch(`${harness.baseUrl}/v1/orders`, { headers: { authorization: 'Bearer not-a-key-0123456789abcdef' } });
    expect((await wrong()).status).toBe(401);
    expect((await wrong()).status).toBe(401);
    // A wrong key at the console's sign-in form (with the form's CSRF token) counts too.
    const form = await fetch(`${harness.baseUrl}/console/sign-in`);
    const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
    const signIn = await fetch(`${harness.baseUrl}/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ _csrf: token, apiKey: 'also-not-a-key-0123456789' }),
    });
    expect(signIn.status).toBe(401);
    const blocked = await wrong();
    expect(blocked.status).toBe(429);
    expect((await blocked.json()).detail).toMatch(/invalid API key/);
    // Until the window passes, even a valid key from this address waits.
    expect((await fetch(`${harness.baseUrl}/v1/orders`, { headers: { authorization: `Bearer ${KEYS.admin}` } })).status).toBe(429);
  });
});
