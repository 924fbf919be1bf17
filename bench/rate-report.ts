/**
 * The tables the open-loop modes of `npm run bench:orders` print (--rate, --find-capacity): each step of
 * the capacity search, the sustainable rates and their ratio, and the runs at one rate side by side
 * (orders polled, orders by stream, the bare workflow): what became of the arrivals, the latency of each
 * kind of request, refusals, and the CPU each process spent per order.
 */
import { fmt, markdownTable, percentile } from './harness.js';
import type { CapacitySearch } from './open-loop.js';
import type { CapacityRun, RateRun } from './order-rates.js';
import { printDatabaseCalls, printVerification, type Check, type RequestKind } from './order-report.js';
import type { DatabaseCall } from './order-stack.js';

export interface RatesReport {
  machine: string;
  stack: string;
  workload: string;
  ownStack: boolean;
  deadlineMs: number;
  capacity?: { orders: CapacityRun; bare: CapacityRun; search: CapacitySearch; maxP99Ms: number };
  /** The runs at one rate, side by side: --rate's, or --find-capacity's at half the orders' sustainable rate. */
  atRate?: { title: string; runs: RateRun[] };
  /** Orders run in all, the warm-up's included (for the database calls per order). */
  ordersRun: number;
  checks: Check[];
  dbRows?: DatabaseCall[];
}

const seconds = (ms: number) => fmt(ms / 1000, 2);
const endToEnd = (run: RateRun) => `${seconds(percentile(run.summary.latencies, 50))} / ${seconds(percentile(run.summary.latencies, 99))}`;

/** Prints the report; true when every check passed. */
export function printRatesReport(report: RatesReport | undefined, wallSeconds: number): boolean {
  if (!report) return false;
  console.log('## Orders benchmark, open loop');
  console.log('');
  console.log(`- machine: ${report.machine}`);
  console.log(`- ${report.stack}`);
  console.log(`- ${report.workload}`);
  console.log('');
  if (report.capacity) printCapacity(report.capacity, report.deadlineMs);
  if (report.atRate) {
    console.log(`### ${report.atRate.title}`);
    console.log('');
    printRuns(report.atRate.runs, report);
    console.log('');
  }
  printDatabaseCalls(report);
  console.log('');
  return printVerification(report.checks, wallSeconds);
}

function printCapacity({ orders, bare, search, maxP99Ms }: NonNullable<RatesReport['capacity']>, deadlineMs: number): void {
  console.log(
    `### Capacity search: from ${search.startRate} per second, x${search.factor} a step, then ${search.narrow} step(s) between the last rate that held and the first that did not`,
  );
  console.log('');
  console.log(`A rate holds when every arrival is delivered within ${fmt(deadlineMs / 1000, 0)} s and the end-to-end p99 is at most ${fmt(maxP99Ms / 1000, 1)} s.`);
  console.log('');
  const steps = [...orders.steps, ...bare.steps];
  markdownTable(
    ['run', 'per s', 'arrived', 'in time', 'refused', 'late', 'not delivered', 'failed', 'end-to-end p50 / p99 s', 'took s'],
    steps.map((step) => {
      const s = step.summary;
      return [step.name, fmt(step.rate, 2), String(s.arrived), String(s.deliveredInTime), String(s.refused), String(s.deliveredLate), String(s.notDelivered),
        String(sum(s.failures.values())), endToEnd(step), fmt(step.took, 0)];
    }),
  );
  for (const step of steps) for (const [reason, count] of step.summary.failures) console.log(`- ${step.name} at ${fmt(step.rate, 2)} per second: ${count} failed: ${reason}`);
  console.log('');
  const describe = (search: CapacityRun) => {
    if (search.rate === 0) return 'not even the lowest rate tried held';
    const failed = Math.min(...search.steps.filter((step) => step.rate > search.rate).map((step) => step.rate));
    return search.bounded ? `${fmt(search.rate, 2)} per second (${fmt(failed, 2)} did not hold)` : `at least ${fmt(search.rate, 2)} per second (every rate tried held)`;
  };
  console.log(`- sustainable, ${orders.steps[0]?.name ?? 'orders'}: ${describe(orders)}`);
  console.log(`- sustainable, bare workflow: ${describe(bare)}`);
  console.log(`- orders / bare workflow: ${fmt(orders.rate / bare.rate, 3)}x`);
  console.log(`- the search took ${fmt((orders.seconds + bare.seconds) / 60, 1)} min (orders ${fmt(orders.seconds / 60, 1)}, bare workflow ${fmt(bare.seconds / 60, 1)})`);
  console.log('');
}

/** Each kind of request, with the bare workflow's counterpart. */
const REQUEST_ROWS: Array<{ label: string; orders: RequestKind; bare?: RequestKind }> = [
  { label: '`POST /v1/orders` (bare: start)', orders: 'POST /v1/orders', bare: 'bare: start' },
  { label: '`POST /v1/orders` refused (503)', orders: 'POST /v1/orders refused' },
  { label: '`GET /v1/orders/{id}` (bare: status query)', orders: 'GET /v1/orders/{id}', bare: 'bare: status query' },
  { label: 'list of 50', orders: 'GET /v1/orders (50 a page)' },
  { label: 'shipment event (bare: signal)', orders: 'POST /v1/shipments/{id}/events', bare: 'bare: signal' },
];

const sum = (values: Iterable<number>) => [...values].reduce((total, n) => total + n, 0);

function printRuns(runs: RateRun[], { deadlineMs, ownStack }: RatesReport): void {
  const row = (label: string, cell: (run: RateRun) => string): string[] => [label, ...runs.map(cell)];
  const onlyOrders = (cell: (run: RateRun) => string) => (run: RateRun) => (run.side === 'orders' ? cell(run) : '-');
  const requests = REQUEST_ROWS.map(({ label, orders, bare }) =>
    row(`${label}: count, p50 / p99 / max ms`, (run) => {
      const kind = run.side === 'orders' ? orders : bare;
      if (!kind) return '-';
      const sorted = Float64Array.from(run.requests.get(kind) ?? []).sort();
      if (sorted.length === 0) return '0';
      return `${sorted.length}: ${fmt(percentile(sorted, 50))} / ${fmt(percentile(sorted, 99))} / ${fmt(sorted[sorted.length - 1])}`;
    }),
  );
  const processes = [...new Set(runs.flatMap((run) => run.cpu.map((cpu) => cpu.name)))];
  const cpuPerOrder = (run: RateRun, name: string) => (1000 * (run.cpu.find((cpu) => cpu.name === name)?.seconds ?? 0)) / run.summary.accepted;
  markdownTable(
    ['', ...runs.map((run) => run.name)],
    [
      row('arrival rate, per second', (run) => fmt(run.rate, 2)),
      row('arrived', (run) => String(run.summary.arrived)),
      row('accepted', (run) => String(run.summary.accepted)),
      row('refused (503)', onlyOrders(({ summary: s }) => (s.refused === 0 ? '0' : `${s.refused}, ${s.refusedWithRetryAfter === s.refused ? 'all' : s.refusedWithRetryAfter} with Retry-After`))),
      row(`delivered within ${fmt(deadlineMs / 1000, 0)} s`, (run) => String(run.summary.deliveredInTime)),
      row('delivered late', (run) => String(run.summary.deliveredLate)),
      row("not delivered by the run's end (lost or stuck)", (run) => String(run.summary.notDelivered)),
      row('failed', (run) => String(sum(run.summary.failures.values()))),
      row('end-to-end p50 / p99, s', endToEnd),
      row('from the first arrival to the last end, s', (run) => fmt(run.took, 0)),
      ...requests,
      ...(runs.some((run) => run.reconnects !== undefined) ? [row('order stream reopened', (run) => (run.reconnects === undefined ? '-' : String(run.reconnects)))] : []),
      ...processes.map((name) => row(`CPU per accepted order, ms: ${name}`, (run) => fmt(cpuPerOrder(run, name), 0))),
    ],
  );
  if (processes.length === 0) console.log('- CPU per process: not available (no /proc)');
  else if (!ownStack) console.log('- CPU: this benchmark only, the stack is not its own');
  for (const run of runs) {
    for (const [reason, count] of run.summary.failures) console.log(`- ${run.name}: ${count} failed: ${reason}`);
    if (run.listFailures.length > 0) console.log(`- ${run.name}: the list reader: ${run.listFailures.length} requests failed, e.g. ${run.listFailures[0]}`);
  }
}
