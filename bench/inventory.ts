/**
 * `npm run bench`: throughput and latency of the stock ledger (persistence/stock-ledger.ts), against the
 * raw insert rate of the same server in the same run. A benchmark that prints figures, not a test.
 *
 * Without MONGODB_URI it starts its own FerretDB (SQLite, data in a temp dir, removed at the end); with
 * MONGODB_URI it uses that server. Each workload runs in a fresh database `oms_bench_<run>_<workload>`,
 * verified and dropped when the workload is done, so no workload's data slows another down.
 *
 * Workloads, each BENCH_OPS operations with BENCH_CONCURRENCY in flight:
 *   baseline  insertOne of a movement-sized document into a scratch collection (only the _id index)
 *   hot-sku   appendReservation reserving 1 unit of ONE sku at one warehouse: every writer on one stream
 *   spread    appendReservation reserving 1 unit at a random (sku, warehouse) of 1000 SKUs x 3 warehouses,
 *             drawn up front from a PRNG seeded with BENCH_SEED, so every run makes the same requests.
 *             Only the locations drawn are opened (one `receive` movement each): see README / the
 *             printed notes for why the ledger's size matters so much on FerretDB.
 *
 * appendMovement does not expose its retries, so every database call is attributed to the operation that
 * made it (AsyncLocalStorage + mongoose's `debug` hook, which sees each collection method call).
 * conflicts = insertOne calls on stock_movements minus reserve movements found in the ledger afterwards,
 * i.e. inserts that lost the unique (sku, warehouseId, seq) race and made appendMovement decide again.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { reconcileLevels } from '../persistence/reconciliation.js';
import { appendReservation, movementId, readBalance } from '../persistence/stock-ledger.js';
import { InventoryLevelModel, locationId, StockMovementModel } from '../persistence/stock-models.js';
import {
  fmt,
  inFreshDatabase,
  intFromEnv,
  markdownTable,
  percentile,
  prng,
  quarterRates,
  RUN_ID,
  runWorkload,
  serverVersion,
  startServer,
  runBenchmark,
  type Server,
  type WorkloadResult,
} from './harness.js';

const OPS = intFromEnv('BENCH_OPS', 200);
const CONCURRENCY = intFromEnv('BENCH_CONCURRENCY', 16);
const SEED = intFromEnv('BENCH_SEED', 1, 0);
const SPREAD_SKUS = 1000;
const SPREAD_WAREHOUSES = 3;
const WARMUP_OPS = Math.min(200, OPS);

// ---------------------------------------------------------------------------------------------------
// Ledger workloads.

interface Location {
  sku: string;
  warehouseId: string;
}
const locationKey = ({ sku, warehouseId }: Location) => `${sku}@${warehouseId}`;

/**
 * Opens each location with `onHand` units: its level and a first `receive` movement (seq 1), written in
 * bulk because the setup is not what is measured. The verification checks them like every other movement.
 */
async function seedLocations(locations: Location[], onHand: number): Promise<void> {
  const at = new Date();
  for (let i = 0; i < locations.length; i += 500) {
    const batch = locations.slice(i, i + 500);
    await InventoryLevelModel.insertMany(
      batch.map(({ sku, warehouseId }) => ({ _id: locationId(sku, warehouseId), sku, warehouseId, onHand, reserved: 0, seq: 1 })),
    );
    await StockMovementModel.insertMany(
      batch.map(({ sku, warehouseId }) => ({
        _id: movementId(sku, warehouseId, 1),
        sku,
        warehouseId,
        seq: 1,
        kind: 'receive',
        onHandDelta: onHand,
        reservedDelta: 0,
        onHand,
        reserved: 0,
        key: `bench:${RUN_ID}:seed:${sku}:${warehouseId}`,
        actor: 'bench',
        at,
      })),
    );
  }
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

interface LedgerResult extends WorkloadResult {
  locations: number;
  /** Reserve movements found in the ledger afterwards. */
  written: number;
  /** Documents in stock_movements at the end, and the median of 3 sequential readBalance() calls then. */
  ledgerSize: number;
  idleReadMs: number;
  checks: Check[];
}

async function runLedgerWorkload(server: Server, name: string, requests: Location[], concurrency: number): Promise<LedgerResult> {
  const seeded = [...new Map(requests.map((l) => [locationKey(l), l])).values()];
  const onHand = requests.length;
  return inFreshDatabase(server, name, async () => {
    await seedLocations(seeded, onHand);
    await Promise.all(Array.from({ length: concurrency }, () => mongoose.connection.db!.command({ ping: 1 })));

    const reservedAt = new Map<string, number>();
    const result = await runWorkload(name, requests.length, concurrency, async (index) => {
      const location = requests[index];
      await appendReservation({ ...location, quantity: 1, key: `bench:${RUN_ID}:${name}:${index}`, actor: 'bench', orderId: `bench-${name}-${index}` });
      reservedAt.set(locationKey(location), (reservedAt.get(locationKey(location)) ?? 0) + 1);
    }, StockMovementModel.collection.collectionName);
    console.error(`[bench] ${name}: ${result.ok}/${result.ops} ok in ${fmt(result.seconds, 2)} s; verifying`);

    const ledgerSize = await StockMovementModel.estimatedDocumentCount();
    const reads: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await readBalance(requests[0].sku, requests[0].warehouseId);
      reads.push(performance.now() - t0);
    }

    // Verification: the ledger holds exactly the reservations that succeeded, and the levels agree with it.
    const checks: Check[] = [];
    const written = await StockMovementModel.countDocuments({ kind: 'reserve' });
    checks.push({
      name: 'reserve movements in the ledger = successful reservations',
      ok: written === result.ok,
      detail: `${written} / ${result.ok}`,
    });
    const heads = new Map<string, { seq: number; onHand: number; reserved: number }>();
    for await (const m of StockMovementModel.find({}, { sku: 1, warehouseId: 1, seq: 1, onHand: 1, reserved: 1 }).lean().cursor()) {
      const key = locationKey(m);
      const head = heads.get(key);
      if (!head || m.seq > head.seq) heads.set(key, { seq: m.seq, onHand: m.onHand, reserved: m.reserved });
    }
    const wrong: string[] = [];
    for (const location of seeded) {
      const key = locationKey(location);
      const head = heads.get(key);
      const expected = reservedAt.get(key) ?? 0;
      if (!head || head.reserved !== expected || head.onHand !== onHand || head.seq !== expected + 1) {
        wrong.push(`${key}: head ${head ? `seq ${head.seq} onHand ${head.onHand} reserved ${head.reserved}` : 'missing'}, expected reserved ${expected}`);
      }
    }
    checks.push({
      name: 'each ledger head: reserved = its successful reservations (onHand unchanged, seq = reservations + 1)',
      ok: wrong.length === 0 && heads.size === seeded.length,
      detail: `${seeded.length} locations, ${wrong.length} wrong${wrong.length ? `: ${wrong.slice(0, 5).join('; ')}` : ''}`,
    });
    const reconciliation = await reconcileLevels();
    checks.push({
      name: 'reconcileLevels() reports zero drift',
      ok: reconciliation.drift.length === 0 && reconciliation.checked === seeded.length,
      detail: `${reconciliation.checked} levels checked, ${reconciliation.drift.length} drifted${
        reconciliation.drift.length ? `: ${JSON.stringify(reconciliation.drift.slice(0, 3))}` : ''
      }`,
    });

    return { ...result, locations: seeded.length, written, ledgerSize, idleReadMs: reads.sort((a, b) => a - b)[1], checks };
  });
}

function printResults(baseline: WorkloadResult, ledger: LedgerResult[]): void {
  const baselineRate = baseline.ok / baseline.seconds;
  markdownTable(
    ['workload', 'ops', 'ok', 'time s', 'ops/s', 'vs baseline', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'db calls/op'],
    [baseline, ...ledger].map((r) => {
      const rate = r.ok / r.seconds;
      return [r.name, String(r.ops), String(r.ok), fmt(r.seconds, 2), fmt(rate), `${fmt(rate / baselineRate, 3)}x`,
        fmt(percentile(r.latencies, 50)), fmt(percentile(r.latencies, 95)), fmt(percentile(r.latencies, 99)),
        fmt(r.latencies[r.latencies.length - 1]), fmt(r.calls / r.ops)];
    }),
  );
  console.log('');
  markdownTable(
    ['ledger workload', 'locations', 'seq conflicts', 'retried ops', 'inserts/op p50/p99/max', 'ops/s 1st→last ¼', 'ledger docs at end', '1-client readBalance ms at end'],
    ledger.map((r) => {
      const conflicts = r.inserts - r.written;
      const [first, last] = quarterRates(r.completions);
      return [r.name, String(r.locations), `${conflicts} (${fmt(conflicts / r.ops, 2)}/op)`, `${r.retriedOps} (${fmt((100 * r.retriedOps) / r.ops)}%)`,
        `${percentile(r.attempts, 50)}/${percentile(r.attempts, 99)}/${percentile(r.attempts, 100)}`,
        `${fmt(first)} → ${fmt(last)}`, String(r.ledgerSize), fmt(r.idleReadMs)];
    }),
  );
  console.log('');
  console.log('- db calls/op: collection method calls per operation (finds, inserts, updates), retries included.');
  console.log('- seq conflicts: stock_movements insertOne calls that did not become a movement (lost the unique');
  console.log('  (sku, warehouseId, seq) race, so appendMovement re-read the head and decided again) = inserts attempted');
  console.log('  minus reserve movements in the ledger afterwards. retried ops: operations that needed more than one insert.');
  console.log('- ledger docs at end: stock_movements documents (one `receive` per location + reservations). 1-client readBalance:');
  console.log('  median of 3 sequential readBalance() calls after the workload (FerretDB v1 scans the collection for it).');
  for (const r of [baseline, ...ledger]) {
    for (const [message, count] of r.failures) console.log(`- ${r.name}: ${count} operations failed: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const wallStart = performance.now();
  const loadBefore = os.loadavg()[0];
  const server = await startServer();
  try {
    const cpus = os.cpus();
    let version = '';
    const scratchDoc = (i: number, phase: string) => ({
      sku: 'BENCH-SCRATCH', warehouseId: 'WH-1', seq: i, kind: 'reserve', onHandDelta: 0, reservedDelta: 1, onHand: OPS, reserved: i,
      key: `bench:${RUN_ID}:${phase}:${i}`, orderId: `bench-${phase}-${i}`, actor: 'bench', at: new Date(),
    });
    const baseline = await inFreshDatabase(server, 'baseline', async () => {
      version = await serverVersion(server);
      const scratch = mongoose.connection.collection('bench_scratch');
      // Warm-up: opens the connection pool and warms the JIT, so the baseline does not pay for them.
      await runWorkload('warmup', WARMUP_OPS, CONCURRENCY, async (i) => void (await scratch.insertOne(scratchDoc(i, 'warmup'))));
      return runWorkload('baseline', OPS, CONCURRENCY, async (i) => void (await scratch.insertOne(scratchDoc(i, 'baseline'))));
    });
    console.error(`[bench] baseline: ${baseline.ok}/${baseline.ops} ok in ${fmt(baseline.seconds, 2)} s`);

    const hot: Location = { sku: 'BENCH-HOT-0001', warehouseId: 'WH-1' };
    const hotSku = await runLedgerWorkload(server, 'hot-sku', Array.from({ length: OPS }, () => hot), CONCURRENCY);

    const random = prng(SEED);
    const spreadRequests = Array.from({ length: OPS }, () => ({
      sku: `BENCH-SKU-${String(1 + Math.floor(random() * SPREAD_SKUS)).padStart(4, '0')}`,
      warehouseId: `WH-${1 + Math.floor(random() * SPREAD_WAREHOUSES)}`,
    }));
    const spread = await runLedgerWorkload(server, 'spread', spreadRequests, CONCURRENCY);

    console.log('## Inventory ledger benchmark');
    console.log('');
    console.log(`- machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown cpu'}), ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, ${os.platform()} ${os.release()}, 1-min load average ${loadBefore.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`);
    console.log(`- node ${process.version}, mongoose ${mongoose.version}`);
    console.log(`- server: ${version}; ${server.describe}; a fresh database per workload`);
    console.log(`- parameters: BENCH_OPS=${OPS} per workload, BENCH_CONCURRENCY=${CONCURRENCY} in flight, BENCH_SEED=${SEED}; spread draws from ${SPREAD_SKUS} SKUs x ${SPREAD_WAREHOUSES} warehouses; ${WARMUP_OPS} unmeasured warm-up inserts before the baseline`);
    console.log('');
    printResults(baseline, [hotSku, spread]);

    console.log('');
    console.log('### Verification');
    for (const r of [hotSku, spread]) {
      for (const check of r.checks) console.log(`- ${check.ok ? 'PASS' : 'FAIL'} ${r.name}: ${check.name} — ${check.detail}`);
    }
    const allOk = [hotSku, spread].every((r) => r.checks.every((c) => c.ok));
    console.log(`- ${allOk ? 'PASS' : 'FAIL'} overall (whole run ${fmt((performance.now() - wallStart) / 1000, 1)} s)`);
    if (!allOk) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

await runBenchmark(main);
