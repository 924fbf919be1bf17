/**
 * `npm run bench:orders`: orders end to end through the HTTP API, the way a channel and a warehouse drive
 * them, against a bare workflow of the same shape on the same Temporal server in the same run. A benchmark
 * that prints figures, not a test.
 *
 * Without --url it starts its own stack with `npm start` (stack/start.ts) on free ports, data in a temp dir
 * (MONGODB_URI / TEMPORAL_ADDRESS / SMTP_URL still point it at existing servers); with --url it drives the
 * running one (its Temporal and MongoDB from the usual settings).
 *
 *   --orders N     orders measured (default 200), after 10 unmeasured warm-up orders
 *   --in-flight C  orders in flight at once (default 20)
 *   --url URL      use the stack running there instead of starting one
 *
 * Each order: POST /v1/orders; GET /v1/orders/{id} every 100 ms until allocated; a `shipped` and then a
 * `delivered` event for each shipment; GET every 100 ms until delivered. Meanwhile a reader lists orders
 * (50 a page, with and without filters) every 250 ms. Then it reads every order's history (events and
 * activity executions), checks that no order is stuck, that stock levels equal the ledger and that each
 * shipment was captured once, and, for its own stack, prints the database calls per order that the worker
 * and the API counted (OMS_DB_PROFILE_DIR, persistence/call-profile.ts) and the CPU each process used.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import mongoose from 'mongoose';
import { orderWorkflowId } from '../contracts/ids.js';
import { orderKeys } from '../contracts/keys.js';
import { PaymentModel } from '../persistence/payments.js';
import { SandboxPaymentModel } from '../persistence/sandbox-payments.js';
import { repoRoot } from '../stack/processes.js';
import { bareDeliveredSignal, bareShippedSignal, bareStatusQuery, type bareOrderWorkflow } from './bare/workflow.js';
import { fmt, markdownTable, percentile, RUN_ID, runBenchmark, runWorkload, type WorkloadResult } from './harness.js';
import { runningStack, startOwnStack, type DatabaseCall, type Stack } from './order-stack.js';
import { cpuBetween, treeCpu } from './process-cpu.js';

const { values: options } = parseArgs({
  options: { orders: { type: 'string', default: '200' }, 'in-flight': { type: 'string', default: '20' }, url: { type: 'string' } },
});
const ORDERS = positiveInt(options.orders!, '--orders');
const IN_FLIGHT = positiveInt(options['in-flight']!, '--in-flight');
const WARMUP_ORDERS = 10;
const POLL_MS = 100;
const ORDER_TIMEOUT_MS = 10 * 60_000;
const SKUS = Array.from({ length: 8 }, (_, i) => `BENCH-SKU-${i + 1}`);
const WAREHOUSE = 'wh-bench';

function positiveInt(raw: string, name: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, got "${raw}"`);
  return value;
}

// ---------------------------------------------------------------------------------------------------
// HTTP, timed per kind of request.

type RequestKind = 'POST /v1/orders' | 'GET /v1/orders/{id}' | 'GET /v1/orders (50 a page)' | 'POST /v1/shipments/{id}/events';
const requestTimes = new Map<RequestKind, number[]>();
const listFailures: string[] = [];

async function call(stack: Stack, kind: RequestKind | undefined, method: string, url: string, key: string, body?: unknown) {
  const t0 = performance.now();
  const response = await fetch(`${stack.apiUrl}${url}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (kind) requestTimes.set(kind, [...(requestTimes.get(kind) ?? []), performance.now() - t0]);
  if (!response.ok) throw new Error(`${method} ${url.replace(/ord_\w+|shp_\w+/g, '#')} answered ${response.status}: ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

interface OrderView {
  orderId: string;
  status: string;
  shipments: Array<{ shipmentId: string; status: string }>;
  total: { amount: number };
}

async function seedStock(stack: Stack, orders: number): Promise<void> {
  await call(stack, undefined, 'PUT', `/v1/warehouses/${WAREHOUSE}`, 'dev-admin', { name: 'Bench', country: 'DE', location: { lat: 52.52, lng: 13.405 } });
  for (const sku of SKUS) await call(stack, undefined, 'PUT', `/v1/inventory/${sku}/${WAREHOUSE}`, 'dev-admin', { onHand: orders * 2 + 100 });
}

/** Until the order reaches `wanted`; any other end is an error. */
async function waitForStatus(stack: Stack, orderId: string, wanted: string): Promise<OrderView> {
  const deadline = Date.now() + ORDER_TIMEOUT_MS;
  for (;;) {
    const order: OrderView = await call(stack, 'GET /v1/orders/{id}', 'GET', `/v1/orders/${orderId}`, 'dev-support');
    if (order.status === wanted) return order;
    if (['payment_declined', 'cancelled', 'failed', 'backordered', 'awaiting_review'].includes(order.status)) throw new Error(`an order became ${order.status}`);
    if (Date.now() > deadline) throw new Error(`an order was stuck in ${order.status}`);
    await sleep(POLL_MS);
  }
}

async function runOrder(stack: Stack, name: string, index: number, orderIds: string[]): Promise<void> {
  const lines = [SKUS[index % SKUS.length], SKUS[(index * 3 + 1) % SKUS.length]].map((sku) => ({ sku, quantity: 1, unitPrice: 1250 }));
  const { orderId } = await call(stack, 'POST /v1/orders', 'POST', '/v1/orders', 'dev-channel-web', {
    externalId: `bench-${RUN_ID}-${name}-${index}`,
    customer: { id: `cust-${index % 100}`, email: `bench-${index % 100}@example.com` },
    shippingAddress: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
    lines: lines[0].sku === lines[1].sku ? [lines[0]] : lines,
    currency: 'EUR',
    payment: { token: 'tok_ok' },
  });
  orderIds.push(orderId);
  const allocated = await waitForStatus(stack, orderId, 'allocated');
  for (const type of ['shipped', 'delivered']) {
    for (const { shipmentId } of allocated.shipments) {
      await call(stack, 'POST /v1/shipments/{id}/events', 'POST', `/v1/shipments/${shipmentId}/events`, 'dev-warehouse', { type });
    }
  }
  await waitForStatus(stack, orderId, 'delivered');
}

/** Lists orders every 250 ms until `done`, 50 a page, with and without filters. */
async function listWhile(stack: Stack, done: () => boolean): Promise<void> {
  const filters = ['', '&status=allocated', '&channel=web', '&customerId=cust-7', '&status=delivered'];
  for (let i = 0; !done(); i++) {
    try {
      await call(stack, 'GET /v1/orders (50 a page)', 'GET', `/v1/orders?limit=50${filters[i % filters.length]}`, 'dev-support');
    } catch (error) {
      listFailures.push(error instanceof Error ? error.message : String(error));
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------------
// The bare baseline, on its own task queue of the same Temporal server.

async function runBare(stack: Stack, client: Client): Promise<WorkloadResult & { workflowIds: string[] }> {
  const taskQueue = `bench-bare-${RUN_ID}`;
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: stack.namespace,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(repoRoot, 'bench', 'bare', 'workflow.ts'), logger: new DefaultLogger('ERROR') }),
    activities: { step: async () => {} },
  });
  const workflowIds: string[] = [];
  const result = await worker.runUntil(
    runWorkload('bare workflow', ORDERS, IN_FLIGHT, async (index) => {
      const handle = await client.workflow.start<typeof bareOrderWorkflow>('bareOrderWorkflow', { taskQueue, workflowId: `bare-${RUN_ID}-${index}` });
      workflowIds.push(handle.workflowId);
      while ((await handle.query(bareStatusQuery)) !== 'allocated') await sleep(POLL_MS);
      await handle.signal(bareShippedSignal);
      await handle.signal(bareDeliveredSignal);
      await handle.result();
    }),
  );
  await connection.close();
  return { ...result, workflowIds };
}

// ---------------------------------------------------------------------------------------------------
// After the run.

async function historyCounts(client: Client, workflowIds: string[]): Promise<{ events: number; activities: number; localActivities: number }> {
  let events = 0;
  let activities = 0;
  let localActivities = 0;
  for (const workflowId of workflowIds) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    events += history.events?.length ?? 0;
    activities += history.events?.filter((e) => e.activityTaskScheduledEventAttributes).length ?? 0;
    localActivities += history.events?.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length ?? 0;
  }
  const n = workflowIds.length;
  return { events: events / n, activities: activities / n, localActivities: localActivities / n };
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

async function verify(stack: Stack, result: WorkloadResult, orderIds: string[]): Promise<Check[]> {
  const checks: Check[] = [
    { name: 'every order delivered, none stuck or failed', ok: result.ok === result.ops, detail: `${result.ok} / ${result.ops}` },
  ];
  const reconciliation = await call(stack, undefined, 'POST', '/v1/admin/reconciliation', 'dev-admin', {});
  checks.push({
    name: 'stock levels equal the ledger (POST /v1/admin/reconciliation)',
    ok: reconciliation.drift.length === 0,
    detail: `${reconciliation.checked} locations checked, ${reconciliation.drift.length} drifted`,
  });
  const orders: OrderView[] = [];
  for (const orderId of orderIds) orders.push(await call(stack, undefined, 'GET', `/v1/orders/${orderId}`, 'dev-support'));
  const shipments = orders.reduce((sum, o) => sum + o.shipments.length, 0);
  await mongoose.connect(stack.mongoUri, { retryWrites: false });
  try {
    const ours = await PaymentModel.countDocuments({ operation: 'capture', outcome: 'approved', orderId: { $in: orderIds } });
    const providers = await SandboxPaymentModel.countDocuments({ operation: 'capture', outcome: 'approved', idempotencyKey: { $in: orders.flatMap((o) => o.shipments.map((s) => orderKeys(o.orderId).capture(s.shipmentId))) } });
    checks.push({
      name: 'one capture per shipment, in our books and the provider\'s',
      ok: ours === shipments && providers === shipments,
      detail: `${shipments} shipments, ${ours} captures recorded, ${providers} at the provider`,
    });
  } finally {
    await mongoose.disconnect();
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const wallStart = performance.now();
  const loadBefore = os.loadavg()[0];
  console.error(`[bench] ${options.url ? `using the stack at ${options.url}` : 'starting a stack with npm start ...'}`);
  const stack = options.url ? runningStack(options.url) : await startOwnStack();
  let checks: Check[] = [];
  let dbRows: DatabaseCall[] | undefined;
  try {
    const connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({ connection, namespace: stack.namespace });
    await seedStock(stack, ORDERS + WARMUP_ORDERS);

    console.error(`[bench] warm-up: ${WARMUP_ORDERS} orders`);
    await runWorkload('warm-up', WARMUP_ORDERS, Math.min(IN_FLIGHT, WARMUP_ORDERS), (i) => runOrder(stack, 'warmup', i, []));
    requestTimes.clear();

    const cpuPids = [...stack.pids, process.pid];
    console.error(`[bench] bare workflow: ${ORDERS} with ${IN_FLIGHT} in flight`);
    const cpuAtStart = await treeCpu(cpuPids);
    const bare = await runBare(stack, client);
    const cpuAfterBare = await treeCpu(cpuPids);

    console.error(`[bench] orders: ${ORDERS} with ${IN_FLIGHT} in flight`);
    const orderIds: string[] = [];
    let ordersDone = false;
    const lists = listWhile(stack, () => ordersDone);
    const orders = await runWorkload('orders through the API', ORDERS, IN_FLIGHT, (i) => runOrder(stack, 'measured', i, orderIds)).finally(() => {
      ordersDone = true;
    });
    await lists;
    const cpuAfterOrders = await treeCpu(cpuPids);
    console.error(`[bench] orders: ${orders.ok}/${orders.ops} delivered in ${fmt(orders.seconds, 1)} s; reading histories and verifying`);

    const [bareHistory, orderHistory] = [await historyCounts(client, bare.workflowIds), await historyCounts(client, orderIds.map(orderWorkflowId))];
    checks = await verify(stack, orders, orderIds);
    await connection.close();

    const cpus = os.cpus();
    console.log('## Orders benchmark');
    console.log('');
    console.log(`- machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown cpu'}), ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, 1-min load average ${loadBefore.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`);
    console.log(`- ${stack.describe}; node ${process.version}`);
    console.log(`- ${ORDERS} orders with ${IN_FLIGHT} in flight, after ${WARMUP_ORDERS} warm-up orders; the bare workflow the same, in the same run`);
    console.log('');
    const bareRate = bare.ok / bare.seconds;
    markdownTable(
      ['workload', 'runs', 'ok', 'time s', 'per s', 'vs bare', 'end-to-end p50 s', 'p99 s'],
      [bare, orders].map((r) => [r.name, String(r.ops), String(r.ok), fmt(r.seconds), fmt(r.ok / r.seconds, 2), `${fmt(r.ok / r.seconds / bareRate, 3)}x`,
        fmt(percentile(r.latencies, 50) / 1000, 2), fmt(percentile(r.latencies, 99) / 1000, 2)]),
    );
    console.log('');
    markdownTable(
      ['request (during the measured orders)', 'count', 'p50 ms', 'p99 ms', 'max ms'],
      [...requestTimes].map(([kind, times]) => {
        const sorted = Float64Array.from(times).sort();
        return [kind, String(sorted.length), fmt(percentile(sorted, 50)), fmt(percentile(sorted, 99)), fmt(sorted[sorted.length - 1])];
      }),
    );
    console.log('');
    markdownTable(
      ['per run', 'bare workflow', 'order'],
      [
        ['history events', fmt(bareHistory.events), fmt(orderHistory.events)],
        ['activity executions', fmt(bareHistory.activities), fmt(orderHistory.activities)],
        ['local activity executions', fmt(bareHistory.localActivities), fmt(orderHistory.localActivities)],
      ],
    );
    console.log('');
    const bareCpu = cpuBetween(cpuAtStart, cpuAfterBare);
    const ordersCpu = cpuBetween(cpuAfterBare, cpuAfterOrders);
    const ordersCpuTotal = ordersCpu.reduce((sum, row) => sum + row.seconds, 0);
    if (ordersCpu.length === 0) console.log('- CPU per process: not available (no /proc)');
    else {
      markdownTable(
        [`CPU per process${stack.pids.length === 0 ? ' (this benchmark only: the stack is not its own)' : ''}`, 'bare s', 'orders s', 'orders share', 'orders ms per order'],
        ordersCpu.map(({ name, seconds }) => [
          name,
          fmt(bareCpu.find((row) => row.name === name)?.seconds ?? 0),
          fmt(seconds),
          `${fmt((100 * seconds) / ordersCpuTotal, 0)}%`,
          fmt((1000 * seconds) / ORDERS, 0),
        ]),
      );
    }
    for (const r of [bare, orders]) for (const [message, count] of r.failures) console.log(`- ${r.name}: ${count} failed: ${message}`);
    if (listFailures.length > 0) console.log(`- the list reader: ${listFailures.length} requests failed, e.g. ${listFailures[0]}`);
  } finally {
    dbRows = await stack.stop();
  }

  console.log('');
  console.log(`### Database calls per order (worker and API, ${WARMUP_ORDERS + ORDERS} orders; the list reader's calls included)`);
  if (!dbRows) console.log('- not counted: only a stack this benchmark starts counts its database calls');
  else {
    const perOrder = (count: number) => count / (WARMUP_ORDERS + ORDERS);
    const total = (process: string) => dbRows!.filter((r) => r.process === process).reduce((sum, r) => sum + r.count, 0);
    console.log(`- in all: worker ${fmt(perOrder(total('worker')))}, api ${fmt(perOrder(total('api')))} per order`);
    console.log('');
    markdownTable(
      ['process', 'collection.method {filter shape}', 'per order'],
      dbRows.filter((r) => perOrder(r.count) >= 0.05).map((r) => [r.process, r.call, fmt(perOrder(r.count), 2)]),
    );
  }
  console.log('');
  console.log('### Verification');
  for (const check of checks) console.log(`- ${check.ok ? 'PASS' : 'FAIL'} ${check.name}: ${check.detail}`);
  const allOk = checks.length > 0 && checks.every((c) => c.ok);
  console.log(`- ${allOk ? 'PASS' : 'FAIL'} overall (whole run ${fmt((performance.now() - wallStart) / 1000)} s)`);
  if (!allOk) process.exitCode = 1;
}

await runBenchmark(main);
