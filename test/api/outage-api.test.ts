/**
 * The API while a dependency is down. Its database: a FerretDB of this file's own is stopped under it.
 * Temporal: an app whose client points at an address where nothing listens. Requests get a 503 problem
 * with Retry-After within seconds (not a 500, not a long hang), liveness stays up while readiness says
 * what is down, and everything answers again once the database is back.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createApp, DATABASE_WAIT_MS, temporalConnectionOptions } from '../../api/app.js';
import { connectMongo, disconnectMongo } from '../../persistence/connection.js';
import { findFreePort } from '../../stack/processes.js';
import type { FerretDBServer } from '../../stack/services.js';
import { PLACES, seedWarehouse, setStock, TEST_INVENTORY, TEST_ORDER_POLICY } from '../support/fixtures.js';
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
  const app = createApp({ temporal, taskQueue: 'outage-no-worker', inventory: TEST_INVENTORY, mailer: testMailer(), orderPolicy: TEST_ORDER_POLICY, env: { LOG_LEVEL: 'error' } });
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

describe('when Temporal cannot be reached', () => {
  it('answers an order with 503 and Retry-After, and readiness names Temporal', async () => {
    await seedWarehouse('wh-outage', PLACES.berlin);
    await setStock('SKU-OUTAGE', 'wh-outage', 5);
    const nowhere = Connection.lazy(temporalConnectionOptions({ address: `127.0.0.1:${await findFreePort()}` }));
    const app = createApp({ temporal: new Client({ connection: nowhere, namespace: 'default' }), taskQueue: 'outage-no-worker', inventory: TEST_INVENTORY, mailer: testMailer(), orderPolicy: TEST_ORDER_POLICY, env: { LOG_LEVEL: 'error' } });
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
