/**
 * The API's edges over real HTTP, FerretDB and Temporal: authentication and the problem format every error
 * shares, warehouses and inventory, intake's own part of an order, health, the OpenAPI document and the docs
 * page. No worker runs: an order started here stays as intake left it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, expectProblem, startApi, type ApiCall, type ApiHarness } from './harness.js';
import { PLACES, uniqueId } from '../support/fixtures.js';

let harness: ApiHarness;
let api: ApiCall;

beforeAll(async () => {
  harness = await startApi({ database: 'api_catalog', worker: false });
  api = harness.api;
});

afterAll(async () => {
  await harness?.close();
});

const warehouseBody = (name: string, place: (typeof PLACES)[keyof typeof PLACES] = PLACES.berlin) => ({
  name,
  country: place.country,
  location: place.location,
});

/** Creates a warehouse through the API and returns its id. */
async function createWarehouse(place: (typeof PLACES)[keyof typeof PLACES] = PLACES.berlin): Promise<string> {
  const warehouseId = uniqueId('wh');
  const response = await api('PUT', `/v1/warehouses/${warehouseId}`, KEYS.admin, warehouseBody(warehouseId, place));
  expect(response.status).toBe(201);
  return warehouseId;
}

const ORDER = {
  externalId: 'auth-probe',
  customer: { id: 'c-1', email: 'c@example.com' },
  shippingAddress: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
  lines: [{ sku: 'ANY', quantity: 1, unitPrice: 100 }],
  currency: 'EUR',
  payment: { token: 'tok_ok' },
};

describe('authentication and roles', () => {
  it('rejects a request without an API key with 401', async () => {
    const problem = expectProblem(await api('GET', '/v1/orders'), 401);
    expect(problem.detail).toMatch(/Bearer/);
  });

  it('rejects an Authorization header that is not a bearer key with 401', async () => {
    const response = await fetch(`${harness.baseUrl}/v1/orders`, { headers: { authorization: 'Basic ZGV2OmRldg==' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('rejects an unknown API key with 401', async () => {
    expectProblem(await api('GET', '/v1/orders', 'not-a-real-key-0123456789'), 401);
    expectProblem(await api('POST', '/v1/orders', 'dev-channel-web-but-longer', ORDER), 401);
  });

  it('checks the key before it reads the body', async () => {
    expectProblem(await api('POST', '/v1/orders', undefined, '{"not json'), 401);
  });

  it('forbids a channel to create a warehouse (403)', async () => {
    const warehouseId = uniqueId('wh');
    const problem = expectProblem(await api('PUT', `/v1/warehouses/${warehouseId}`, KEYS.web, warehouseBody('Nope')), 403);
    expect(problem.detail).toMatch(/admin/);
    // and nothing was created: the admin's PUT is the first one
    expect((await api('PUT', `/v1/warehouses/${warehouseId}`, KEYS.admin, warehouseBody('Yes'))).status).toBe(201);
  });

  it('forbids a warehouse to submit an order (403)', async () => {
    expectProblem(await api('POST', '/v1/orders', KEYS.warehouse, ORDER), 403);
  });

  it('forbids support and channels to set stock (403), but lets a warehouse', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('SKU');
    expectProblem(await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.support, { onHand: 1 }), 403);
    expectProblem(await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.store, { onHand: 1 }), 403);
    expect((await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.warehouse, { onHand: 1 })).status).toBe(200);
  });

  it('forbids a warehouse to read orders (403)', async () => {
    expectProblem(await api('GET', '/v1/orders', KEYS.warehouse), 403);
    expectProblem(await api('GET', '/v1/orders/ord_000000000000000000000000', KEYS.warehouse), 403);
  });

  it('answers an unknown route with a 404 problem', async () => {
    expectProblem(await api('GET', '/v1/nothing-here', KEYS.admin), 404);
    expectProblem(await api('GET', '/nothing-here'), 404);
  });
});

describe('warehouses', () => {
  it('creates a warehouse with 201, and replaces it with 200 on a repeated PUT', async () => {
    const warehouseId = uniqueId('wh');
    const created = await api('PUT', `/v1/warehouses/${warehouseId}`, KEYS.admin, warehouseBody('Berlin DC'));
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      warehouseId,
      name: 'Berlin DC',
      country: 'DE',
      location: PLACES.berlin.location,
      active: true,
      priority: 0,
    });

    const replaced = await api('PUT', `/v1/warehouses/${warehouseId}`, KEYS.admin, warehouseBody('Paris DC', PLACES.paris));
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ warehouseId, name: 'Paris DC', country: 'FR', location: PLACES.paris.location });
  });

  it('rejects an invalid warehouse with 400 naming the field', async () => {
    const warehouseId = uniqueId('wh');
    const problem = expectProblem(
      await api('PUT', `/v1/warehouses/${warehouseId}`, KEYS.admin, { ...warehouseBody('X'), country: 'Germany' }),
      400,
    );
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'country' })]);
    // nothing was stored: stock cannot be set there
    expectProblem(await api('PUT', `/v1/inventory/SKU-1/${warehouseId}`, KEYS.admin, { onHand: 1 }), 404);
  });

  it('rejects a warehouse id with characters outside the documented set', async () => {
    const problem = expectProblem(await api('PUT', '/v1/warehouses/wh%20berlin', KEYS.admin, warehouseBody('X')), 400);
    expect(problem.errors?.[0].path).toMatch(/^path/);
  });
});

describe('inventory', () => {
  it('sets the on-hand count of a SKU at a warehouse and answers with its level', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('SKU');
    const set = await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.admin, { onHand: 12 });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ sku, warehouseId, onHand: 12, reserved: 0, safetyStock: 0, available: 12 });

    // A second PUT sets the count, it does not add to it.
    const lowered = await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.warehouse, { onHand: 5 });
    expect(lowered.body).toEqual({ sku, warehouseId, onHand: 5, reserved: 0, safetyStock: 0, available: 5 });
  });

  it('answers 404 for stock at an unknown warehouse, and records nothing', async () => {
    const sku = uniqueId('SKU');
    const problem = expectProblem(await api('PUT', `/v1/inventory/${sku}/wh-nowhere`, KEYS.admin, { onHand: 3 }), 404);
    expect(problem.detail).toMatch(/wh-nowhere/);
    expectProblem(await api('GET', `/v1/inventory/${sku}`, KEYS.admin), 404);
  });

  it.each([
    ['negative', { onHand: -1 }],
    ['fractional', { onHand: 1.5 }],
    ['missing', {}],
  ])('rejects a %s on-hand count with 400 naming onHand', async (_label, body) => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('SKU');
    const problem = expectProblem(await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.admin, body), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'onHand' })]);
    expectProblem(await api('GET', `/v1/inventory/${sku}`, KEYS.admin), 404);
  });

  it('sums a SKU over the warehouses that stock it', async () => {
    const [berlin, paris] = [await createWarehouse(PLACES.berlin), await createWarehouse(PLACES.paris)];
    const sku = uniqueId('SKU');
    await api('PUT', `/v1/inventory/${sku}/${berlin}`, KEYS.admin, { onHand: 7 });
    await api('PUT', `/v1/inventory/${sku}/${paris}`, KEYS.admin, { onHand: 5 });

    const availability = await api('GET', `/v1/inventory/${sku}`, KEYS.web);
    expect(availability.status).toBe(200);
    expect(availability.body).toEqual({
      sku,
      available: 12,
      locations: expect.arrayContaining([
        { warehouseId: berlin, onHand: 7, reserved: 0, available: 7 },
        { warehouseId: paris, onHand: 5, reserved: 0, available: 5 },
      ]),
    });
    expect(availability.body.locations).toHaveLength(2);
  });

  it('answers 404 for a SKU that no warehouse stocks', async () => {
    const problem = expectProblem(await api('GET', `/v1/inventory/${uniqueId('NOPE')}`, KEYS.support), 404);
    expect(problem.title).toBe('Not found');
  });
});

describe('intake without a worker', () => {
  it('stores an accepted order as received, so it is read at once, before its workflow runs', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('SKU');
    await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.admin, { onHand: 3 });
    const accepted = await api('POST', '/v1/orders', KEYS.web, { ...ORDER, externalId: uniqueId('ext'), lines: [{ sku, quantity: 1, unitPrice: 100 }] });
    expect(accepted.status).toBe(202);
    const { orderId } = accepted.body;

    // No worker runs on this task queue, so only intake can have stored it.
    const read = await api('GET', `/v1/orders/${orderId}`, KEYS.web);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ orderId, status: 'received', lines: [{ sku, quantity: 1 }], payment: { status: 'pending', authorized: 0 } });
  });
});

describe('health and documentation', () => {
  it('reports healthy when MongoDB and Temporal answer', async () => {
    const response = await api('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'ok', checks: { mongo: true, temporal: true } });
  });

  it('serves an OpenAPI 3.1 document that lists the v1 paths', async () => {
    const response = await api('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/orders',
        '/v1/orders/{orderId}',
        '/v1/orders/{orderId}/cancel',
        '/v1/shipments/{shipmentId}/events',
        '/v1/warehouses/{warehouseId}',
        '/v1/inventory/{sku}/{warehouseId}',
        '/v1/inventory/{sku}',
      ]),
    );
    expect(response.body.paths['/v1/orders'].post.responses).toHaveProperty('202');
  });

  it('lists the answers every operation shares: 401, 403, 429 and 503 with Retry-After; 400, 413 and 415 where a body is sent', async () => {
    const { paths, components } = (await api('GET', '/openapi.json')).body;
    const operations = Object.entries(paths as Record<string, Record<string, any>>)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ name: `${method} ${path}`, operation })));
    expect(operations.length).toBeGreaterThan(20);
    for (const { name, operation } of operations) {
      const codes = Object.keys(operation.responses);
      expect(codes, name).toEqual(expect.arrayContaining(['401', '403', '429', '503']));
      if (operation.requestBody) expect(codes, name).toEqual(expect.arrayContaining(['400', '413', '415']));
      if (operation.parameters?.length) expect(codes, name).toContain('400');
    }
    expect(components.responses.TooManyRequests.headers['Retry-After'].required).toBe(true);
    expect(components.responses.ServiceUnavailable.headers['Retry-After'].required).toBe(true);
    expect(components.responses.MethodNotAllowed.headers.Allow.required).toBe(true);
    expect(paths['/v1/orders'].post.requestBody.required).toBe(true);
    // A reconciliation without a body checks everything.
    expect(paths['/v1/admin/reconciliation'].post.requestBody.required).toBe(false);
  });

  it('refuses each operation to the roles its document does not name (x-roles and the summary say the same)', async () => {
    const { paths } = (await api('GET', '/openapi.json')).body;
    const keyOf = { channel: KEYS.web, support: KEYS.support, warehouse: KEYS.warehouse, admin: KEYS.admin } as const;
    let refused = 0;
    for (const [path, methods] of Object.entries(paths as Record<string, Record<string, any>>).filter(([p]) => p.startsWith('/v1/'))) {
      for (const [method, operation] of Object.entries(methods)) {
        const roles: string[] = operation['x-roles'];
        expect(roles, `${method} ${path}`).toBeDefined();
        expect(operation.summary, `${method} ${path}`).toMatch(roles.length === 4 ? /\(any role\)$/ : new RegExp(`\\(${roles.join(', ')}\\)$`));
        // The role check comes before the path and body are read: any values do.
        const url = path.replace(/\{[^}]+\}/g, 'x');
        for (const [role, key] of Object.entries(keyOf).filter(([role]) => !roles.includes(role))) {
          const response = await api(method.toUpperCase(), url, key, method === 'get' || method === 'delete' ? undefined : {});
          expect(response.status, `${role} may not ${method} ${path}`).toBe(403);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(30);
  });

  it('serves the docs page with its scripts and styles from this server, not a CDN', async () => {
    const page = await api('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const assets = [...(page.body as string).matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      expect(asset, 'asset served locally').toMatch(/^\/(?!\/)/);
      const response = await fetch(`${harness.baseUrl}${asset}`);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-type'), asset).toMatch(/javascript|css/);
      expect((await response.text()).length, asset).toBeGreaterThan(0);
    }
  });
});
