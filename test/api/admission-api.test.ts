/**
 * Refusal before collapse (api/admission.ts) on the real stack: the API in-process on the suite's Temporal
 * dev server and FerretDB with a small bound on the order task queue's backlog, and an order worker that is
 * held back (eight activities at a time, each eight seconds late) while orders arrive faster than it takes them.
 * Intake starts refusing, every refusal fast and well formed; changes are refused too, while lookups, lists
 * and shipment events go on; once the load stops and the worker is let go, every accepted order is delivered
 * and intake takes orders again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { sandboxDependencies, workflowsPath } from '../../worker/create-worker.js';
import { PLACES, TEST_INVENTORY, uniqueId } from '../support/fixtures.js';
import { testSmtpUrl } from '../support/mail.js';
import { expectProblem, KEYS, orderBody, startApi, type ApiHarness, type ApiResponse } from './harness.js';

const WAREHOUSE_ID = 'wh-admission';
/** Refuse once a task has waited a second for a worker (Temporal refreshes the figure every 5 s). */
const MAX_BACKLOG_AGE_MS = 1_000;
/**
 * While held back, the worker runs eight activities at a time, each this much late: one a second, while each
 * order brings one (its payment's authorization, whose local attempt then fails as if the provider had
 * timed out; the rest of its steps run locally until its shipment events). Let go, eight at a time drain
 * the backlog fast.
 */
const HELD_ACTIVITY_DELAY_MS = 8_000;
const ACTIVITY_SLOTS = 8;
const ARRIVALS_PER_SECOND = 2;
/** Orders keep arriving until intake has refused for this long (or at most LOAD_LIMIT_MS). */
const REFUSING_FOR_MS = 3_000;
const LOAD_LIMIT_MS = 25_000;
const REFUSAL_WITHIN_MS = 100;
/** Refuse once an order accepted has waited this long for a worker to take it up. */
const MAX_INTAKE_LAG_MS = 1_500;

let harness: ApiHarness;
let worker: Worker;
let workerRun: Promise<void>;
let workerConnection: NativeConnection;
let heldBack = false;
let startWorker: () => Promise<void>;
let sku: string;

beforeAll(async () => {
  harness = await startApi({ database: 'api_admission', worker: false, admission: { maxIntakeLagMs: undefined, maxBacklogAgeMs: MAX_BACKLOG_AGE_MS, maxEventLoopDelayMs: undefined } });
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed in this process
  }
  const activities = createActivities(sandboxDependencies({ temporal: harness.temporal, taskQueue: harness.taskQueue, inventory: TEST_INVENTORY, smtpUrl: testSmtpUrl() }));
  const holdable = Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: unknown[]) => {
        // Local activities run inside workflow tasks, not from the task queue: they are not held.
        const { isLocal } = Context.current().info;
        if (heldBack && isLocal && name === 'authorizePayment') throw new Error('provider timed out (held back)');
        if (heldBack && !isLocal) await sleep(HELD_ACTIVITY_DELAY_MS);
        return (activity as (...input: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  );
  workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  startWorker = async () => {
    worker = await Worker.create({
      connection: workerConnection,
      namespace: 'default',
      taskQueue: harness.taskQueue,
      workflowBundle,
      activities: holdable,
      maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS,
    });
    workerRun = worker.run();
  };
  await startWorker();

  expect((await harness.api('PUT', `/v1/warehouses/${WAREHOUSE_ID}`, KEYS.admin, { name: 'Admission', ...PLACES.berlin })).status).toBe(201);
  sku = uniqueId('SKU');
  expect((await harness.api('PUT', `/v1/inventory/${sku}/${WAREHOUSE_ID}`, KEYS.warehouse, { onHand: 1_000 })).status).toBe(200);
});

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await workerRun;
  }
  await workerConnection?.close();
  await harness?.close();
});

/** Sends the request again every half second while it is refused (503), for at most `withinMs`; the last answer. */
async function sendWhileRefused<T extends ApiResponse>(send: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  let answer = await send();
  while (answer.status === 503 && Date.now() < deadline) {
    await sleep(500);
    answer = await send();
  }
  return answer;
}

async function timed(request: Promise<ApiResponse>): Promise<ApiResponse & { ms: number }> {
  const start = performance.now();
  const response = await request;
  return { ...response, ms: performance.now() - start };
}

const submit = () => timed(harness.api('POST', '/v1/orders', KEYS.web, orderBody(uniqueId('admission'), sku)));

async function waitForStatus(orderId: string, status: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await harness.api('GET', `/v1/orders/${orderId}`, KEYS.support);
    if (body.status === status) return body as { status: string; shipments: Array<{ shipmentId: string; status: string }> };
    if (Date.now() > deadline) throw new Error(`order ${orderId} is ${body.status}, not ${status}, after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** A refusal as the issue asks for it: a 503 problem with a Retry-After in whole seconds, answered within 100 ms. */
function expectFastRefusal(response: ApiResponse & { ms: number }) {
  expectProblem(response, 503);
  expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  expect(response.ms).toBeLessThan(REFUSAL_WITHIN_MS);
}

describe('refusal before collapse', () => {
  it('refuses intake and changes at once while the engine is behind, serves lookups and shipment events meanwhile, and delivers every order it accepted', async () => {
    // Two orders go through while the worker keeps up: their shipments are reported on while intake refuses.
    const early = await Promise.all([submit(), submit()]);
    for (const response of early) expect(response.status).toBe(202);
    const earlyIds: string[] = early.map(({ body }) => body.orderId);
    const earlyShipments = new Map<string, string[]>();
    for (const orderId of earlyIds) earlyShipments.set(orderId, (await waitForStatus(orderId, 'allocated', 20_000)).shipments.map(({ shipmentId }) => shipmentId));

    // Held back, the worker takes tasks more slowly than orders bring them.
    heldBack = true;
    const accepted = [...earlyIds];
    const refused: Array<ApiResponse & { ms: number }> = [];
    let refusingSince: number | undefined;
    const arrivals: Array<Promise<void>> = [];
    const loadStart = Date.now();
    while (Date.now() - loadStart < LOAD_LIMIT_MS && !(refusingSince && Date.now() - refusingSince > REFUSING_FOR_MS)) {
      arrivals.push(submit().then((response) => {
        if (response.status === 202) accepted.push(response.body.orderId);
        else {
          refused.push(response);
          refusingSince ??= Date.now();
        }
      }));
      await sleep(1_000 / ARRIVALS_PER_SECOND);
    }
    await Promise.all(arrivals);
    expect(refused.length, `no refusal in ${LOAD_LIMIT_MS} ms of ${ARRIVALS_PER_SECOND} orders a second`).toBeGreaterThan(0);
    for (const response of refused) expectFastRefusal(response);
    console.log(`[admission] ${accepted.length} orders accepted, ${refused.length} refused (the first after ${((refusingSince! - loadStart) / 1000).toFixed(1)} s), slowest refusal ${Math.max(...refused.map(({ ms }) => ms)).toFixed(0)} ms`);

    // Still behind: a change to an order is refused as intake is, and nothing happens to the order.
    const lastAccepted = accepted.at(-1)!;
    expectFastRefusal(await timed(harness.api('POST', `/v1/orders/${lastAccepted}/cancel`, KEYS.support, { reason: 'customer asked' })));
    // Lookups, lists and the warehouse's reports on orders already accepted are served meanwhile.
    for (const orderId of [earlyIds[0], lastAccepted]) {
      const lookup = await harness.api('GET', `/v1/orders/${orderId}`, KEYS.support);
      expect(lookup.status).toBe(200);
      expect(lookup.body.status).not.toBe('cancelled');
    }
    const list = await harness.api('GET', '/v1/orders?limit=50', KEYS.support);
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThanOrEqual(Math.min(50, accepted.length));
    for (const shipmentId of [...earlyShipments.values()].flat()) {
      const shipped = await harness.api('POST', `/v1/shipments/${shipmentId}/events`, KEYS.warehouse, { type: 'shipped' });
      expect(shipped.status, JSON.stringify(shipped.body)).toBe(202);
    }
    expectFastRefusal(await submit());

    // What was measured and refused shows in the metrics.
    const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/oms_admission_refusals_total\{route="\/v1\/orders",reason="backlog"\} [1-9]/);
    expect(metrics).toMatch(/oms_admission_refusals_total\{route="\/v1\/orders\/:orderId\/cancel",reason="backlog"\} 1/);
    expect(metrics).toMatch(/oms_admission_refusing 1/);
    expect(metrics).toMatch(/oms_order_task_queue_backlog_age_seconds\{type="activity"\} (\d*[1-9]\d*\.?\d*)/);

    // The load is over and the worker let go: every order accepted is delivered, none lost or stuck.
    heldBack = false;
    const letGo = Date.now();
    await Promise.all(accepted.map(async (orderId) => {
      const shippedBefore = earlyShipments.get(orderId);
      const shipmentIds = shippedBefore ?? (await waitForStatus(orderId, 'allocated', 40_000)).shipments.map(({ shipmentId }) => shipmentId);
      for (const type of shippedBefore ? (['delivered'] as const) : (['shipped', 'delivered'] as const)) {
        for (const shipmentId of shipmentIds) {
          const reported = await harness.api('POST', `/v1/shipments/${shipmentId}/events`, KEYS.warehouse, { type });
          expect(reported.status, JSON.stringify(reported.body)).toBe(202);
        }
      }
      await waitForStatus(orderId, 'delivered', 30_000);
    }));

    const deliveredAt = Date.now();

    // And intake takes orders again (once Temporal's figure, refreshed every 5 s, shows the backlog gone).
    const again = await sendWhileRefused(submit, 20_000);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    console.log(`[admission] once let go: every order delivered after ${((deliveredAt - letGo) / 1000).toFixed(1)} s, intake accepting again after ${((Date.now() - letGo) / 1000).toFixed(1)} s`);
  }, 120_000);

  it("refuses changes while the API's own event loop is late, and takes them again once it has caught up", async () => {
    // Another API process on the same stack, whose only bound is its event loop's delay.
    const loopBound = await harness.anotherApi({}, { maxIntakeLagMs: undefined, maxBacklogAgeMs: undefined, maxEventLoopDelayMs: 30 });
    // Admitted: the change goes on to find no such order.
    const change = () => loopBound.api('POST', '/v1/orders/ord_000000000000000000000000/cancel', KEYS.support, { reason: 'customer asked' });
    expect((await change()).status).toBe(404);
    // The loop busy 100 ms at a time, as a saturated API process is: a change sent after two and a half seconds of it is refused.
    let busy = true;
    const spin = () => {
      const until = performance.now() + 100;
      while (performance.now() < until);
      if (busy) setImmediate(spin);
    };
    spin();
    await sleep(2_500);
    const refused = await change();
    busy = false;
    expectProblem(refused, 503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await (await fetch(`${loopBound.baseUrl}/metrics`)).text()).toMatch(/oms_admission_refusals_total\{route="\/v1\/orders\/:orderId\/cancel",reason="event-loop"\} 1/);

    expect((await sendWhileRefused(change, 10_000)).status).toBe(404);
  });

  it('refuses intake while the orders it accepted wait for the engine to take them up, and takes orders again once it has', async () => {
    // Another API process whose only bound is the intake lag; no worker polls the queue for now.
    const intakeBound = await harness.anotherApi({}, { maxIntakeLagMs: MAX_INTAKE_LAG_MS, maxBacklogAgeMs: undefined, maxEventLoopDelayMs: undefined });
    worker.shutdown();
    await workerRun;
    const submitThere = () => timed(intakeBound.api('POST', '/v1/orders', KEYS.web, orderBody(uniqueId('intake'), sku)));

    const accepted: string[] = [];
    let refused: (ApiResponse & { ms: number }) | undefined;
    const deadline = Date.now() + 15_000;
    while (!refused && Date.now() < deadline) {
      const response = await submitThere();
      if (response.status === 202) accepted.push(response.body.orderId);
      else refused = response;
      await sleep(250);
    }
    expect(refused, 'intake never refused while no worker took its orders up').toBeDefined();
    expectFastRefusal(refused!);
    const metrics = await (await fetch(`${intakeBound.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/oms_admission_refusals_total\{route="\/v1\/orders",reason="intake"\} [1-9]/);
    expect(Number(/^oms_intake_lag_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(MAX_INTAKE_LAG_MS / 1_000);
    // Refused while the first accepted order had waited past the bound, and not long after.
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted.length).toBeLessThan(((MAX_INTAKE_LAG_MS + 3_000) / 250) + 1);

    // A worker again: it takes every accepted order up, and intake accepts again.
    await startWorker();
    for (const orderId of accepted) await waitForStatus(orderId, 'allocated', 30_000);
    const again = await sendWhileRefused(submitThere, 15_000);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
  });
});
