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
 *   --stack S      which own stack: `embedded` (the dev servers), `production` (the real Temporal server with
 *                  TLS, client certificates and API keys, FerretDB, both on PostgreSQL) or `both` (default),
 *                  one after the other, each with its own bare baseline
 *   --grow N       then store N more delivered orders (bench/seed-orders.ts) and measure the orders again,
 *                  so the cost of a growing database is a printed figure (20,000 in the issue's target)
 *
 * Each order: POST /v1/orders; GET /v1/orders/{id} every 100 ms until allocated; a `shipped` and then a
 * `delivered` event for each shipment; GET every 100 ms until delivered. Meanwhile a reader lists orders
 * (50 a page, with and without filters) every 250 ms. Then it reads every order's history (events and
 * activity executions), checks that no order is stuck, that stock levels equal the ledger and that each
 * shipment was captured once, and, for its own stack, prints the database calls per order that the worker
 * and the API counted (OMS_DB_PROFILE_DIR, persistence/call-profile.ts) and the CPU each process used.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { orderWorkflowId } from '../contracts/ids.js';
import { orderKeys } from '../contracts/keys.js';
import { connectMongo, disconnectMongo } from '../persistence/connection.js';
import { OrderModel } from '../persistence/orders.js';
import { PaymentModel } from '../persistence/payments.js';
import { SandboxPaymentModel } from '../persistence/sandbox-payments.js';
import { fmt, RUN_ID, runBenchmark, runWorkload } from './harness.js';
import { printOrdersReport, type OrdersReport, type Phase, type RequestKind } from './order-report.js';
import { runningStack, startOwnStack, startProductionOrderStack, type DatabaseCall, type Stack } from './order-stack.js';
import { cpuBetween, treeCpu } from './process-cpu.js';
import { orderSeeder } from './seed-orders.js';
import { historyCounts, runBare } from './temporal-runs.js';

const { values: options } = parseArgs({
  options: {
    orders: { type: 'string', default: '200' },
    'in-flight': { type: 'string', default: '20' },
    url: { type: 'string' },
    stack: { type: 'string', default: 'both' },
    grow: { type: 'string' },
  },
});
const ORDERS = positiveInt(options.orders!, '--orders');
const IN_FLIGHT = positiveInt(options['in-flight']!, '--in-flight');
const GROW = options.grow === undefined ? 0 : positiveInt(options.grow, '--grow');
const STACKS = options.url ? ['url'] : options.stack === 'both' ? ['embedded', 'production'] : [options.stack!];
if (!STACKS.every((name) => ['url', 'embedded', 'production'].includes(name))) throw new Error(`--stack must be embedded, production or both, got "${options.stack}"`);
const SEED_CONCURRENCY = 8;
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

/** Times of the requests of the phase being measured. */
let requestTimes = new Map<RequestKind, number[]>();
const listFailures: string[] = [];

async function call(stack: Stack, kind: RequestKind | undefined, method: string, url: string, key: string, body?: unknown) {
  const t0 = performance.now();
  const response = await fetch(`${stack.apiUrl}${url}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (kind) {
    const times = requestTimes.get(kind) ?? [];
    times.push(performance.now() - t0);
    requestTimes.set(kind, times);
  }
  if (!response.ok) throw new Error(`${method} ${url.replace(/ord_\w+|shp_\w+/g, '#')} answered ${response.status}: ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

interface OrderView {
  orderId: string;
  status: string;
  shipments: Array<{ shipmentId: string; status: string }>;
  total: { amount: number };
}

/** Enough of each SKU for `orders` orders (each takes at most one unit of a SKU). */
async function seedStock(stack: Stack, orders: number): Promise<void> {
  await call(stack, undefined, 'PUT', `/v1/warehouses/${WAREHOUSE}`, 'dev-admin', { name: 'Bench', country: 'DE', location: { lat: 52.52, lng: 13.405 } });
  for (const sku of SKUS) await call(stack, undefined, 'PUT', `/v1/inventory/${sku}/${WAREHOUSE}`, 'dev-admin', { onHand: orders + 100 });
}

/** The two SKUs of the index-th order (one when they coincide). */
function skusOf(index: number): string[] {
  return [...new Set([SKUS[index % SKUS.length], SKUS[(index * 3 + 1) % SKUS.length]])];
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
  const lines = skusOf(index).map((sku) => ({ sku, quantity: 1, unitPrice: 1250 }));
  const { orderId } = await call(stack, 'POST /v1/orders', 'POST', '/v1/orders', 'dev-channel-web', {
    externalId: `bench-${RUN_ID}-${name}-${index}`,
    customer: { id: `cust-${index % 100}`, email: `bench-${index % 100}@example.com` },
    shippingAddress: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
    lines,
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
const LIST_FILTERS = ['', '&status=allocated', '&channel=web', '&customerId=cust-7', '&status=delivered'];

async function listWhile(stack: Stack, done: () => boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    try {
      await call(stack, 'GET /v1/orders (50 a page)', 'GET', `/v1/orders?limit=50${LIST_FILTERS[i % LIST_FILTERS.length]}`, 'dev-support');
    } catch (error) {
      listFailures.push(error instanceof Error ? error.message : String(error));
    }
    await sleep(250);
  }
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

async function verify(stack: Stack, phases: Phase[]): Promise<Check[]> {
  const ok = phases.reduce((sum, p) => sum + p.result.ok, 0);
  const ops = phases.reduce((sum, p) => sum + p.result.ops, 0);
  const checks: Check[] = [{ name: 'every order delivered, none stuck or failed', ok: ok === ops, detail: `${ok} / ${ops}` }];
  const reconciliation = await call(stack, undefined, 'POST', '/v1/admin/reconciliation', 'dev-admin', {});
  checks.push({
    name: 'stock levels equal the ledger (POST /v1/admin/reconciliation)',
    ok: reconciliation.drift.length === 0,
    detail: `${reconciliation.checked} locations checked, ${reconciliation.drift.length} drifted`,
  });
  const orders: OrderView[] = [];
  for (const orderId of phases.flatMap((p) => p.orderIds)) orders.push(await call(stack, undefined, 'GET', `/v1/orders/${orderId}`, 'dev-support'));
  const captureKeys = orders.flatMap((o) => o.shipments.map((s) => orderKeys(o.orderId).capture(s.shipmentId)));
  // Both books keep a record under its business key as `_id`.
  const ours = await PaymentModel.countDocuments({ _id: { $in: captureKeys }, outcome: 'approved' });
  const providers = await SandboxPaymentModel.countDocuments({ _id: { $in: captureKeys }, outcome: 'approved' });
  checks.push({
    name: "one capture per shipment, in our books and the provider's",
    ok: ours === captureKeys.length && providers === captureKeys.length,
    detail: `${captureKeys.length} shipments, ${ours} captures recorded, ${providers} at the provider`,
  });
  return checks;
}

// ---------------------------------------------------------------------------------------------------

async function measureOrders(stack: Stack, cpuPids: number[], name: string): Promise<Phase> {
  const stored = await OrderModel.estimatedDocumentCount();
  console.error(`[bench] orders: ${ORDERS} with ${IN_FLIGHT} in flight, ${stored} orders stored`);
  requestTimes = new Map();
  const cpuBefore = await treeCpu(cpuPids);
  const orderIds: string[] = [];
  let done = false;
  const lists = listWhile(stack, () => done);
  const result = await runWorkload(`orders through the API, ${stored.toLocaleString('en')} stored`, ORDERS, IN_FLIGHT, (i) => runOrder(stack, name, i, orderIds)).finally(() => {
    done = true;
  });
  await lists;
  const cpu = cpuBetween(cpuBefore, await treeCpu(cpuPids));
  console.error(`[bench] orders: ${result.ok}/${result.ops} delivered in ${fmt(result.seconds, 1)} s`);
  const requests = requestTimes;
  return { stored, result, requests, alone: await requestsAlone(stack, orderIds), cpu, orderIds };
}

/**
 * Requests one at a time with nothing else running (the orders are in their return window): what a list
 * page and a lookup cost by themselves at this many orders stored. Each list also reads its second page.
 */
async function requestsAlone(stack: Stack, orderIds: string[]): Promise<Map<RequestKind, number[]>> {
  requestTimes = new Map();
  for (let i = 0; i < 40; i++) {
    const page = await call(stack, 'GET /v1/orders (50 a page)', 'GET', `/v1/orders?limit=50${LIST_FILTERS[i % LIST_FILTERS.length]}`, 'dev-support');
    if (page.nextCursor) {
      await call(stack, 'GET /v1/orders (50 a page)', 'GET', `/v1/orders?limit=50&cursor=${page.nextCursor}${LIST_FILTERS[i % LIST_FILTERS.length]}`, 'dev-support');
    }
    await call(stack, 'GET /v1/orders/{id}', 'GET', `/v1/orders/${orderIds[i % orderIds.length]}`, 'dev-support');
  }
  return requestTimes;
}

/** Stores `count` more delivered orders through the code that writes them (bench/seed-orders.ts). */
async function growDatabase(client: Client, count: number): Promise<string> {
  const seed = orderSeeder(client);
  let seeded = 0;
  const result = await runWorkload('seeding', count, SEED_CONCURRENCY, async (index) => {
    await seed({ index, channel: 'web', warehouseId: WAREHOUSE, skus: skusOf(index) });
    if (++seeded % 1_000 === 0) console.error(`[bench] seeded ${seeded} of ${count} orders`);
  });
  if (result.ok < result.ops) throw new Error(`seeding failed for ${result.ops - result.ok} orders, e.g. ${[...result.failures.keys()][0]}`);
  return `${count.toLocaleString('en')} delivered orders stored in ${fmt(result.seconds)} s (${fmt(count / result.seconds)} per second, ${SEED_CONCURRENCY} at a time)`;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const rates: string[] = [];
  for (const which of STACKS) {
    const { ok, summary } = await benchStack(which);
    if (!ok) process.exitCode = 1;
    rates.push(summary);
  }
  if (rates.length > 1) console.log(['## Both stacks, one after the other', '', ...rates.map((line) => `- ${line}`)].join('\n'));
}

/** Runs the whole benchmark on one stack and prints its report; whether every check passed, and its rate in a line. */
async function benchStack(which: string): Promise<{ ok: boolean; summary: string }> {
  const wallStart = performance.now();
  const loadBefore = os.loadavg()[0];
  listFailures.length = 0;
  console.error(`[bench] ${options.url ? `using the stack at ${options.url}` : `starting the ${which} stack with npm start ...`}`);
  const stack = options.url ? runningStack(options.url) : which === 'production' ? await startProductionOrderStack() : await startOwnStack();
  let report: OrdersReport | undefined;
  let dbRows: DatabaseCall[] | undefined;
  try {
    const connection = await Connection.connect(stack.temporal);
    const client = new Client({ connection, namespace: stack.namespace });
    await connectMongo(stack.mongoUri);
    await seedStock(stack, (GROW > 0 ? 2 : 1) * ORDERS + WARMUP_ORDERS + GROW);

    console.error(`[bench] warm-up: ${WARMUP_ORDERS} orders`);
    await runWorkload('warm-up', WARMUP_ORDERS, Math.min(IN_FLIGHT, WARMUP_ORDERS), (i) => runOrder(stack, 'warmup', i, []));

    const cpuPids = [...stack.pids, process.pid];
    console.error(`[bench] bare workflow: ${ORDERS} with ${IN_FLIGHT} in flight`);
    const cpuAtStart = await treeCpu(cpuPids);
    const bare = await runBare({ connection: stack.temporal, namespace: stack.namespace, client }, { runs: ORDERS, inFlight: IN_FLIGHT, pollMs: POLL_MS });
    const bareCpu = cpuBetween(cpuAtStart, await treeCpu(cpuPids));

    const phases = [await measureOrders(stack, cpuPids, 'measured')];
    let growth: string | undefined;
    if (GROW > 0) {
      console.error(`[bench] storing ${GROW} more delivered orders`);
      growth = await growDatabase(client, GROW);
      phases.push(await measureOrders(stack, cpuPids, 'grown'));
    }

    console.error('[bench] reading histories and verifying');
    const bareHistory = await historyCounts(client, bare.workflowIds);
    const orderHistory = await historyCounts(client, phases.flatMap((p) => p.orderIds).map(orderWorkflowId));
    const checks = await verify(stack, phases);
    await connection.close();
    report = {
      machine: `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown cpu'}), ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, 1-min load average ${loadBefore.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`,
      stack: `${stack.describe}; node ${process.version}`,
      workload: `${ORDERS} orders with ${IN_FLIGHT} in flight, after ${WARMUP_ORDERS} warm-up orders; the bare workflow the same, in the same run`,
      growth,
      ownStack: stack.pids.length > 0,
      bare: { result: bare, cpu: bareCpu, history: bareHistory },
      phases,
      orderHistory,
      ordersRun: WARMUP_ORDERS + ORDERS * phases.length,
      listFailures,
      checks,
    };
  } finally {
    await disconnectMongo().catch(() => undefined);
    dbRows = await stack.stop();
  }
  const ok = printOrdersReport({ ...report, dbRows }, (performance.now() - wallStart) / 1000);
  const [bareRun, firstPhase] = [report.bare.result, report.phases[0].result];
  const perSecond = firstPhase.ok / firstPhase.seconds;
  return { ok, summary: `${which}: ${fmt(perSecond, 2)} orders/s, ${fmt(perSecond / (bareRun.ok / bareRun.seconds), 3)}x its bare workflow (${fmt(bareRun.ok / bareRun.seconds, 2)}/s)` };
}

await runBenchmark(main);
