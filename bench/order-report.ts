/** The tables `npm run bench:orders` prints in its closed loop (the default): throughput against the bare workflow, request latencies, history size, CPU per process, database calls per order and its own checks. */
import type { WorkloadResult } from './harness.js';
import { fmt, markdownTable, percentile } from './harness.js';
import type { DatabaseCall } from './order-stack.js';

export type RequestKind =
  | 'POST /v1/orders'
  /** Intake answered 503 (admission control): a refusal, not a failure. */
  | 'POST /v1/orders refused'
  | 'GET /v1/orders/{id}'
  | 'GET /v1/orders (50 a page)'
  | 'POST /v1/shipments/{id}/events'
  /** The bare workflow's counterparts: its start, its status query, its signals. */
  | 'bare: start'
  | 'bare: status query'
  | 'bare: signal';

/** Each request's time in ms, by kind. */
export type RequestTimes = Map<RequestKind, number[]>;

export interface CpuRow {
  name: string;
  seconds: number;
}

export interface HistoryCounts {
  events: number;
  activities: number;
  localActivities: number;
}

/** One measured run of orders, with the number of orders stored when it began. */
export interface Phase {
  stored: number;
  result: WorkloadResult;
  requests: RequestTimes;
  /** The same requests one at a time, with nothing else running, after the run. */
  alone: RequestTimes;
  cpu: CpuRow[];
  orderIds: string[];
  /** Of intake's 503 answers (requests' `POST /v1/orders refused`), those that said when to come back; each such order was sent again after it. */
  refusedWithRetryAfter: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface OrdersReport {
  machine: string;
  stack: string;
  workload: string;
  /** How the database was grown between the phases (--grow). */
  growth?: string;
  ownStack: boolean;
  bare: { result: WorkloadResult; cpu: CpuRow[]; history: HistoryCounts };
  phases: Phase[];
  orderHistory: HistoryCounts;
  ordersRun: number;
  listFailures: string[];
  checks: Check[];
  dbRows?: DatabaseCall[];
}

const stored = (phase: Phase) => `${phase.stored.toLocaleString('en')} stored`;

/** Prints the report; true when every check passed. */
export function printOrdersReport(report: OrdersReport | undefined, wallSeconds: number): boolean {
  if (!report) return false;
  const { bare, phases } = report;
  console.log('## Orders benchmark');
  console.log('');
  console.log(`- machine: ${report.machine}`);
  console.log(`- ${report.stack}`);
  console.log(`- ${report.workload}`);
  if (report.growth) console.log(`- between the runs: ${report.growth}`);
  console.log('');

  const bareRate = bare.result.ok / bare.result.seconds;
  const firstRate = phases[0].result.ok / phases[0].result.seconds;
  markdownTable(
    ['workload', 'runs', 'ok', 'time s', 'per s', 'vs bare', 'vs first run', 'end-to-end p50 s', 'p99 s'],
    [bare.result, ...phases.map((p) => p.result)].map((r) => [
      r.name,
      String(r.ops),
      String(r.ok),
      fmt(r.seconds),
      fmt(r.ok / r.seconds, 2),
      `${fmt(r.ok / r.seconds / bareRate, 3)}x`,
      r === bare.result ? '' : `${fmt(r.ok / r.seconds / firstRate, 2)}x`,
      fmt(percentile(r.latencies, 50) / 1000, 2),
      fmt(percentile(r.latencies, 99) / 1000, 2),
    ]),
  );
  console.log('');

  printRequests('request (during the measured orders)', phases, (p) => p.requests);
  console.log('');
  printRequests('request alone, one at a time after the run', phases, (p) => p.alone);
  console.log('');
  markdownTable(
    ['per run', 'bare workflow', 'order'],
    [
      ['history events', fmt(bare.history.events), fmt(report.orderHistory.events)],
      ['activity executions', fmt(bare.history.activities), fmt(report.orderHistory.activities)],
      ['local activity executions', fmt(bare.history.localActivities), fmt(report.orderHistory.localActivities)],
    ],
  );
  console.log('');
  printCpu(report);
  for (const r of [bare.result, ...phases.map((p) => p.result)]) for (const [message, count] of r.failures) console.log(`- ${r.name}: ${count} failed: ${message}`);
  for (const p of phases) {
    const refusals = p.requests.get('POST /v1/orders refused')?.length ?? 0;
    if (refusals === 0) continue;
    console.log(
      `- ${p.result.name}: ${refusals} refusals (503), ${p.refusedWithRetryAfter} of them with Retry-After, each order then sent again after it;` +
        ` ${p.result.refused} orders refused without it, not sent again`,
    );
  }
  if (report.listFailures.length > 0) console.log(`- the list reader: ${report.listFailures.length} requests failed, e.g. ${report.listFailures[0]}`);

  console.log('');
  printDatabaseCalls(report);
  console.log('');
  return printVerification(report.checks, wallSeconds);
}

/** Prints the benchmark's own checks; true when every one passed. */
export function printVerification(checks: Check[], wallSeconds: number): boolean {
  console.log('### Verification');
  for (const check of checks) console.log(`- ${check.ok ? 'PASS' : 'FAIL'} ${check.name}: ${check.detail}`);
  const allOk = checks.length > 0 && checks.every((c) => c.ok);
  console.log(`- ${allOk ? 'PASS' : 'FAIL'} overall (whole run ${fmt(wallSeconds)} s)`);
  return allOk;
}

function printRequests(title: string, phases: Phase[], times: (phase: Phase) => RequestTimes): void {
  const kinds = [...new Set(phases.flatMap((p) => [...times(p).keys()]))].sort();
  markdownTable(
    [title, ...phases.flatMap((p) => [`count, ${stored(p)}`, 'p50 ms', 'p99 ms', 'max ms'])],
    kinds.map((kind) => [
      kind,
      ...phases.flatMap((p) => {
        const sorted = Float64Array.from(times(p).get(kind) ?? []).sort();
        if (sorted.length === 0) return ['0', '', '', ''];
        return [String(sorted.length), fmt(percentile(sorted, 50)), fmt(percentile(sorted, 99)), fmt(sorted[sorted.length - 1])];
      }),
    ]),
  );
}

function printCpu({ bare, phases, ownStack }: OrdersReport): void {
  if (phases[0].cpu.length === 0) {
    console.log('- CPU per process: not available (no /proc)');
    return;
  }
  const names = [...new Set([...phases.flatMap((p) => p.cpu.map((row) => row.name)), ...bare.cpu.map((row) => row.name)])];
  const seconds = (rows: CpuRow[], name: string) => rows.find((row) => row.name === name)?.seconds ?? 0;
  const total = (rows: CpuRow[]) => rows.reduce((sum, row) => sum + row.seconds, 0);
  const perOrder = (p: Phase, name: string) => (1000 * seconds(p.cpu, name)) / p.result.ops;
  markdownTable(
    [
      `CPU per process${ownStack ? '' : ' (this benchmark only: the stack is not its own)'}`,
      'bare s',
      ...phases.flatMap((p) => [`orders s, ${stored(p)}`, 'share', 'ms per order']),
    ],
    names
      .sort((a, b) => seconds(phases[0].cpu, b) - seconds(phases[0].cpu, a))
      .map((name) => [
        name,
        fmt(seconds(bare.cpu, name)),
        ...phases.flatMap((p) => [fmt(seconds(p.cpu, name)), `${fmt((100 * seconds(p.cpu, name)) / total(p.cpu), 0)}%`, fmt(perOrder(p, name), 0)]),
      ]),
  );
}

export function printDatabaseCalls({ dbRows, ordersRun }: { dbRows?: DatabaseCall[]; ordersRun: number }): void {
  console.log(`### Database calls per order (worker and API, ${ordersRun} orders; the list reader's calls included)`);
  if (!dbRows) {
    console.log('- not counted: only a stack this benchmark starts counts its database calls');
    return;
  }
  const perOrder = (count: number) => count / ordersRun;
  const total = (process: string) => dbRows.filter((r) => r.process === process).reduce((sum, r) => sum + r.count, 0);
  console.log(`- in all: worker ${fmt(perOrder(total('worker')))}, api ${fmt(perOrder(total('api')))} per order`);
  console.log('');
  markdownTable(
    ['process', 'collection.method {filter shape}', 'per order'],
    dbRows.filter((r) => perOrder(r.count) >= 0.05).map((r) => [r.process, r.call, fmt(perOrder(r.count), 2)]),
  );
}
