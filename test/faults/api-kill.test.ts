/**
 * Fault: the API dies in the middle of `POST /v1/orders`. The API runs as an OS process (api/main.ts)
 * whose connection to Temporal passes through a proxy, so the kill (SIGKILL) lands at a chosen point of
 * the request: after the API sent Temporal the start of the order's workflow but before it arrived (the
 * order was not started), or after Temporal started it but before the API heard so (it was). The channel
 * got no answer either way, and sends the same request again to a new API process: exactly one order
 * workflow results, with one authorization, and it ends delivered with every effect once. Temporal,
 * FerretDB and Mailpit are the suite's (none of them is killed); the order worker runs in this process.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { orderIdFor, orderWorkflowId } from '../../contracts/ids.js';
import type { orderWorkflow } from '../../workflows/order/workflow.js';
import { apiClient, KEYS } from '../api/harness.js';
import { PLACES, seedWarehouse, useTestDatabase } from '../support/fixtures.js';
import { expectEachEffectOnce, ORDERS_END_AT_DELIVERY, shipAndDeliver, splitOrderRequest, stockSplitSkus } from '../support/order-effects.js';
import { connectSuiteTemporal, createSuiteOrderWorker, type SuiteTemporal } from '../support/suite-temporal.js';
import { startTcpProxy, type Direction, type TcpProxy } from '../support/tcp-proxy.js';
import { startApiProcess, killNodeProcesses, type ApiProcess } from '../support/node-processes.js';
import { bundleOrderWorkflows, uniqueTaskQueue, waitForStatus } from '../support/workflow-env.js';

let temporal: SuiteTemporal;
let db: { uri: string; close: () => Promise<void> };
let temporalProxy: TcpProxy;
let worker: Worker;
let workerRun: Promise<void>;
const taskQueue = uniqueTaskQueue();

beforeAll(async () => {
  let workflowBundle;
  [temporal, db, workflowBundle] = await Promise.all([connectSuiteTemporal(), useTestDatabase('fault_api_kill'), bundleOrderWorkflows()]);
  const [host, port] = temporal.address.split(':');
  temporalProxy = await startTcpProxy({ host, port: Number(port) });
  worker = await createSuiteOrderWorker(temporal, taskQueue, workflowBundle);
  workerRun = worker.run();
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
});

afterEach(killNodeProcesses);

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await temporalProxy?.close();
  await db?.close();
  await temporal?.close();
});

/** api/main.ts talking to Temporal through the proxy; orders end at delivery (no return window). */
function startApi(): Promise<ApiProcess> {
  return startApiProcess({
    temporalAddress: temporalProxy.address,
    mongoUri: db.uri,
    taskQueue,
    env: { ...ORDERS_END_AT_DELIVERY, LOG_LEVEL: 'error' },
  });
}

/** Whether Temporal has the order's workflow. */
async function workflowExists(orderId: string): Promise<boolean> {
  try {
    await temporal.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

describe('API killed during POST /v1/orders', () => {
  it.each([
    {
      when: 'after it sent the workflow start, before Temporal got it',
      paused: 'toServer' as Direction,
      // The start request (hundreds of bytes; more than a keepalive ping) is held on its way.
      killWhen: (_orderId: string) => temporalProxy.waitForHeld('toServer', 200, 60_000),
      startedBeforeRetry: false,
      retryStatus: 202,
    },
    {
      when: 'after Temporal started the workflow, before the API heard so',
      paused: 'toClient' as Direction,
      killWhen: async (orderId: string) => {
        await expect.poll(() => workflowExists(orderId), { timeout: 60_000, interval: 50 }).toBe(true);
        await temporalProxy.waitForHeld('toClient', 1, 60_000);
      },
      startedBeforeRetry: true,
      retryStatus: 200,
    },
  ])(
    'killed $when: the retried request makes exactly one order, authorized once, delivered',
    async ({ paused, killWhen, startedBeforeRetry, retryStatus }) => {
      const { body, captureByWarehouse } = splitOrderRequest(await stockSplitSkus(), 'api-kill');

      const first = await startApi();
      temporalProxy.pause(paused);
      const request = apiClient(first.baseUrl)('POST', '/v1/orders', KEYS.web, body);
      request.catch(() => {}); // awaited below; until then a failure must not count as unhandled
      // The order id the API derives from the channel and the external id.
      const orderId = orderIdFor('web', body.externalId);
      await killWhen(orderId);
      await first.crash();
      temporalProxy.cut();
      await expect(request, 'the channel got no answer').rejects.toThrow();
      expect(await workflowExists(orderId)).toBe(startedBeforeRetry);

      // The channel retries the same request; another API process takes it.
      const second = await startApi();
      const retried = await apiClient(second.baseUrl)('POST', '/v1/orders', KEYS.web, body);
      expect(retried.status).toBe(retryStatus);
      expect(retried.body).toMatchObject({ orderId });
      // And once more, answered from what is stored: still the same order.
      expect(await apiClient(second.baseUrl)('POST', '/v1/orders', KEYS.web, body)).toMatchObject({ status: 200, body: { orderId } });

      const handle = temporal.client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId));
      const state = await waitForStatus(handle, 'allocated', 120_000);
      const { shipments } = state;
      const outcome = await shipAndDeliver(handle, shipments);

      expect(outcome).toEqual({ orderId, status: 'delivered' });
      expect((await temporal.client.workflow.count(`WorkflowId = '${orderWorkflowId(orderId)}'`)).count).toBe(1);
      await expectEachEffectOnce({ input: state, captureByWarehouse }, shipments);
    },
    240_000,
  );
});
