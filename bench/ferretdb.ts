/**
 * `npm run bench:ferretdb`: what a read or write costs on the embedded FerretDB as a collection grows, by
 * `_id` (served by the `_id` index since tools/ferretdb/patches/id-index.patch), a list of ids and a page of
 * an `_id` range (id-ranges.patch), and by another field (a full scan on FerretDB v1, whatever its
 * indexes). A benchmark that prints figures, not a test.
 *
 * One client, documents of ~300 bytes, the collection grown from 1,000 to BENCH_DOCS (default 40,000); at
 * each size the median of BENCH_SAMPLES (default 50) calls of each kind. With MONGODB_URI it measures that
 * server instead.
 */
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { fmt, inFreshDatabase, intFromEnv, markdownTable, percentile, runBenchmark, serverVersion, startServer, wasAborted } from './harness.js';

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

/** Median milliseconds of `call` over SAMPLES calls on random existing documents. */
async function median(size: number, call: (n: number) => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const n = Math.floor(Math.random() * size);
    const t0 = performance.now();
    await call(n);
    times.push(performance.now() - t0);
  }
  return percentile(Float64Array.from(times).sort(), 50);
}

async function main(): Promise<void> {
  const server = await startServer();
  try {
    await inFreshDatabase(server, 'ferretdb', async () => {
      const version = await serverVersion();
      const collection = mongoose.connection.collection<ReturnType<typeof doc>>('bench_documents');
      await collection.createIndex({ key: 1 }, { unique: true });
      const calls = {
        'findOne({_id})': (n: number) => collection.findOne({ _id: id(n) }),
        'updateOne({_id}, $set)': (n: number) => collection.updateOne({ _id: id(n) }, { $set: { status: 'shipped' } }),
        'updateOne({_id, revision: {$lt}}, $set)': (n: number) =>
          collection.updateOne({ _id: id(n), revision: { $lt: 1_000_000 } }, { $set: { status: 'delivered' } }),
        'find({_id: {$in: [20 ids]}})': (n: number) => collection.find({ _id: { $in: Array.from({ length: 20 }, (_, i) => id(n + i)) } }).toArray(),
        'page of 50: find({_id: {$gt, $lt}}).sort({_id: -1}).limit(50)': (n: number) =>
          collection.find({ _id: { $gt: 'doc-', $lt: id(n) } }).sort({ _id: -1 }).limit(50).toArray(),
        'findOne({key}), unique index on key': (n: number) => collection.findOne({ key: `key:${n}` }),
      };
      const rows = new Map<string, string[]>(Object.keys(calls).map((name) => [name, []]));
      let stored = 0;
      for (const size of SIZES) {
        for (; stored < size && !wasAborted(); stored += 1_000) {
          await collection.insertMany(Array.from({ length: Math.min(1_000, size - stored) }, (_, i) => doc(stored + i)));
        }
        console.error(`[bench] ${size} documents stored; measuring`);
        for (const [name, call] of Object.entries(calls)) rows.get(name)!.push(fmt(await median(size, call), 2));
      }
      console.log('## FerretDB: cost of one call as the collection grows');
      console.log('');
      console.log(`- server: ${version}; ${server.describe}`);
      console.log(`- one client, documents of ~300 bytes; the median of ${SAMPLES} calls on random documents at each size`);
      console.log('');
      markdownTable(['call (ms)', ...SIZES.map((size) => `${size.toLocaleString('en')} docs`), `${SIZES[SIZES.length - 1] / SIZES[0]}x docs costs`],
        [...rows].map(([name, cells]) => [name, ...cells, `${fmt(Number(cells[cells.length - 1]) / Number(cells[0]), 1)}x`]));
    });
  } finally {
    await server.stop();
  }
}

await runBenchmark(main);
