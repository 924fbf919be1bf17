/**
 * What the benchmarks in bench/ share: a server to run against (their own FerretDB, or MONGODB_URI), a
 * fresh database per workload, running a workload of operations with some in flight (or arriving at a
 * rate, however many are in flight) while counting each operation's database calls (AsyncLocalStorage +
 * mongoose's `debug` hook, which sees each collection method call), and the figures and tables they print.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { connectMongo } from '../persistence/connection.js';
import { startPostgres } from '../stack/postgres.js';
import { findFreePort } from '../stack/processes.js';
import { startFerretDB, type FerretDBServer } from '../stack/services.js';
import { ensureTools } from '../stack/tools.js';

export function intFromEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

/** Tells this run's databases and keys from any other's. */
export const RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;

// ---------------------------------------------------------------------------------------------------
// Per-operation accounting of database calls.

interface OpContext {
  calls: number;
  /** insertOne calls on the workload's `countInsertsInto` collection. */
  inserts: number;
  countInsertsInto?: string;
}
const opContext = new AsyncLocalStorage<OpContext>();

mongoose.set('debug', (collectionName: string, method: string) => {
  const context = opContext.getStore();
  if (!context) return;
  context.calls++;
  if (collectionName === context.countInsertsInto && method === 'insertOne') context.inserts++;
});

/** Set by SIGINT/SIGTERM: workers take no new operations, and main() cleans up. */
let aborted = false;

/**
 * Runs a benchmark's main: the first SIGINT/SIGTERM stops the workloads after the operations in flight and
 * lets main clean up, the second forces; a failure is printed and sets the exit code.
 */
export async function runBenchmark(main: () => Promise<void>): Promise<void> {
  let interrupted = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (++interrupted > 1) process.exit(130);
      console.error(`[bench] ${signal}: stopping after the operations in flight, then cleaning up (again to force)`);
      aborted = true;
    });
  }
  try {
    await main();
  } catch (error) {
    console.error(aborted ? '[bench] aborted' : error);
    process.exitCode = 1;
  }
}

/** Whether a signal asked the benchmark to stop. */
export function wasAborted(): boolean {
  return aborted;
}

// ---------------------------------------------------------------------------------------------------
// Running a workload.

export interface WorkloadResult {
  name: string;
  ops: number;
  ok: number;
  /** Operations that the system refused (they neither succeeded nor failed). */
  refused: number;
  failures: Map<string, number>;
  seconds: number;
  /** Latencies of successful operations, ms, sorted. */
  latencies: Float64Array;
  /** Seconds from the start at which the n-th operation (in completion order) finished. */
  completions: number[];
  calls: number;
  /** insertOne calls on the `countInsertsInto` collection. */
  inserts: number;
  /** Operations that made more than one insert attempt; attempts (inserts) per operation, sorted. */
  retriedOps: number;
  attempts: Uint32Array;
}

/** An error's message with its ids and numbers as `#`, so that failures of one kind count together. */
export function failureReason(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\b[\w-]*\d[\w-]*\b/g, '#') : String(error);
}

export async function runWorkload(
  name: string,
  ops: number,
  concurrency: number,
  op: (index: number) => Promise<void | 'refused'>,
  countInsertsInto?: string,
): Promise<WorkloadResult> {
  const latencies = new Float64Array(ops);
  const attempts = new Uint32Array(ops);
  const succeeded = new Uint8Array(ops);
  let refused = 0;
  const completions: number[] = [];
  const failures = new Map<string, number>();
  let calls = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, ops) }, async () => {
      for (let index = next++; index < ops && !aborted; index = next++) {
        const context: OpContext = { calls: 0, inserts: 0, countInsertsInto };
        const t0 = performance.now();
        try {
          if ((await opContext.run(context, () => op(index))) === 'refused') refused++;
          else succeeded[index] = 1;
        } catch (error) {
          const reason = failureReason(error);
          failures.set(reason, (failures.get(reason) ?? 0) + 1);
        }
        const t1 = performance.now();
        latencies[index] = t1 - t0;
        completions.push((t1 - started) / 1000);
        attempts[index] = context.inserts;
        calls += context.calls;
      }
    }),
  );
  if (aborted) throw new Error('aborted');
  const seconds = (performance.now() - started) / 1000;
  return {
    name,
    ops,
    ok: succeeded.reduce((sum, n) => sum + n, 0),
    refused,
    failures,
    seconds,
    latencies: latencies.filter((_, i) => succeeded[i] === 1).sort(),
    completions,
    calls,
    inserts: attempts.reduce((sum, n) => sum + n, 0),
    retriedOps: attempts.filter((n) => n > 1).length,
    attempts: attempts.sort(),
  };
}

/**
 * Open loop: the index-th operation starts `index / rate` seconds after the first, `rate * seconds` of them,
 * however many are still running (a shop's customers do not wait for each other); resolves with what each
 * returned once all have ended. `op` gets its arrival time (performance.now()) and must not reject.
 */
export async function runArrivals<T>(rate: number, seconds: number, op: (index: number, arrivedAt: number) => Promise<T>): Promise<T[]> {
  const count = Math.max(1, Math.round(rate * seconds));
  const started = performance.now();
  const running: Array<Promise<T>> = [];
  for (let index = 0; index < count && !aborted; index++) {
    const arrivedAt = started + (index * 1000) / rate;
    const wait = arrivedAt - performance.now();
    if (wait > 0) await sleep(wait);
    running.push(op(index, arrivedAt));
  }
  const outcomes = await Promise.all(running);
  if (aborted) throw new Error('aborted');
  return outcomes;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Completion rate over the first and over the last quarter of the operations. */
export function quarterRates(completions: number[]): [number, number] {
  const n = completions.length;
  const q = Math.floor(n / 4);
  if (q === 0) return [NaN, NaN];
  return [q / completions[q - 1], q / (completions[n - 1] - completions[n - 1 - q])];
}

/** mulberry32: small, fast, good enough to pick SKUs reproducibly. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------
// Server and databases.

/** `uri` with its database replaced by `database`, keeping the database it authenticated against. */
function withDatabase(uri: string, database: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/.exec(uri);
  if (!match) throw new Error(`MONGODB_URI is not a mongodb:// connection string: ${uri}`);
  const [, scheme, authority, originalDb, query] = match;
  const params = new URLSearchParams(query ?? '');
  // Credentials without authSource authenticate against the URI's database (or admin): keep that.
  if (authority.includes('@') && !params.has('authSource')) params.set('authSource', decodeURIComponent(originalDb || '') || 'admin');
  const search = params.toString();
  return `${scheme}${authority}/${database}${search ? `?${search}` : ''}`;
}

const redact = (uri: string) => uri.replace(/\/\/[^@/]*@/, '//***@');

export interface Server {
  uri(database: string): string;
  describe: string;
  /** The backend of our own FerretDB; unknown for MONGODB_URI. */
  backend?: FerretDBBackend;
  stop(): Promise<void>;
}

/** Where our own FerretDB keeps its data: SQLite files (the embedded default) or a PostgreSQL database. */
export type FerretDBBackend = 'SQLite' | 'PostgreSQL';

/** MONGODB_URI's server if set, else our own FerretDB on `backend` (default SQLite) with its data in temp dirs. */
export async function startServer(backend: FerretDBBackend = 'SQLite'): Promise<Server> {
  const external = process.env.MONGODB_URI;
  if (external) {
    withDatabase(external, 'check'); // fail now on a URI we cannot rewrite
    return { uri: (database) => withDatabase(external, database), describe: `MONGODB_URI ${redact(external)}`, stop: async () => {} };
  }
  const tools = await ensureTools();
  const onLine = (line: string) => console.error(line);
  if (backend === 'PostgreSQL') {
    const postgres = await startPostgres({ port: await findFreePort(), onLine });
    let ferretdb: FerretDBServer;
    try {
      await postgres.createDatabase('ferretdb');
      ferretdb = await startFerretDB({ binary: tools.ferretdb, port: await findFreePort(), postgresqlUrl: postgres.url('ferretdb'), logLevel: 'error', onLine });
    } catch (error) {
      await postgres.stop();
      throw error;
    }
    return {
      uri: (database) => ferretdb.uri(database),
      describe: `own FerretDB at ${ferretdb.address}, on its own PostgreSQL (${postgres.url('ferretdb')}, data in a temp dir)`,
      backend,
      stop: async () => {
        await ferretdb.stop();
        await postgres.stop();
      },
    };
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-bench-'));
  let ferretdb: FerretDBServer;
  try {
    ferretdb = await startFerretDB({ binary: tools.ferretdb, port: await findFreePort(), dataDir, logLevel: 'error', onLine });
  } catch (error) {
    await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    uri: (database) => ferretdb.uri(database),
    describe: `own FerretDB at ${ferretdb.address}, SQLite files in a temp dir`,
    backend,
    stop: async () => {
      await ferretdb.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `body` connected to a fresh database on the server, dropped afterwards whatever happens. */
export async function inFreshDatabase<T>(server: Server, workload: string, body: () => Promise<T>): Promise<T> {
  const database = `oms_bench_${RUN_ID}_${workload.replace(/\W/g, '_')}`;
  await connectMongo(server.uri(database));
  try {
    return await body();
  } finally {
    try {
      await mongoose.connection.db!.dropDatabase();
    } catch (error) {
      console.error(`[bench] could not drop ${database}: ${error instanceof Error ? error.message : error}`);
    }
    await mongoose.disconnect();
  }
}

export async function serverVersion(server: Server): Promise<string> {
  const info = await mongoose.connection.db!.admin().command({ buildInfo: 1 });
  if (info.ferretdbVersion !== undefined) {
    // Our tools/ferretdb wrapper embeds FerretDB without its version file, so it reports "unknown".
    const version = info.ferretdbVersion === 'unknown' ? 'v1 (embedded build, pinned in stack/tool-versions.ts)' : info.ferretdbVersion;
    return `FerretDB ${version}, ${server.backend ? `${server.backend} backend` : 'backend unknown'}, wire version of MongoDB ${info.version}`;
  }
  return `MongoDB ${info.version}`;
}

// ---------------------------------------------------------------------------------------------------
// Report.

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function markdownTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
