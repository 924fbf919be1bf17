/**
 * The API while a dependency is down. Its database: a FerretDB of this file's own is stopped under it.
 * Temporal: an app whose client points at an address where nothing listens. Requests get a 503 problem
 * with Retry-After within seconds (not a 500, not a long hang), liveness stays up while readiness says
 * what is down, and everything answers again once the database is back. The rate limits, counted in the
 * database, hold a request up no longer than RATE_LIMIT_STORE_WAIT_MS, and still apply, per process.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createApp, DATABASE_WAIT_MS, temporalConnectionOptions } from '../../api/app.js';
import { RATE_LIMIT_STORE_WAIT_MS } from '../../api/rate-limits.js';
import { connectMongo, disconnectMongo } from '../../persistence/connection.js';
import { findFreePort } from '../../stack/processes.js';
import type { FerretDBServer } from '../../stack/services.js';
import { PLACES, seedWarehouse, setStock, TEST_INVENTORY, TEST_ORDER_EVENTS_RETENTION_MS, TEST_ORDER_POLICY } from '../support/fixtures.js';
import { testMailer } from '../support/mail.js';
import { ownFerretDB, type OwnServer } from '../support/own-servers.js';
import { apiClient, expectProblem, KEYS, orderBody, type ApiCall } from './harness.js';

let ferretdb: OwnServer<FerretDBServer>;
let server: Server;
let connection: Connection;
let api: ApiCall;

beforeAll(async () => {
  ferretdb = await ownFerretDB();
  await connectMongo(ferretdb.current.uri('oms_outage'), { waitMs: DATABASE_WAIT_MS });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  const temporal = new Client({ connection, namespace: 'default' });
  const app = createApp({ temporal, taskQueue: 'outage-no-worker', inventory: TEST_INVENTORY, mailer: testMailer(), orderPolicy: TEST_ORDER_POLICY, orderEventsRetentionMs: TEST_ORDER_EVENTS_RETENTION_MS, env: { LOG_LEVEL: 'error' } });
  server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  api = apiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await disconnectMongo().catch(() => {});
  await connection?.close();
  await ferretdb?.stop();
});

describe('when the database is down', () => {
  it('answers 503 with Retry-After within seconds, keeps liveness up, and recovers when it is back', async () => {
    expect((await api('GET', '/health/ready')).status).toBe(200);
    await ferretdb.current.stop();

    for (const [method, route, key, body] of [
      ['GET', '/v1/orders/ord_0123456789abcdef01234567', KEYS.support, undefined],
      ['GET', '/v1/orders', KEYS.support, undefined],
      ['PUT', '/v1/inventory/SKU-1/wh-1', KEYS.admin, { onHand: 1 }],
    ] as const) {
      const started = Date.now();
      const response = await api(method, route, key, body);
      expect(Date.now() - started, `${method} ${route}`).toBeLessThan(DATABASE_WAIT_MS + 3_000);
      const problem = expectProblem(response, 503);
      expect(problem.detail).toMatch(/database cannot be reached/);
      expect(response.headers.get('retry-after')).toBe('5');
    }
    expect((await api('GET', '/health/live')).status).toBe(200);
    const ready = await api('GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', checks: { mongo: false, temporal: true } });

    expect((await api('GET', '/metrics')).body).toMatch(/oms_dependency_unavailable_total\{dependency="database"\} 3/);

    await ferretdb.restart();
    await vi.waitFor(async () => expect((await api('GET', '/health/ready')).status).toBe(200), { timeout: 30_000, interval: 500 });
    expectProblem(await api('GET', '/v1/orders/ord_0123456789abcdef01234567', KEYS.support), 404);
  });
});

describe('when the database holding the rate limits is down', () => {
  it('still serves requests, each API process counting the limits alone, in memory', async () => {
    const temporal = new Client({ connection, namespace: 'default' });
    const app = createApp({ temporal, taskQueue: 'outage-no-worker', inventory: TEST_INVENTORY, mailer: testMailer(), orderPolicy: TEST_ORDER_POLICY, orderEventsRetentionMs: TEST_ORDER_EVENTS_RETENTION_MS, env: { LOG_LEVEL: 'error', RATE_LIMIT_PER_KEY: '3', RATE_LIMIT_FAILED_AUTH: '2' } });
    const limited: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const call = apiClient(`http://127.0.0.1:${(limited.address() as AddressInfo).port}`);
    await ferretdb.current.stop();
    try {
      // OPTIONS answers from the OpenAPI document: past the key and its limit, it needs no database.
      const started = Date.now();
      const options = [];
      for (let i = 0; i < 4; i++) options.push(await call('OPTIONS', '/v1/orders', KEYS.support));
      expect(options.map(({ status }) => status)).toEqual([204, 204, 204, 429]);
      expect(options[0].headers.get('ratelimit')).toMatch(/"per-key"; ?r=2; ?t=\d+/);
      expectProblem(options[3], 429);
      const wrong = [];
      for (let i = 0; i < 3; i++) wrong.push((await call('OPTIONS', '/v1/orders', 'not-a-key-0123456789abcdef')).status);
      expect(wrong).toEqual([401, 401, 429]);
      expect((await call('OPTIONS', '/v1/orders', KEYS.warehouse)).status).toBe(204);
      // The store is given RATE_LIMIT_STORE_WAIT_MS once, then left alone for a while.
      expect(Date.now() - started).toBeLessThan(RATE_LIMIT_STORE_WAIT_MS + 2_000);
    } finally {
      limited.closeAllConnections();
      await new Promise((resolve) => limited.close(resolve));
      await ferretdb.restart();
      await vi.waitFor(async () => expect((await api('GET', '/health/ready')).status).toBe(200), { timeout: 30_000, interval: 500 });
    }
  });
});

describe('when Temporal cannot be reached', () => {
  it('answers an order with 503 and Retry-After, and readiness names Temporal', async () => {
    await seedWarehouse('wh-outage', PLACES.berlin);
    await setStock('SKU-OUTAGE', 'wh-outage', 5);
    const nowhere = Connection.lazy(temporalConnectionOptions({ address: `127.0.0.1:${await findFreePort()}` }));
    const app = createApp({ temporal: new Client({ connection: nowhere, namespace: 'default' }), taskQueue: 'outage-no-worker', inventory: TEST_INVENTORY, mailer: testMailer(), orderPolicy: TEST_ORDER_POLICY, orderEventsRetentionMs: TEST_ORDER_EVENTS_RETENTION_MS, env: { LOG_LEVEL: 'error' } });
    const withoutTemporal: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const call = apiClient(`http://127.0.0.1:${(withoutTemporal.address() as AddressInfo).port}`);
      const started = Date.now();
      const response = await call('POST', '/v1/orders', KEYS.web, orderBody('outage-1', 'SKU-OUTAGE'));
      expect(Date.now() - started).toBeLessThan(8_000);
      const problem = expectProblem(response, 503);
      expect(problem.detail).toMatch(/Temporal cannot be reached/);
      expect(response.headers.get('retry-after')).toBe('5');
      const ready = await call('GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ checks: { mongo: true, temporal: false } });
    } finally {
      withoutTemporal.closeAllConnections();
      await new Promise((resolve) => withoutTemporal.close(resolve));
      await nowhere.close();
    }
  });
});
