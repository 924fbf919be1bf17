/**
 * What every request passes before a route (api/guards.ts, api/rate-limits.ts), over real HTTP: security
 * headers, 415 for a body that is not JSON, 405 with Allow, and the rate limits per key and on failed
 * authentication, with their standard headers: shared by two API apps on one database as by two
 * processes, never refusing a valid key for its address's failures, and by the client's address behind a
 * trusted proxy. The API here runs with low limits so they are reached quickly; no worker is needed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACES, seedWarehouse, setStock } from '../support/fixtures.js';
import { KEYS, expectProblem, orderBody, startApi, type ApiCall, type ApiHarness } from './harness.js';

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

/**
 * Rate-limit windows are fixed, each minute (and quarter hour) of the clock (api/rate-limits.ts): waits,
 * when the current window is nearly over, for the next, so that a test's requests fall in one window.
 */
async function inOneWindow(windowSeconds: number): Promise<void> {
  const left = windowSeconds * 1000 - (Date.now() % (windowSeconds * 1000));
  if (left < 20_000) await sleep(left + 100);
}

const WRONG_KEY = 'not-a-key-0123456789abcdef';

describe('rate limits', () => {
  it('lets a key send its limit per minute, then answers 429 with Retry-After and the RateLimit headers', async () => {
    await inOneWindow(60);
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

  it('counts a key in the database that all API processes share: its limit across two of them, then 429 on either', async () => {
    await inOneWindow(60);
    const keys = { one: 'shared-limit-key-0123456789', burst: 'burst-limit-key-0123456789' };
    const env = { API_KEYS: `${keys.one}=channel:shared-one,${keys.burst}=channel:shared-burst` };
    const processes = [await harness.anotherApi(env), await harness.anotherApi(env)];
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await processes[i % 2].api('GET', '/v1/orders?limit=1', keys.one)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expectProblem(await processes[1].api('GET', '/v1/orders?limit=1', keys.one), 429);
    expectProblem(await processes[0].api('GET', '/v1/orders?limit=1', keys.one), 429);

    // At once, too: the count is inserts, which FerretDB never loses, where concurrent $inc would be.
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => processes[i % 2].api('GET', '/v1/orders?limit=1', keys.burst)));
    expect(burst.filter(({ status }) => status === 200)).toHaveLength(5);
    expect(burst.filter(({ status }) => status === 429)).toHaveLength(35);
  });

  it('refuses wrong keys from an address past its failure budget, at the API and the console sign-in alike, but never a valid key', async () => {
    await inOneWindow(15 * 60);
    const wrong = () => harness.api('GET', '/v1/orders', WRONG_KEY);
    const statuses = [(await wrong()).status];
    // A wrong key at the console's sign-in form counts too: the budget here is 3.
    statuses.push((await signIn('also-not-a-key-0123456789')).status);
    for (let i = 0; i < 300; i++) statuses.push((await wrong()).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(new Set(statuses.slice(3))).toEqual(new Set([429]));
    const blocked = await wrong();
    expectProblem(blocked, 429);
    expect(blocked.body.detail).toMatch(/invalid API key/);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.headers.get('ratelimit')).toMatch(/"failed-authentication"; ?r=0; ?t=\d+/);
    expect(blocked.headers.get('ratelimit-policy')).toMatch(/"failed-authentication"; ?q=3; ?w=900/);
    expectProblem(await harness.api('GET', '/v1/orders'), 429);

    // A valid key from the same address goes on, at the API and at the console.
    expect((await harness.api('GET', '/v1/orders?limit=1', KEYS.web)).status).toBe(200);
    const signedIn = await signIn(KEYS.support);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('ratelimit')).toBeNull();
    expect((await signIn('still-not-a-key-0123456789')).status).toBe(429);
  });
});

describe('client addresses', () => {
  const wrongFrom = (api: ApiCall, forwardedFor: string) => api('GET', '/v1/orders', WRONG_KEY, undefined, { 'x-forwarded-for': forwardedFor });

  it('behind a proxy (TRUST_PROXY=1) gives each client its own failure budget, by the address the proxy adds', async () => {
    await inOneWindow(15 * 60);
    const { api } = await harness.anotherApi({ TRUST_PROXY: '1' });
    const first = [];
    for (let i = 0; i < 4; i++) first.push((await wrongFrom(api, '203.0.113.10')).status);
    expect(first).toEqual([401, 401, 401, 429]);
    // Naming another address before the proxy's own entry changes nothing.
    expect((await wrongFrom(api, '198.51.100.1, 203.0.113.10')).status).toBe(429);
    // Another client behind the same proxy has its own budget.
    expect((await wrongFrom(api, '203.0.113.20')).status).toBe(401);
  });

  it('without TRUST_PROXY ignores X-Forwarded-For, so a client cannot leave its budget by naming other addresses', async () => {
    await inOneWindow(15 * 60);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await wrongFrom(harness.api, `198.51.100.${i + 10}`)).status);
    // Each new address would have its own budget of 3 if the header counted.
    expect(statuses.at(-1)).toBe(429);
  });

  it('refuses a TRUST_PROXY that is not false, a number of proxies or addresses, naming it', async () => {
    for (const value of ['true', 'yes', '10.0.0.0/33', '-1']) {
      await expect(harness.anotherApi({ TRUST_PROXY: value })).rejects.toThrow(new RegExp(`^TRUST_PROXY must be .*"${value.replace(/[./]/g, '\\$&')}"`));
    }
  });
});

/** Posts the console's sign-in form (with its CSRF token) with `apiKey`, not following the redirect. */
async function signIn(apiKey: string): Promise<Response> {
  const form = await fetch(`${harness.baseUrl}/console/sign-in`);
  const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  return fetch(`${harness.baseUrl}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: token, apiKey }),
  });
}
