/**
 * `npm run bench:order-view`: what the order read model's calls cost (the worker saves an order's view about
 * 7 times, the API reads it on every lookup and 50 at a time for a list page), with the order stored three
 * ways, in the same run, on the same server:
 * - as a nested document, written through mongoose's model (casting the whole order on each save): the
 *   read model until 2026-12-07;
 * - as a nested document, through the driver's collection;
 * - as persistence/orders.ts stores it now: the state as one JSON string beside the fields queries use,
 *   through the driver (its own functions: saveOrderView, findOrder, findOrders).
 * It prints the client's CPU and the wall time per call; the wall time is mostly the server's work. A
 * benchmark that prints figures, not a test.
 *
 * One client, 50 orders shaped like a benchmark order when allocated (two lines, one shipment, six timeline
 * entries, about 1.4 kB of JSON). Rounds alternate the ways so the machine's noise hits them alike;
 * BENCH_SAMPLES (default 300) calls of each kind each way. With MONGODB_URI it measures that server.
 */
import { performance } from 'node:perf_hooks';
import type { OrderState } from '../domain/order.js';
import mongoose, { Schema } from 'mongoose';
import { findOrder, findOrders, OrderModel, saveOrderView } from '../persistence/orders.js';
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

const WAYS = ['nested, mongoose model', 'nested, driver', 'state as JSON (now)'] as const;
type Way = (typeof WAYS)[number];
type Call = 'save (findOneAndUpdate, upsert)' | 'lookup (findOne by _id)' | 'page of 50 (find by $in)';

/**
 * Nested documents as the read model stored them, in a collection of their own. The schema is loose (any
 * field), which casts a little less than the read model's exact schema did: a lower bound of its cost.
 */
const NestedOrderModel = mongoose.model('NestedOrder', new Schema({ _id: String }, { strict: false, versionKey: false }), 'orders_nested');
const nested = () => NestedOrderModel.collection;

const ALL_IDS = Array.from({ length: ORDERS }, (_, n) => `ord_bench_${n}`);

/** Each call, each way. */
const CALLS: Record<Call, Record<Way, (n: number, revision: number) => Promise<unknown>>> = {
  'save (findOneAndUpdate, upsert)': {
    'nested, mongoose model': (n, revision) => {
      const { orderId, ...fields } = order(n, revision);
      return NestedOrderModel.findOneAndUpdate({ _id: orderId, revision: { $lt: revision } }, { $set: fields }, { upsert: true, new: false }).lean();
    },
    'nested, driver': (n, revision) => {
      const { orderId, ...fields } = order(n, revision);
      return nested().findOneAndUpdate({ _id: orderId as never, revision: { $lt: revision } }, { $set: fields }, { upsert: true, returnDocument: 'before' });
    },
    // The status stays the same, so no list entry moves: the call alone.
    'state as JSON (now)': (n, revision) => saveOrderView(order(n, revision)),
  },
  'lookup (findOne by _id)': {
    'nested, mongoose model': (n) => NestedOrderModel.findById(`ord_bench_${n}`).lean(),
    'nested, driver': (n) => nested().findOne({ _id: `ord_bench_${n}` as never }),
    'state as JSON (now)': (n) => findOrder(`ord_bench_${n}`),
  },
  'page of 50 (find by $in)': {
    'nested, mongoose model': () => NestedOrderModel.find({ _id: { $in: ALL_IDS } }).lean(),
    'nested, driver': () => nested().find({ _id: { $in: ALL_IDS as never[] } }).toArray(),
    'state as JSON (now)': () => findOrders(ALL_IDS),
  },
};

interface Cost {
  cpuMs: number;
  wallMs: number;
  calls: number;
}

async function main(): Promise<void> {
  const server = await startServer();
  try {
    await inFreshDatabase(server, 'order_view', async () => {
      console.log(`## Order read model: the order stored as a nested document or as JSON\n\n- ${await serverVersion(server)}; node ${process.version}`);
      console.log(`- ${ORDERS} orders, ${SAMPLES} calls of each kind each way, in ${ROUNDS} rounds, each in another order of the ways\n`);
      await OrderModel.init();
      let revision = 1;
      for (let n = 0; n < ORDERS; n++) for (const way of WAYS) await CALLS['save (findOneAndUpdate, upsert)'][way](n, ++revision);
      const costs = new Map<string, Cost>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, ways] of Object.entries(CALLS)) {
          for (const way of WAYS.map((_, i) => WAYS[(i + round) % WAYS.length])) {
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
        ['call', ...WAYS.map((way) => `client CPU ms: ${way}`), ...WAYS.map((way) => `wall ms: ${way}`)],
        Object.keys(CALLS).map((name) => [name, ...WAYS.map((way) => fmt(per(name, way).cpu, 2)), ...WAYS.map((way) => fmt(per(name, way).wall, 2))]),
      );
    });
  } finally {
    await server.stop();
  }
}

await runBenchmark(main);
