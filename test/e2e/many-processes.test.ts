/**
 * The engine as production runs it: the real Temporal server on PostgreSQL with TLS, client certificates
 * (mTLS) and its JWT authorizer (an API key is a token the server checks), FerretDB on the same PostgreSQL
 * (stack/production-stack.ts), and two API processes and two workers, configured only through Temporal's
 * own variables. 100 orders go in through both APIs; one worker and one API are SIGKILLed halfway, the
 * channel sends what failed again to the other API, and every order ends delivered with each effect once.
 * Without the client certificate, or with no key or a key the server did not issue, a process stops at
 * start with one line that says which.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_SETTINGS } from '../../config.js';
import { orderWorkflowId } from '../../contracts/ids.js';
import type { OrderState } from '../../domain/order.js';
import { startApiKeyIssuer } from '../../stack/api-keys.js';
import { startProductionStack, type ProductionStack } from '../../stack/production-stack.js';
import { connectWithClientEnv } from '../../stack/temporal-server.js';
import type { orderWorkflow } from '../../workflows/order/workflow.js';
import { apiClient, KEYS, type ApiCall } from '../api/harness.js';
import { PLACES, seedWarehouse, useTestDatabase } from '../support/fixtures.js';
import { expectEachEffectOnce, ORDERS_END_AT_DELIVERY, shipAndDeliver, splitOrderRequest, stockSplitSkus } from '../support/order-effects.js';
import { killNodeProcesses, runToEnd, startApiProcess, startWorkerProcess, type ApiProcess, type WorkerProcess } from '../support/node-processes.js';
import { uniqueTaskQueue, waitForStatus } from '../support/workflow-env.js';

const ORDERS = 100;
const IN_FLIGHT = 8;
const taskQueue = uniqueTaskQueue();
let dir: string;
let stack: ProductionStack;
let db: { uri: string; close: () => Promise<void> };
let client: Client;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-production-'));
  stack = await startProductionStack({ dir, ownProcessGroup: false, onLine: () => {} });
  // As an operator would on a new namespace: the product's own command, with a key that may register.
  const setup = await runToEnd('stack/setup-temporal.ts', stack.clientEnv({ apiKey: stack.adminApiKey }));
  expect(setup.code, setup.output).toBe(0);
  db = await useTestDatabase('many_processes', stack.mongoUri('admin'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
  client = new Client({ connection: await connectWithClientEnv(stack.clientEnv()), namespace: stack.temporal.namespace });
}, 900_000);

afterAll(async () => {
  await killNodeProcesses();
  await client?.connection.close();
  await db?.close();
  await stack?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const processEnv = (temporal = stack.clientEnv()) => ({ ...temporal, ...ORDERS_END_AT_DELIVERY, LOG_LEVEL: 'error' });

describe('a secured Temporal refuses a process that lacks what it requires, in one line', () => {
  it.each([
    { lacking: 'the client certificate', temporal: () => stack.clientEnv({ withoutClientCert: true }), line: /TLS with Temporal at .* failed: .*certificate required.*; the server requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH$/ },
    { lacking: 'an API key', temporal: () => stack.clientEnv({ withoutApiKey: true }), line: /Temporal at .* wants an API key \(TEMPORAL_API_KEY\) for namespace "default": / },
    {
      lacking: 'a key the server issued',
      temporal: async () => {
        const stranger = await startApiKeyIssuer();
        try {
          return stack.clientEnv({ apiKey: await stranger.mint({ permissions: ['default:write'] }) });
        } finally {
          await stranger.close();
        }
      },
      line: /Temporal at .* refused the API key \(TEMPORAL_API_KEY\)( for namespace "default")?: /,
    },
  ])('without $lacking', async ({ temporal, line }) => {
    for (const script of ['worker/main.ts', 'api/main.ts']) {
      const { code, output } = await runToEnd(script, { ...processEnv(await temporal()), MONGODB_URI: db.uri, TEMPORAL_TASK_QUEUE: taskQueue });
      expect(code, output).toBe(EXIT_SETTINGS);
      const lines = output.trim().split('\n');
      expect(lines, output).toHaveLength(1);
      expect(lines[0]).toMatch(line);
    }
  }, 120_000);
});

describe('two APIs and two workers on the production stack', () => {
  it(`deliver ${ORDERS} orders with each effect once while one worker and one API are killed halfway`, async () => {
    const env = processEnv();
    const workers: WorkerProcess[] = [];
    const apis: ApiProcess[] = [];
    for (let index = 0; index < 2; index++) {
      workers.push(await startWorkerProcess({ script: 'worker/main.ts', mongoUri: db.uri, taskQueue, env }));
      apis.push(await startApiProcess({ mongoUri: db.uri, taskQueue, env }));
    }
    const calls: ApiCall[] = apis.map((api) => apiClient(api.baseUrl));
    const alive = [true, true];

    const placed: Array<{ orderId: string; captureByWarehouse: Record<string, number> }> = [];
    let resent = 0;
    let refused = 0;
    /**
     * A channel: sends the order to one API, and when that API does not answer, the same request to the other;
     * told to come back later (503: the engine is behind, api/admission.ts), it does after `Retry-After`.
     */
    const place = async (index: number) => {
      const { body, captureByWarehouse } = splitOrderRequest(await stockSplitSkus(), `many-${index}`);
      for (let api = index % 2; ; api = 1 - api) {
        const answer = alive[api] ? await calls[api]('POST', '/v1/orders', KEYS.web, body).catch(() => undefined) : undefined;
        if (answer === undefined) {
          resent++;
          continue;
        }
        if (answer.status === 503) {
          refused++;
          await new Promise((resolve) => setTimeout(resolve, Number(answer.headers.get('retry-after')) * 1_000));
          continue;
        }
        expect([200, 202], JSON.stringify(answer.body)).toContain(answer.status);
        placed.push({ orderId: (answer.body as { orderId: string }).orderId, captureByWarehouse });
        return;
      }
    };
    const killHalfway = async () => {
      while (placed.length < ORDERS / 2) await new Promise((resolve) => setTimeout(resolve, 50));
      alive[0] = false;
      await Promise.all([workers[0].crash(), apis[0].crash()]);
    };
    await Promise.all([inBatches(ORDERS, IN_FLIGHT, place), killHalfway()]);
    expect(new Set(placed.map(({ orderId }) => orderId)).size).toBe(ORDERS);

    // The surviving worker carries every order on; each warehouse reports its shipment shipped, then delivered.
    await inBatches(ORDERS, IN_FLIGHT, async (index) => {
      const { orderId, captureByWarehouse } = placed[index];
      const handle: WorkflowHandle<typeof orderWorkflow> = client.workflow.getHandle(orderWorkflowId(orderId));
      const state: OrderState = await waitForStatus(handle, 'allocated', 180_000);
      expect(await shipAndDeliver(handle, state.shipments)).toEqual({ orderId, status: 'delivered' });
      await expectEachEffectOnce({ input: state, captureByWarehouse }, state.shipments, { byMessageId: true });
    });
    expect((await client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Completed"`)).count).toBe(ORDERS);
    console.log(`[many-processes] ${ORDERS} orders delivered; ${resent} request(s) sent again to the other API after the kill, ${refused} refused for load and sent again later`);
  }, 900_000);
});

/** Runs `task(0 .. count-1)`, `inFlight` at a time. */
async function inBatches(count: number, inFlight: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) await task(next++);
  }));
}
