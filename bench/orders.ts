/**
 * `npm run bench:orders`: orders end to end through the HTTP API, the way a channel and a warehouse drive
 * them, against a bare workflow of the same shape on the same Temporal server in the same run. A benchmark
 * that prints figures, not a test.
 *
 * Without --url it starts its own stack with `npm start` (stack/start.ts) on free ports, data in a temp dir
 * (MONGODB_URI / TEMPORAL_ADDRESS / SMTP_URL still point it at existing servers); with --url it drives the
 * running one (its Temporal and MongoDB from the usual settings).
 *
 *   --url URL      use the stack running there instead of starting one
 *   --stack S      which own stack: `embedded` (the dev servers), `production` (the real Temporal server with
 *                  TLS, client certificates and API keys, FerretDB, both on PostgreSQL) or `both` (default),
 *                  one after the other, each with its own bare baseline
 *
 * Closed loop (the default): a fixed number of orders in flight, each next one started as one ends.
 *   --orders N     orders measured (default 200), after 10 unmeasured warm-up orders
 *   --in-flight C  orders in flight at once (default 20)
 *   --grow N       then store N more delivered orders (bench/seed-orders.ts) and measure the orders again,
 *                  so the cost of a growing database is a printed figure (20,000 in the issue's target)
 *
 * Open loop: orders arrive at a fixed rate, however many are in flight, as a shop's customers do; the bare
 * workflow arrives at the same rate, its status queried every 100 ms, in the same run.
 *   --rate R           R orders per second, for --duration seconds, after 10 warm-up orders
 *   --find-capacity    step the rate until it does not hold (an order not delivered within --deadline, or
 *                      the end-to-end p99 past --max-p99), orders and then the bare workflow; print each
 *                      one's sustainable rate and their ratio, then the runs at half the orders' rate for
 *                      --duration seconds. The defaults are meant to keep it within about 15-25
 *                      minutes on the embedded stack; it prints how long it took.
 *   --start-rate R     the search's first rate (default 1 per second)
 *   --rate-step F      each next rate while every step holds: the last times F (default 1.25)
 *   --narrow N         then N steps between the last rate that held and the first that did not (default 1)
 *   --step-seconds S   arrivals per step of the search, in seconds (default 30)
 *   --max-p99 S        the end-to-end p99 a rate may reach and still hold (default 2)
 *   --duration S       seconds of arrivals at --rate, or at half the sustainable rate (default 60)
 *   --deadline S       an order not delivered this long after it arrived is late (default 30)
 *   --drain S          after the last arrival, how long orders not yet delivered are still followed before
 *                      they count as lost or stuck (default 120; at least --deadline)
 *   --follow F         how each order is followed: `poll` (GET every 100 ms, the default), `stream` (its
 *                      changes on ONE stream of channel web's order events, GET /v1/order-events, opened
 *                      before the run's first order) or `both` (the same rate both ways, side by side; the
 *                      capacity search polls)
 *
 * Each order: POST /v1/orders; GET /v1/orders/{id} every 100 ms until allocated (or its event); a `shipped`
 * and then a `delivered` event for each shipment; GET every 100 ms until delivered (or its event). A 503
 * from intake is a refusal (admission control), not a failure: timed and checked for Retry-After; the open
 * loop does not send it again (its arrivals come at the rate), the closed loop sends it again after its
 * Retry-After, as a channel would.
 * Meanwhile a reader lists orders (50 a page, with and without filters) every 250 ms.
 *
 * The closed loop then reads every order's history (events and activity executions). Both check that no
 * accepted order is stuck, that stock levels equal the ledger and that each shipment was captured once,
 * and, for its own stack, print the database calls per order that the worker and the API counted
 * (OMS_DB_PROFILE_DIR, persistence/call-profile.ts) and the CPU each process used; the open loop prints
 * what became of the arrivals at each rate, each kind of request's latency and the CPU per order, orders
 * (each way of following) and bare workflow side by side.
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
import { fmt, percentile, runBenchmark, runWorkload } from './harness.js';
import { retryAfterMs, type CapacitySearch } from './open-loop.js';
import { call, LIST_FILTERS, listWhile, POLL_MS, RefusedError, runOrder, seedStock, skusOf, WAREHOUSE, type Driver, type OrderView } from './order-driver.js';
import { bareAtRate, findCapacity, ordersAtRate, SETTLE_MS, type FollowMode, type RateRun, type RateSettings } from './order-rates.js';
import { printOrdersReport, type Check, type OrdersReport, type Phase, type RequestTimes } from './order-report.js';
import { runningStack, startOwnStack, startProductionOrderStack, type DatabaseCall, type Stack } from './order-stack.js';
import { openOrderFeed } from './order-stream.js';
import { cpuBetween, treeCpu } from './process-cpu.js';
import { printRatesReport, type RatesReport } from './rate-report.js';
import { orderSeeder } from './seed-orders.js';
import { historyCounts, runBare, withBareWorker } from './temporal-runs.js';

const { values: options } = parseArgs({
  options: {
    url: { type: 'string' },
    stack: { type: 'string', default: 'both' },
    orders: { type: 'string' },
    'in-flight': { type: 'string' },
    grow: { type: 'string' },
    rate: { type: 'string' },
    'find-capacity': { type: 'boolean' },
    'start-rate': { type: 'string' },
    'rate-step': { type: 'string' },
    narrow: { type: 'string' },
    'step-seconds': { type: 'string' },
    'max-p99': { type: 'string' },
    duration: { type: 'string' },
    deadline: { type: 'string' },
    drain: { type: 'string' },
    follow: { type: 'string' },
  },
});
const MODE = options['find-capacity'] ? 'find-capacity' : options.rate !== undefined ? 'rate' : 'closed loop';
const CLOSED_LOOP_OPTIONS = ['orders', 'in-flight', 'grow'];
const OPEN_LOOP_OPTIONS = ['duration', 'deadline', 'drain', 'follow'];
const SEARCH_OPTIONS = ['start-rate', 'rate-step', 'narrow', 'step-seconds', 'max-p99'];
if (options.rate !== undefined && options['find-capacity']) throw new Error('--rate and --find-capacity do not go together: the search picks its rates');
if (MODE === 'closed loop') refuseOptions([...OPEN_LOOP_OPTIONS, ...SEARCH_OPTIONS], 'needs --rate or --find-capacity');
else refuseOptions(CLOSED_LOOP_OPTIONS, 'is for the closed loop (without --rate or --find-capacity)');
if (MODE === 'rate') refuseOptions(SEARCH_OPTIONS, 'is for --find-capacity');

const ORDERS = positiveInt(options.orders ?? '200', '--orders');
const IN_FLIGHT = positiveInt(options['in-flight'] ?? '20', '--in-flight');
const GROW = options.grow === undefined ? 0 : positiveInt(options.grow, '--grow');
const RATE = options.rate === undefined ? 0 : positiveNumber(options.rate, '--rate');
const SEARCH: CapacitySearch = {
  startRate: positiveNumber(options['start-rate'] ?? '1', '--start-rate'),
  factor: positiveNumber(options['rate-step'] ?? '1.25', '--rate-step'),
  narrow: options.narrow === '0' ? 0 : positiveInt(options.narrow ?? '1', '--narrow'),
};
if (SEARCH.factor <= 1) throw new Error(`--rate-step must be more than 1, got "${options['rate-step']}"`);
const STEP_SECONDS = positiveNumber(options['step-seconds'] ?? '30', '--step-seconds');
const MAX_P99_MS = 1000 * positiveNumber(options['max-p99'] ?? '2', '--max-p99');
const DURATION_SECONDS = positiveNumber(options.duration ?? '60', '--duration');
const DEADLINE_MS = 1000 * positiveNumber(options.deadline ?? '30', '--deadline');
const DRAIN_MS = 1000 * positiveNumber(options.drain ?? '120', '--drain');
if (DRAIN_MS < DEADLINE_MS) throw new Error(`--drain must be at least --deadline (${DEADLINE_MS / 1000} s), got "${options.drain}"`);
const FOLLOWS = followModes(options.follow ?? 'poll');
const STACKS = options.url ? ['url'] : options.stack === 'both' ? ['embedded', 'production'] : [options.stack!];
if (!STACKS.every((name) => ['url', 'embedded', 'production'].includes(name))) throw new Error(`--stack must be embedded, production or both, got "${options.stack}"`);
const SEED_CONCURRENCY = 8;
const WARMUP_ORDERS = 10;
const ORDER_TIMEOUT_MS = 10 * 60_000;
/** Stock for a capacity search, whose number of orders is not known beforehand; far more than it runs. */
const SEARCH_STOCK = 100_000;

function refuseOptions(names: string[], why: string): void {
  const given = names.find((name) => (options as Record<string, unknown>)[name] !== undefined);
  if (given) throw new Error(`--${given} ${why}`);
}

function positiveInt(raw: string, name: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, got "${raw}"`);
  return value;
}

function positiveNumber(raw: string, name: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a number > 0, got "${raw}"`);
  return value;
}

function followModes(raw: string): FollowMode[] {
  if (raw === 'both') return ['poll', 'stream'];
  if (raw === 'poll' || raw === 'stream') return [raw];
  throw new Error(`--follow must be poll, stream or both, got "${raw}"`);
}

const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);

// ---------------------------------------------------------------------------------------------------
// What both loops share.

/** Unmeasured orders first, so that the measured ones do not pay for a cold start. */
async function warmUp(stack: Stack, follow: FollowMode, inFlight: number): Promise<void> {
  console.error(`[bench] warm-up: ${WARMUP_ORDERS} orders${follow === 'stream' ? ', followed by stream' : ''}`);
  const feed = follow === 'stream' ? await openOrderFeed(stack.apiUrl, 'dev-channel-web') : undefined;
  try {
    const driver: Driver = { stack, times: new Map(), listFailures: [] };
    const name = follow === 'stream' ? 'warmup-stream' : 'warmup';
    await runWorkload('warm-up', WARMUP_ORDERS, inFlight, (i) =>
      runOrder(driver, feed ? { by: 'stream', feed } : { by: 'poll' }, name, i, [], Date.now() + ORDER_TIMEOUT_MS),
    );
  } finally {
    await feed?.close();
  }
}

/** `delivered` of the `accepted` orders, and the books of `orderIds`: stock against the ledger, one capture per shipment. */
async function verify(stack: Stack, orders: { name: string; delivered: number; accepted: number }, orderIds: string[]): Promise<Check[]> {
  const driver: Driver = { stack, times: new Map(), listFailures: [] };
  const checks: Check[] = [{ name: orders.name, ok: orders.delivered === orders.accepted, detail: `${orders.delivered} / ${orders.accepted}` }];
  const reconciliation = await call(driver, undefined, 'POST', '/v1/admin/reconciliation', 'dev-admin', {});
  checks.push({
    name: 'stock levels equal the ledger (POST /v1/admin/reconciliation)',
    ok: reconciliation.drift.length === 0,
    detail: `${reconciliation.checked} locations checked, ${reconciliation.drift.length} drifted`,
  });
  const views: OrderView[] = [];
  for (const orderId of orderIds) views.push(await call(driver, undefined, 'GET', `/v1/orders/${orderId}`, 'dev-support'));
  const captureKeys = views.flatMap((o) => o.shipments.map((s) => orderKeys(o.orderId).capture(s.shipmentId)));
  // Both books keep a record under its business key as `_id`; a thousand ids a call.
  let ours = 0;
  let providers = 0;
  for (let i = 0; i < captureKeys.length; i += 1_000) {
    const keys = captureKeys.slice(i, i + 1_000);
    ours += await PaymentModel.countDocuments({ _id: { $in: keys }, outcome: 'approved' });
    providers += await SandboxPaymentModel.countDocuments({ _id: { $in: keys }, outcome: 'approved' });
  }
  checks.push({
    name: "one capture per shipment, in our books and the provider's",
    ok: ours === captureKeys.length && providers === captureKeys.length,
    detail: `${captureKeys.length} shipments, ${ours} captures recorded, ${providers} at the provider`,
  });
  return checks;
}

function machine(loadBefore: number): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown cpu'}), ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, 1-min load average ${loadBefore.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`;
}

// ---------------------------------------------------------------------------------------------------
// Closed loop.

async function measureOrders(stack: Stack, cpuPids: number[], name: string, listFailures: string[]): Promise<Phase> {
  const stored = await OrderModel.estimatedDocumentCount();
  console.error(`[bench] orders: ${ORDERS} with ${IN_FLIGHT} in flight, ${stored} orders stored`);
  const driver: Driver = { stack, times: new Map(), listFailures };
  const cpuBefore = await treeCpu(cpuPids);
  const orderIds: string[] = [];
  let refusedWithRetryAfter = 0;
  let done = false;
  const lists = listWhile(driver, () => done);
  // A refused order is sent again after its Retry-After, as a channel would, the wait in its end-to-end
  // time; one refused without saying when to come back ends there.
  const result = await runWorkload(`orders through the API, ${stored.toLocaleString('en')} stored`, ORDERS, IN_FLIGHT, async (i) => {
    const giveUpAt = Date.now() + ORDER_TIMEOUT_MS;
    for (;;) {
      try {
        return await runOrder(driver, { by: 'poll' }, name, i, orderIds, giveUpAt);
      } catch (error) {
        if (!(error instanceof RefusedError)) throw error;
        const wait = retryAfterMs(error.retryAfter, Date.now());
        if (wait === undefined) return 'refused';
        refusedWithRetryAfter++;
        await sleep(wait);
      }
    }
  }).finally(() => {
    done = true;
  });
  await lists;
  const cpu = cpuBetween(cpuBefore, await treeCpu(cpuPids));
  console.error(`[bench] orders: ${result.ok}/${result.ops} delivered in ${fmt(result.seconds, 1)} s`);
  return { stored, result, requests: driver.times, alone: await requestsAlone(stack, orderIds), cpu, orderIds, refusedWithRetryAfter };
}

/**
 * Requests one at a time with nothing else running (the orders are in their return window): what a list
 * page and a lookup cost by themselves at this many orders stored. Each list also reads its second page.
 */
async function requestsAlone(stack: Stack, orderIds: string[]): Promise<RequestTimes> {
  const driver: Driver = { stack, times: new Map(), listFailures: [] };
  for (let i = 0; i < 40; i++) {
    const page = await call(driver, 'GET /v1/orders (50 a page)', 'GET', `/v1/orders?limit=50${LIST_FILTERS[i % LIST_FILTERS.length]}`, 'dev-support');
    if (page.nextCursor) {
      await call(driver, 'GET /v1/orders (50 a page)', 'GET', `/v1/orders?limit=50&cursor=${page.nextCursor}${LIST_FILTERS[i % LIST_FILTERS.length]}`, 'dev-support');
    }
    await call(driver, 'GET /v1/orders/{id}', 'GET', `/v1/orders/${orderIds[i % orderIds.length]}`, 'dev-support');
  }
  return driver.times;
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

/** The closed loop on a stack that is up, stocked and warm: its report, but for the database calls. */
async function closedLoop(stack: Stack, client: Client, loadBefore: number): Promise<OrdersReport> {
  const cpuPids = [...stack.pids, process.pid];
  const listFailures: string[] = [];
  console.error(`[bench] bare workflow: ${ORDERS} with ${IN_FLIGHT} in flight`);
  const cpuAtStart = await treeCpu(cpuPids);
  const bare = await runBare(
    { connection: stack.temporal, namespace: stack.namespace, client },
    { runs: ORDERS, inFlight: IN_FLIGHT, pollMs: POLL_MS, giveUpMs: ORDER_TIMEOUT_MS },
  );
  const bareCpu = cpuBetween(cpuAtStart, await treeCpu(cpuPids));

  const phases = [await measureOrders(stack, cpuPids, 'measured', listFailures)];
  let growth: string | undefined;
  if (GROW > 0) {
    console.error(`[bench] storing ${GROW} more delivered orders`);
    growth = await growDatabase(client, GROW);
    phases.push(await measureOrders(stack, cpuPids, 'grown', listFailures));
  }

  console.error('[bench] reading histories and verifying');
  const bareHistory = await historyCounts(client, bare.workflowIds);
  const orderIds = phases.flatMap((p) => p.orderIds);
  const orderHistory = await historyCounts(client, orderIds.map(orderWorkflowId));
  const delivered = sum(phases.map((p) => p.result.ok));
  const accepted = sum(phases.map((p) => p.result.ops - p.result.refused));
  const checks = await verify(stack, { name: 'every order delivered, none stuck or failed', delivered, accepted }, orderIds);
  return {
    machine: machine(loadBefore),
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
}

// ---------------------------------------------------------------------------------------------------
// Open loop.

/**
 * Each run at a rate starts with the API admitting: the warm-up's burst on a cold worker, or the step
 * before past capacity, can leave a backlog that admission control refuses on for some seconds more
 * (Temporal refreshes the figure every 5 s). Says so when it waited.
 */
async function untilAdmitting(stack: Stack, timeoutMs = 60_000): Promise<void> {
  const started = performance.now();
  const refusing = async () => /^oms_admission_refusing 1$/m.test(await (await fetch(`${stack.apiUrl}/metrics`)).text());
  while ((await refusing()) && performance.now() - started < timeoutMs) await sleep(500);
  const waited = performance.now() - started;
  if (waited >= 1_000) console.error(`[bench] waited ${fmt(waited / 1000, 1)} s for admission control to admit again`);
}

/** --rate or --find-capacity on a stack that is up, stocked and warm: its report, but for the database calls. */
async function openLoop(stack: Stack, client: Client, loadBefore: number): Promise<RatesReport> {
  const cpuPids = [...stack.pids, process.pid];
  const orderIds: string[] = [];
  const settings = (seconds: number): RateSettings => ({ seconds, deadlineMs: DEADLINE_MS, drainMs: DRAIN_MS });
  let runs = 0;
  const orders = async (follow: FollowMode, rate: number, seconds: number) => {
    await untilAdmitting(stack);
    console.error(`[bench] orders, followed by ${follow === 'poll' ? 'polling' : 'stream'}: ${rate} per second for ${seconds} s`);
    return ordersAtRate(stack, follow, rate, settings(seconds), cpuPids, orderIds, `${follow}${++runs}`);
  };
  return withBareWorker({ connection: stack.temporal, namespace: stack.namespace, client }, POLL_MS, async (bare) => {
    const bareAt = (rate: number, seconds: number) => {
      console.error(`[bench] bare workflow: ${rate} per second for ${seconds} s`);
      return bareAtRate(bare, rate, settings(seconds), cpuPids);
    };
    let capacity: RatesReport['capacity'];
    let rate = RATE;
    let title = `At ${fmt(rate, 2)} per second for ${DURATION_SECONDS} s`;
    if (MODE === 'find-capacity') {
      const ordersSearch = await findCapacity(`orders, followed by ${FOLLOWS[0] === 'poll' ? 'polling' : 'stream'}`, (r) => orders(FOLLOWS[0], r, STEP_SECONDS), SEARCH, MAX_P99_MS);
      const bareSearch = await findCapacity('bare workflow', (r) => bareAt(r, STEP_SECONDS), SEARCH, MAX_P99_MS);
      capacity = { orders: ordersSearch, bare: bareSearch, search: SEARCH, maxP99Ms: MAX_P99_MS };
      rate = Math.round(ordersSearch.rate * 50) / 100;
      title = `At half the orders' sustainable rate: ${fmt(rate, 2)} per second for ${DURATION_SECONDS} s`;
    }
    const atRate: RateRun[] = [];
    if (rate > 0) {
      for (const follow of FOLLOWS) {
        atRate.push(await orders(follow, rate, DURATION_SECONDS));
        await sleep(SETTLE_MS);
      }
      atRate.push(await bareAt(rate, DURATION_SECONDS));
    }
    console.error('[bench] verifying');
    const orderRuns = [...(capacity?.orders.steps ?? []), ...atRate].filter((run) => run.side === 'orders');
    const accepted = sum(orderRuns.map((run) => run.summary.accepted));
    const delivered = sum(orderRuns.map((run) => run.summary.deliveredInTime + run.summary.deliveredLate));
    const checks = await verify(stack, { name: "every accepted order delivered by the run's end, none lost, stuck or failed", delivered, accepted }, orderIds);
    const followed = FOLLOWS.map((follow) => (follow === 'poll' ? 'by polling its lookup every 100 ms' : "by its changes on one stream of channel web's order events")).join(', and ');
    return {
      machine: machine(loadBefore),
      stack: `${stack.describe}; node ${process.version}`,
      workload:
        `orders arriving at a fixed rate, however many are in flight, after ${WARMUP_ORDERS} warm-up orders, each followed ${followed}; ` +
        `the bare workflow arriving at the same rates on the same Temporal server, its status queried every ${POLL_MS} ms; ` +
        `an order's deadline ${DEADLINE_MS / 1000} s, and each followed until delivered or ${DRAIN_MS / 1000} s after the last arrival`,
      ownStack: stack.pids.length > 0,
      deadlineMs: DEADLINE_MS,
      capacity,
      atRate: rate > 0 ? { title, runs: atRate } : undefined,
      ordersRun: WARMUP_ORDERS * FOLLOWS.length + accepted,
      checks,
    };
  });
}

/** A line for the stacks' comparison. */
function openLoopSummary(report: RatesReport): string {
  if (report.capacity) {
    const { orders, bare } = report.capacity;
    return `orders sustain ${fmt(orders.rate, 2)} per second, the bare workflow ${fmt(bare.rate, 2)} (${fmt(orders.rate / bare.rate, 3)}x)`;
  }
  return (report.atRate?.runs ?? [])
    .map((run) => `${run.name}: ${run.summary.deliveredInTime} of ${run.summary.arrived} in time, end-to-end p99 ${fmt(percentile(run.summary.latencies, 99) / 1000, 2)} s`)
    .join('; ');
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const summaries: string[] = [];
  for (const which of STACKS) {
    const { ok, summary } = await benchStack(which);
    if (!ok) process.exitCode = 1;
    summaries.push(summary);
  }
  if (summaries.length > 1) console.log(['## Both stacks, one after the other', '', ...summaries.map((line) => `- ${line}`)].join('\n'));
}

/** Orders the loop needs stock for, warm-up included. */
function stockNeeded(): number {
  if (MODE === 'closed loop') return (GROW > 0 ? 2 : 1) * ORDERS + WARMUP_ORDERS + GROW;
  if (MODE === 'find-capacity') return SEARCH_STOCK;
  return FOLLOWS.length * (WARMUP_ORDERS + Math.ceil(RATE * DURATION_SECONDS));
}

/** Runs the whole benchmark on one stack and prints its report; whether every check passed, and a line that sums it up. */
async function benchStack(which: string): Promise<{ ok: boolean; summary: string }> {
  const wallStart = performance.now();
  const loadBefore = os.loadavg()[0];
  console.error(`[bench] ${options.url ? `using the stack at ${options.url}` : `starting the ${which} stack with npm start ...`}`);
  const stack = options.url ? runningStack(options.url) : which === 'production' ? await startProductionOrderStack() : await startOwnStack();
  let closed: OrdersReport | undefined;
  let open: RatesReport | undefined;
  let dbRows: DatabaseCall[] | undefined;
  try {
    const connection = await Connection.connect(stack.temporal);
    try {
      const client = new Client({ connection, namespace: stack.namespace });
      await connectMongo(stack.mongoUri);
      await seedStock({ stack, times: new Map(), listFailures: [] }, stockNeeded());
      if (MODE === 'closed loop') {
        await warmUp(stack, 'poll', Math.min(IN_FLIGHT, WARMUP_ORDERS));
        closed = await closedLoop(stack, client, loadBefore);
      } else {
        for (const follow of FOLLOWS) await warmUp(stack, follow, WARMUP_ORDERS / 2);
        open = await openLoop(stack, client, loadBefore);
      }
    } finally {
      await connection.close();
    }
  } finally {
    await disconnectMongo().catch(() => undefined);
    dbRows = await stack.stop();
  }
  const wallSeconds = (performance.now() - wallStart) / 1000;
  if (open) {
    const ok = printRatesReport({ ...open, dbRows }, wallSeconds);
    return { ok, summary: `${which}: ${openLoopSummary(open)}` };
  }
  const ok = printOrdersReport(closed && { ...closed, dbRows }, wallSeconds);
  if (!closed) return { ok, summary: `${which}: no report` };
  const [bareRun, firstPhase] = [closed.bare.result, closed.phases[0].result];
  const perSecond = firstPhase.ok / firstPhase.seconds;
  return { ok, summary: `${which}: ${fmt(perSecond, 2)} orders/s, ${fmt(perSecond / (bareRun.ok / bareRun.seconds), 3)}x its bare workflow (${fmt(bareRun.ok / bareRun.seconds, 2)}/s)` };
}

await runBenchmark(main);
