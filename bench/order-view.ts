/**
 * `npm run bench:order-view`: what the order read model's calls cost the process that makes them (the worker
 * saves an order's view about 7 times, the API reads it on every lookup and 50 at a time for a list page),
 * made through mongoose's model (casting the whole order, building a query) and through the driver's
 * collection (as persistence/orders.ts makes them), in the same run, on the same server. A benchmark that
 * prints figures, not a test.
 *
 * One client, 50 orders shaped like a benchmark order when allocated (two lines, one shipment, six timeline
 * entries, about 1.4 kB of JSON). Rounds alternate the two ways so the machine's noise hits both alike;
 * BENCH_SAMPLES (default 300) calls of each kind each way. With MONGODB_URI it measures that server.
 */
import { performance } from 'node:perf_hooks';
import type { OrderState } from '../domain/order.js';
import { OrderModel } from '../persistence/orders.js';
import { fmt, inFreshDatabase, intFromEnv, markdownTable, runBenchmark, serverVersion, startServer } from './harness.js';

const SAMPLES = intFromEnv('BENCH_SAMPLES', 300);
const ORDERS = 50;
const ROUNDS = 10;

const at = '2026-12-07T00:00:00.000Z';
function order(n: number, revision: number): OrderState {
  return {
    orderId: `ord_bench_${n}`,
    externalId: `web-${n}`,
    channel: 'web',
    status: 'allocated',
    customer: { id: `cust-${n}`, email: `customer-${n}@example.com`, name: 'Erika' },
    shippingAddress: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
    lines: ['A', 'B'].map((sku, i) => ({ lineId: `l${i + 1}`, sku: `SKU-${sku}`, quantity: 1, unitPrice: 1250 })),
    total: { amount: 2500, currency: 'EUR' },
    payment: { status: 'authorized', authorized: 2500, captured: 0, refunded: 0, voided: 0, reauthorizations: 0, authorizationId: `auth_${n}`, authorizedAt: at },
    flaggedForReview: false,
    allocations: ['A', 'B'].map((sku) => ({ sku: `SKU-${sku}`, warehouseId: 'wh-berlin', quantity: 1 })),
    unallocated: [],
    waitingSkus: [],
    policy: {
      allowPartialShipment: false,
      backorderTimeoutMs: 604_800_000,
      reviewAboveAmount: 100_000,
      reviewTimeoutMs: 86_400_000,
      shipWithinMs: 172_800_000,
      returnWindowMs: 2_592_000_000,
      returnReceiptTimeoutMs: 1_209_600_000,
      authorizationValidityMs: 604_800_000,
    },
    shipments: [
      { shipmentId: `shp_${n}`, warehouseId: 'wh-berlin', status: 'pending', carrier: 'sandbox-ground', trackingNumber: `SBX${n}`, lines: [{ sku: 'SKU-A', quantity: 1 }] },
    ],
    returns: [],
    timeline: Array.from({ length: 6 }, (_, i) => ({ id: `ord_bench_${n}-${i + 1}`, at, type: 'payment_authorized', message: 'Payment of EUR 25.00 authorized' })),
    requestHash: 'sha256:0',
    createdAt: at,
    updatedAt: at,
    revision,
  };
}

type Way = 'mongoose' | 'driver';
type Call = 'save (findOneAndUpdate, upsert)' | 'lookup (findOne by _id)' | 'page of 50 (find by $in)';

/** Each call as mongoose's model makes it and as the driver's collection does. */
const CALLS: Record<Call, Record<Way, (n: number, revision: number) => Promise<unknown>>> = {
  'save (findOneAndUpdate, upsert)': {
    mongoose: (n, revision) => {
      const { orderId, ...fields } = order(n, revision);
      return OrderModel.findOneAndUpdate({ _id: orderId, revision: { $lt: revision } }, { $set: fields }, { upsert: true, new: false }).lean();
    },
    driver: (n, revision) => {
      const { orderId, ...fields } = order(n, revision);
      return OrderModel.collection.findOneAndUpdate({ _id: orderId as never, revision: { $lt: revision } }, { $set: fields }, { upsert: true, returnDocument: 'before' });
    },
  },
  'lookup (findOne by _id)': {
    mongoose: (n) => OrderModel.findById(`ord_bench_${n}`).lean(),
    driver: (n) => OrderModel.collection.findOne({ _id: `ord_bench_${n}` as never }),
  },
  'page of 50 (find by $in)': {
    mongoose: () => OrderModel.find({ _id: { $in: ALL_IDS } }).lean(),
    driver: () => OrderModel.collection.find({ _id: { $in: ALL_IDS as never[] } }).toArray(),
  },
};
const ALL_IDS = Array.from({ length: ORDERS }, (_, n) => `ord_bench_${n}`);

interface Cost {
  cpuMs: number;
  wallMs: number;
  calls: number;
}

async function main(): Promise<void> {
  const server = await startServer();
  try {
    await inFreshDatabase(server, 'order_view', async () => {
      console.log(`## Order read model: mongoose's model vs the driver's collection\n\n- ${await serverVersion(server)}; node ${process.version}`);
      console.log(`- ${ORDERS} orders, ${SAMPLES} calls of each kind each way, in ${ROUNDS} alternating rounds\n`);
      let revision = 1;
      for (let n = 0; n < ORDERS; n++) await CALLS['save (findOneAndUpdate, upsert)'].driver(n, revision);
      const costs = new Map<string, Cost>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, ways] of Object.entries(CALLS)) {
          for (const way of (round % 2 === 0 ? ['mongoose', 'driver'] : ['driver', 'mongoose']) as Way[]) {
            const cost = costs.get(`${name}|${way}`) ?? { cpuMs: 0, wallMs: 0, calls: 0 };
            const cpu0 = process.cpuUsage();
            const t0 = performance.now();
            for (let i = 0; i < SAMPLES / ROUNDS; i++) await ways[way](i % ORDERS, ++revision);
            const cpu = process.cpuUsage(cpu0);
            cost.wallMs += performance.now() - t0;
            cost.cpuMs += (cpu.user + cpu.system) / 1000;
            cost.calls += SAMPLES / ROUNDS;
            costs.set(`${name}|${way}`, cost);
          }
        }
      }
      const per = (name: string, way: Way) => {
        const cost = costs.get(`${name}|${way}`)!;
        return { cpu: cost.cpuMs / cost.calls, wall: cost.wallMs / cost.calls };
      };
      markdownTable(
        ['call', "client CPU ms, mongoose's model", "driver's collection", 'ratio', 'wall ms, model', 'collection'],
        Object.keys(CALLS).map((name) => {
          const [model, driver] = [per(name, 'mongoose'), per(name, 'driver')];
          return [name, fmt(model.cpu, 2), fmt(driver.cpu, 2), `${fmt(driver.cpu / model.cpu, 2)}x`, fmt(model.wall, 2), fmt(driver.wall, 2)];
        }),
      );
    });
  } finally {
    await server.stop();
  }
}

await runBenchmark(main);
