/**
 * `npm run bench:ferretdb`: what a read or write costs on FerretDB as a collection grows, on each of its
 * backends (our own FerretDB on SQLite, the embedded default, and on PostgreSQL, as production runs it),
 * by `_id` (served by the `_id` index since tools/ferretdb/patches/id-index.patch on SQLite and
 * use-id-index-on-postgresql.patch on PostgreSQL), a list of ids and a page of an `_id` range
 * (id-ranges.patch on SQLite, use-id-ranges-on-postgresql.patch on PostgreSQL, whose database the harness
 * creates with collation C), and by another field (a full scan on FerretDB v1, whatever its indexes).
 * A benchmark that prints figures, not a test.
 *
 * One client, documents of ~300 bytes, the collection grown from 1,000 to BENCH_DOCS (default 40,000); at
 * each size the median of BENCH_SAMPLES (default 50) calls of each kind. BENCH_BACKENDS (default
 * `SQLite,PostgreSQL`) picks the backends. With MONGODB_URI it measures that server instead.
 */
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import {
  fmt,
  inFreshDatabase,
  intFromEnv,
  markdownTable,
  percentile,
  runBenchmark,
  serverVersion,
  startServer,
  wasAborted,
  type FerretDBBackend,
} from './harness.js';

const MAX_DOCS = intFromEnv('BENCH_DOCS', 40_000, 1_000);
const SAMPLES = intFromEnv('BENCH_SAMPLES', 50);
const SIZES = [1_000, 10_000, MAX_DOCS].filter((size, i, all) => size <= MAX_DOCS && all.indexOf(size) === i);

const id = (n: number) => `doc-${String(n).padStart(8, '0')}`;
const doc = (n: number) => ({
  _id: id(n),
  key: `key:${n}`,
  orderId: `ord_${n.toString(16).padStart(24, '0')}`,
  revision: 1,
  status: 'allocated',
  note: 'x'.repeat(180),
});

const PAGE = 'page of 50: find({_id: {$gt, $lt}}).sort({_id: -1}).limit(50)';

/** Median milliseconds of `call` over `samples` calls on random existing documents. */
async function median(size: number, call: (n: number) => Promise<unknown>, samples = SAMPLES): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const n = Math.floor(Math.random() * size);
    const t0 = performance.now();
    await call(n);
    times.push(performance.now() - t0);
  }
  return percentile(Float64Array.from(times).sort(), 50);
}

const BACKENDS = backendsFromEnv();

function backendsFromEnv(): FerretDBBackend[] {
  const names = (process.env.BENCH_BACKENDS || 'SQLite,PostgreSQL').split(',').map((name) => name.trim());
  const known: FerretDBBackend[] = ['SQLite', 'PostgreSQL'];
  const backends = known.filter((backend) => names.some((name) => name.toLowerCase() === backend.toLowerCase()));
  if (backends.length !== names.length) throw new Error(`BENCH_BACKENDS must list ${known.join(' and/or ')}, got "${process.env.BENCH_BACKENDS}"`);
  return backends;
}

interface Measured {
  backend: FerretDBBackend | undefined;
  title: string;
  version: string;
  describe: string;
  /** Median milliseconds per call, by call and size. */
  rows: Map<string, number[]>;
}

/** Measures our own FerretDB on `backend`, or MONGODB_URI's server when that is set. */
async function measure(backend: FerretDBBackend | undefined): Promise<Measured> {
  const server = await startServer(backend);
  try {
    return await inFreshDatabase(server, 'ferretdb', async () => {
      const version = await serverVersion(server);
      const collection = mongoose.connection.collection<ReturnType<typeof doc>>('bench_documents');
      await collection.createIndex({ key: 1 }, { unique: true });
      const calls = {
        'findOne({_id})': (n: number) => collection.findOne({ _id: id(n) }),
        'updateOne({_id}, $set)': (n: number) => collection.updateOne({ _id: id(n) }, { $set: { status: 'shipped' } }),
        'updateOne({_id, revision: {$lt}}, $set)': (n: number) =>
          collection.updateOne({ _id: id(n), revision: { $lt: 1_000_000 } }, { $set: { status: 'delivered' } }),
        'find({_id: {$in: [20 ids]}})': (n: number) => collection.find({ _id: { $in: Array.from({ length: 20 }, (_, i) => id(n + i)) } }).toArray(),
        [PAGE]: (n: number) =>
          collection.find({ _id: { $gt: 'doc-', $lt: id(n) } }).sort({ _id: -1 }).limit(50).toArray(),
        'findOne({key}), unique index on key': (n: number) => collection.findOne({ key: `key:${n}` }),
      };
      const rows = new Map<string, number[]>(Object.keys(calls).map((name) => [name, []]));
      let stored = 0;
      for (const size of SIZES) {
        for (; stored < size && !wasAborted(); stored += 1_000) {
          await collection.insertMany(Array.from({ length: Math.min(1_000, size - stored) }, (_, i) => doc(stored + i)));
        }
        console.error(`[bench] ${server.backend ?? 'server'}: ${size} documents stored; measuring`);
        for (const [name, call] of Object.entries(calls)) {
          rows.get(name)!.push(await median(size, call));
        }
      }
      return { backend: server.backend, title: server.backend ? `FerretDB on ${server.backend}` : 'MONGODB_URI', version, describe: server.describe, rows };
    });
  } finally {
    await server.stop();
  }
}

/** The last size's cost over the first's: 1 when a call costs the same at any size. */
const growth = (cells: number[]) => `${fmt(cells[cells.length - 1] / cells[0], 1)}x`;

async function main(): Promise<void> {
  const results: Measured[] = [];
  for (const backend of process.env.MONGODB_URI ? [undefined] : BACKENDS) results.push(await measure(backend));
  const sizes = SIZES.map((size) => `${size.toLocaleString('en')} docs`);
  const ratio = `${SIZES[SIZES.length - 1] / SIZES[0]}x docs costs`;
  for (const result of results) {
    console.log(`## ${result.title}: cost of one call as the collection grows`);
    console.log('');
    console.log(`- server: ${result.version}; ${result.describe}`);
    console.log(`- one client, documents of ~300 bytes; the median of ${SAMPLES} calls on random documents at each size`);
    console.log('');
    markdownTable(['call (ms)', ...sizes, ratio], [...result.rows].map(([name, cells]) => [name, ...cells.map((ms) => fmt(ms, 2)), growth(cells)]));
    console.log('');
  }
  if (results.length > 1) {
    console.log('## By `_id` on each backend: the smallest and the largest collection');
    console.log('');
    const byId = ['findOne({_id})', 'updateOne({_id}, $set)'];
    markdownTable(['call (ms)', sizes[0], sizes[sizes.length - 1], ratio],
      results.flatMap((r) => byId.map((name) => {
        const cells = r.rows.get(name)!;
        return [`${name}, ${r.title}`, fmt(cells[0], 2), fmt(cells[cells.length - 1], 2), growth(cells)];
      })));
  }
}

await runBenchmark(main);
