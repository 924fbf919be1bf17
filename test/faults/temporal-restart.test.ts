/**
 * Fault: the Temporal server dies. A dev server of this file's own (history in a SQLite file) serves an
 * API process (api/main.ts) and an order worker process (worker/main.ts). An order comes in through the
 * API, and the server is killed with SIGKILL while the worker is in the middle of an activity: the order's
 * confirmation email, held at the mail server's greeting by a proxy. The email goes out while the server
 * is down, and a warehouse reporting a shipment meanwhile gets a 503 with Retry-After. The server is
 * started again on the same port with the same database; the same worker and API processes reconnect by
 * themselves, the warehouse's retry goes through, and the order ends delivered with every effect exactly
 * once. FerretDB and Mailpit are the suite's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { orderWorkflowId } from '../../contracts/ids.js';
import { getOrderQuery } from '../../contracts/messages.js';
import type { TemporalDevServer } from '../../stack/services.js';
import type { orderWorkflow } from '../../workflows/order/workflow.js';
import { apiClient, KEYS, type ApiCall, type ApiResponse } from '../api/harness.js';
import { PLACES, seedWarehouse, useTestDatabase } from '../support/fixtures.js';
import { testSmtpUrl } from '../support/mail.js';
import { expectEachEffectOnce, ORDERS_END_AT_DELIVERY, splitOrderRequest, stockSplitSkus } from '../support/order-effects.js';
import { resultWithin, workerOf, workflowTaskWorkers } from '../support/order-history.js';
import { ownTemporal, type OwnServer } from '../support/own-servers.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startApiProcess, startWorkerProcess, killNodeProcesses } from '../support/node-processes.js';
import { uniqueTaskQueue } from '../support/workflow-env.js';

/** How long the server stays down: longer than a few of the worker's poll retries. */
const DOWN_MS = 10_000;

let temporal: OwnServer<TemporalDevServer>;
let connection: Connection;
let client: Client;
let db: { uri: string; close: () => Promise<void> };
let smtp: TcpProxy;

beforeAll(async () => {
  const mailpit = new URL(testSmtpUrl());
  [temporal, db, smtp] = await Promise.all([
    ownTemporal(),
    useTestDatabase('fault_temporal_restart'),
    startTcpProxy({ host: mailpit.hostname, port: Number(mailpit.port) }),
  ]);
  connection = await Connection.connect({ address: temporal.current.address });
  client = new Client({ connection, namespace: 'default' });
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
});

afterEach(killNodeProcesses);

afterAll(async () => {
  await connection?.close();
  await smtp?.close();
  await temporal?.stop();
  await db?.close();
});

/** A warehouse's report of a shipment event, sent again after a 503 (as its Retry-After asks) until it is taken. */
async function reportUntilTaken(api: ApiCall, shipmentId: string, type: 'shipped' | 'delivered'): Promise<ApiResponse> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await api('POST', `/v1/shipments/${shipmentId}/events`, KEYS.warehouse, { type });
    if (response.status !== 503 || Date.now() > deadline) return response;
    await sleep(1_000);
  }
}

describe('Temporal server killed and restarted', () => {
  it(
    'the worker and API processes reconnect by themselves and the order, mid-activity at the kill, ends delivered with every effect once',
    async () => {
      const { body, captureByWarehouse } = splitOrderRequest(await stockSplitSkus(), 'temporal-restart');
      const taskQueue = uniqueTaskQueue();
      const servers = { temporalAddress: temporal.current.address, mongoUri: db.uri, taskQueue };
      const [worker, apiProcess] = await Promise.all([
        startWorkerProcess({ ...servers, script: 'worker/main.ts', smtpUrl: `smtp://${smtp.address}` }),
        startApiProcess({ ...servers, env: { ...ORDERS_END_AT_DELIVERY, LOG_LEVEL: 'error' } }),
      ]);
      const api = apiClient(apiProcess.baseUrl);

      // The mail server's greeting is held: the confirmation email's activity waits for it.
      smtp.pause('toClient');
      const accepted = await api('POST', '/v1/orders', KEYS.web, body);
      expect(accepted.status).toBe(202);
      const { orderId } = accepted.body as { orderId: string };
      const handle = client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId));
      await smtp.waitForHeld('toClient', 1, 120_000);
      const { shipments } = await handle.query(getOrderQuery);

      await temporal.kill();
      const downSince = Date.now();
      // The email goes out while the server is down; the worker cannot report it until the server is back.
      smtp.resume('toClient');
      // A warehouse reporting meanwhile is told to come back later.
      const [first, second] = shipments;
      const refused = await api('POST', `/v1/shipments/${first.shipmentId}/events`, KEYS.warehouse, { type: 'shipped' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      await sleep(Math.max(0, DOWN_MS - (Date.now() - downSince)));
      await temporal.restart();

      for (const shipment of [first, second]) expect((await reportUntilTaken(api, shipment.shipmentId, 'shipped')).status).toBe(202);
      for (const shipment of [first, second]) expect((await reportUntilTaken(api, shipment.shipmentId, 'delivered')).status).toBe(202);
      // The confirmation's activity, its report lost with the server, is run again after its timeout (30 s).
      const outcome = await resultWithin(handle, 120_000);

      expect(outcome).toEqual({ orderId, status: 'delivered' });
      // One worker process ran the order throughout: the one that lived through the outage.
      expect(await workflowTaskWorkers(handle)).toEqual([workerOf(worker.pid)]);
      const state = await handle.query(getOrderQuery);
      await expectEachEffectOnce({ input: state, captureByWarehouse }, state.shipments);
    },
    300_000,
  );
});
