/**
 * Stopping the API (api/main.ts as a process of its own) with SIGTERM, as a deploy does. The request in
 * flight is a cancellation: an Update of an order whose task queue has no worker yet, so it waits in the
 * API until a worker takes the order. Within the grace period the API stops listening, lets that request
 * finish once a worker comes, and exits 0; past the grace period it cuts what is left and exits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PLACES, seedWarehouse, setStock, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { connectSuiteTemporal, createSuiteOrderWorker, type SuiteTemporal } from '../support/suite-temporal.js';
import { bundleOrderWorkflows, uniqueTaskQueue, type WorkflowBundle } from '../support/workflow-env.js';
import { startApiProcess, killNodeProcesses, type ApiProcess } from '../support/node-processes.js';
import { apiClient, KEYS, orderBody, type ApiResponse } from './harness.js';

/** Long enough for the API process to have read the request and sent the Update on a loaded machine. */
const REQUEST_UNDER_WAY_MS = 2_000;

let temporal: SuiteTemporal;
let workflowBundle: WorkflowBundle;
let db: { uri: string; close: () => Promise<void> };
let worker: { worker: Worker; run: Promise<void> } | undefined;
const warehouseId = uniqueId('wh-shutdown');

beforeAll(async () => {
  db = await useTestDatabase('api_shutdown');
  await seedWarehouse(warehouseId, PLACES.berlin);
  [temporal, workflowBundle] = await Promise.all([connectSuiteTemporal(), bundleOrderWorkflows()]);
});

afterEach(async () => {
  worker?.worker.shutdown();
  await worker?.run;
  worker = undefined;
  await killNodeProcesses();
});

afterAll(async () => {
  await temporal?.close();
  await db?.close();
});

/** The API on a task queue nobody polls yet, and a cancellation of a new order under way in it. */
async function cancellationInFlight(shutdownGrace: string): Promise<{ api: ApiProcess; taskQueue: string; answer: Promise<ApiResponse> }> {
  const taskQueue = uniqueTaskQueue();
  const api = await startApiProcess({ mongoUri: db.uri, taskQueue, env: { SHUTDOWN_GRACE: shutdownGrace } });
  const call = apiClient(api.baseUrl);
  const sku = uniqueId('SKU-SHUTDOWN');
  await setStock(sku, warehouseId, 5);
  const placed = await call('POST', '/v1/orders', KEYS.web, orderBody(uniqueId('ext'), sku));
  expect(placed.status).toBe(202);
  const answer = call('POST', `/v1/orders/${placed.body.orderId}/cancel`, KEYS.web, { reason: 'customer changed their mind' });
  await sleep(REQUEST_UNDER_WAY_MS);
  return { api, taskQueue, answer };
}

describe('stopping the API', () => {
  it('stops listening, lets the request in flight finish, then exits 0', async () => {
    const { api, taskQueue, answer } = await cancellationInFlight('60s');
    const stopped = api.stop('SIGTERM', 90_000);
    await api.waitForLine(/no new requests/, 10_000);

    // A new connection is refused at once: the load balancer sends it elsewhere.
    await expect(fetch(`${api.baseUrl}/health/live`)).rejects.toThrow();

    const started = await createSuiteOrderWorker(temporal, taskQueue, workflowBundle);
    worker = { worker: started, run: started.run() };
    const response = await answer;
    expect(response.status).toBe(202);
    expect(response.body.status).toBe('cancelled');
    expect(await stopped).toEqual({ code: 0, signal: null });
    await api.waitForLine(/every request in flight finished/, 1_000);
  }, 150_000);

  it('cuts the requests still running when the grace period ends, and exits 0', async () => {
    const { api, answer } = await cancellationInFlight('2s');
    const signalledAt = Date.now();
    const cut = expect(answer).rejects.toThrow();
    expect(await api.stop('SIGTERM', 30_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(2_000);
    await cut;
    await api.waitForLine(/grace period ended with requests still running/, 1_000);
  }, 120_000);
});
