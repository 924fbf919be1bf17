/**
 * Crash safety. A worker in an OS process of its own (worker/main.ts, or test/support/stalling-worker.ts)
 * starts an order that ships from two warehouses, and is killed with SIGKILL: no graceful shutdown, its
 * workflow cache gone, any activity in flight cut off. A fresh worker with an empty cache then takes the
 * order over on the same task queue (rebuilding it from its history), the warehouses ship and deliver
 * through the order's Updates, and the order ends delivered with exactly one authorization, one capture per
 * shipment, one stock 'ship' movement per shipment line and one email per customer event, counted where
 * they happened: the sandbox provider's own ledger, the stock ledger and Mailpit.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BERLIN_ADDRESS, orderInput, PLACES, seedWarehouse, setStock, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { expectEachEffectOnce, shipAndDeliver, splitOrder, waitUntilConfirmed } from '../support/order-effects.js';
import { localActivityRuns, workerOf, workflowTaskWorkers } from '../support/order-history.js';
import { connectSuiteTemporal, createSuiteOrderWorker, type SuiteTemporal } from '../support/suite-temporal.js';
import { startWorkerProcess, killNodeProcesses, type WorkerProcess } from '../support/node-processes.js';
import { bundleOrderWorkflows, reportShipmentEvent, startOrder, uniqueTaskQueue, type WorkflowBundle } from '../support/workflow-env.js';
import { orderKeys } from '../../contracts/keys.js';
import type { OrderInput } from '../../domain/order.js';
import { reportShipmentEvent as reportShipmentEventToApi } from '../../api/actions/shipments.js';
import { findOrder } from '../../persistence/orders.js';
import { ShipmentModel } from '../../persistence/shipments.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import { StockMovementModel } from '../../persistence/stock-models.js';

/** Each test waits out at least one 30 s activity timeout or a 10 s sticky-queue timeout; the machine may be busy. */
const CRASH_TEST_TIMEOUT_MS = 300_000;

let temporal: SuiteTemporal;
let workflowBundle: WorkflowBundle;
let db: { uri: string; close: () => Promise<void> };

beforeAll(async () => {
  [temporal, workflowBundle, db] = await Promise.all([connectSuiteTemporal(), bundleOrderWorkflows(), useTestDatabase('crash_safety')]);
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
});

afterEach(killNodeProcesses);

afterAll(async () => {
  await db?.close();
  await temporal?.close();
});

function startWorkerProcessOn(taskQueue: string, script: string, env?: Record<string, string>): Promise<WorkerProcess> {
  return startWorkerProcess({ script, taskQueue, env, mongoUri: db.uri });
}

/** Runs `drive` while a new worker of this process (empty cache) serves the task queue. */
async function withFreshWorker<T>(taskQueue: string, drive: () => Promise<T>): Promise<T> {
  const worker = await createSuiteOrderWorker(temporal, taskQueue, workflowBundle);
  return worker.runUntil(drive);
}

/**
 * Starts the order on a worker process that stops after the confirmation email, the last step of the
 * workflow task that booked the shipments and saved the order as allocated, and kills it there: the task is
 * lost, while what its local activities wrote stays. Returns the order as its lookup shows it then.
 */
async function allocatedThenWorkerKilled(input: OrderInput, taskQueue: string) {
  const crashed = await startWorkerProcessOn(taskQueue, 'test/support/stalling-worker.ts', { OMS_STALL_AFTER: 'confirmation-email' });
  const handle = await startOrder(temporal, input, taskQueue);
  await crashed.waitForLine(/^acted: /, 120_000);
  const shown = await findOrder(input.orderId);
  expect(shown).toMatchObject({ status: 'allocated' });
  expect(await crashed.crash()).toBe('SIGKILL');
  return { handle, shown: shown! };
}

const thisProcess = workerOf(process.pid);

describe('crash safety', () => {
  it(
    'a fresh worker takes over an allocated order from a killed worker process and delivers it, every effect once',
    async () => {
      const order = await splitOrder();
      const { input } = order;
      const taskQueue = uniqueTaskQueue();
      const crashed = await startWorkerProcessOn(taskQueue, 'worker/main.ts');
      const handle = await startOrder(temporal, input, taskQueue);
      const { shipments } = await waitUntilConfirmed(handle, input);
      expect(shipments.map((s) => s.warehouseId).sort()).toEqual(['wh-berlin', 'wh-paris']);

      expect(await crashed.crash()).toBe('SIGKILL');
      const outcome = await withFreshWorker(taskQueue, () => shipAndDeliver(handle, shipments));

      expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
      // Workflow tasks ran on both: the killed process until the crash, this one after it.
      expect(await workflowTaskWorkers(handle)).toEqual(expect.arrayContaining([workerOf(crashed.pid), thisProcess]));
      await expectEachEffectOnce(order, shipments);
    },
    CRASH_TEST_TIMEOUT_MS,
  );

  it.each([
    {
      stallAfter: 'authorize',
      activity: 'authorizePayment',
      key: (orderId: string) => `order:${orderId}:authorize`,
      // Tried first as a local activity, as the email below: the fresh worker's workflow task ran it again.
      retriedBy: async (handle: WorkflowHandle) => (await localActivityRuns(handle, 'authorizePayment')).map((run) => run.identity),
    },
    {
      stallAfter: 'confirmation-email',
      activity: 'notifyCustomer',
      key: (orderId: string) => orderKeys(orderId).notification('order_confirmed'),
      // Tried first as a local activity: the killed worker's attempt was never recorded, so the fresh
      // worker's workflow task ran it again, and its marker (the first email's) is the fresh worker's.
      retriedBy: async (handle: WorkflowHandle) => (await localActivityRuns(handle, 'notifyCustomer')).slice(0, 1).map((run) => run.identity),
    },
  ])(
    '$stallAfter done for a killed worker: the fresh worker runs $activity again, and it still happens once',
    async ({ stallAfter, key, retriedBy }) => {
      const order = await splitOrder();
      const { input } = order;
      const taskQueue = uniqueTaskQueue();
      const crashed = await startWorkerProcessOn(taskQueue, 'test/support/stalling-worker.ts', { OMS_STALL_AFTER: stallAfter });
      const handle = await startOrder(temporal, input, taskQueue);
      expect(await crashed.waitForLine(/^acted: /, 120_000)).toBe(`acted: ${stallAfter} ${key(input.orderId)}`);

      expect(await crashed.crash()).toBe('SIGKILL');
      const { outcome, shipments } = await withFreshWorker(taskQueue, async () => {
        // The attempt cut off by the crash times out (an activity's 30 s, a local one's workflow task 10 s) and the fresh worker runs it again.
        const { shipments } = await waitUntilConfirmed(handle, input);
        return { shipments, outcome: await shipAndDeliver(handle, shipments) };
      });

      expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
      expect(await retriedBy(handle)).toEqual([thisProcess]);
      await expectEachEffectOnce(order, shipments);
    },
    CRASH_TEST_TIMEOUT_MS,
  );

  it(
    'a shipment the order showed, its workflow task lost with the killed worker: the warehouse\'s event is accepted once the fresh worker has booked it again',
    async () => {
      const order = await splitOrder();
      const { input } = order;
      const taskQueue = uniqueTaskQueue();
      const { handle, shown } = await allocatedThenWorkerKilled(input, taskQueue);
      const { shipments } = shown;

      // Sent as a warehouse would, with the id the order's lookup showed, before any worker has the order
      // again: the fresh worker's first workflow task of it gets the event together with the re-run of the lost one.
      const [first] = shipments;
      const warehouse = { role: 'warehouse', label: 'warehouse:test' } as const;
      const shipped = reportShipmentEventToApi(temporal.client, warehouse, first.shipmentId, { type: 'shipped' });
      shipped.catch(() => {}); // awaited below; until then a failure must not count as unhandled
      const outcome = await withFreshWorker(taskQueue, async () => {
        expect(await shipped).toEqual({ shipmentId: first.shipmentId, orderId: input.orderId, shipmentStatus: 'shipped' });
        return shipAndDeliver(handle, shipments, [first]);
      });

      expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
      await expectEachEffectOnce(order, shipments);
    },
    CRASH_TEST_TIMEOUT_MS,
  );

  it(
    'the workflow task that reserved the last unit in Berlin lost with the killed worker: the fresh worker keeps that reservation and shipment, and holds nothing in Paris',
    async () => {
      // One unit in each warehouse: once the lost task holds Berlin's, routing over the stock again would pick Paris.
      const sku = uniqueId('SKU-LAST');
      await setStock(sku, 'wh-berlin', 1);
      await setStock(sku, 'wh-paris', 1);
      const input = orderInput([{ sku, quantity: 1 }], { shippingAddress: BERLIN_ADDRESS });
      const taskQueue = uniqueTaskQueue();
      const { handle, shown } = await allocatedThenWorkerKilled(input, taskQueue);
      expect(shown.shipments.map((s) => s.warehouseId)).toEqual(['wh-berlin']);

      const outcome = await withFreshWorker(taskQueue, async () => {
        const { shipments } = await waitUntilConfirmed(handle, input);
        expect(shipments.map((s) => s.warehouseId)).toEqual(['wh-berlin']);
        return shipAndDeliver(handle, shipments);
      });

      expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
      const reservations = await StockMovementModel.find({ orderId: input.orderId, kind: 'reserve' }).lean();
      expect(reservations.map((m) => `${m.warehouseId} ${m.reservedDelta}`)).toEqual(['wh-berlin 1']);
      expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 0, reserved: 0 });
      expect(await readBalance(sku, 'wh-paris')).toMatchObject({ onHand: 1, reserved: 0 });
      const booked = await ShipmentModel.find({ orderId: input.orderId }).lean();
      expect(booked.map((s) => `${s.warehouseId} ${s.status}`)).toEqual(['wh-berlin delivered']);
    },
    CRASH_TEST_TIMEOUT_MS,
  );

  it(
    'capture done by the provider for a killed worker: the fresh worker runs capturePayment again, and it stays one capture',
    async () => {
      const order = await splitOrder();
      const { input } = order;
      const taskQueue = uniqueTaskQueue();
      const crashed = await startWorkerProcessOn(taskQueue, 'test/support/stalling-worker.ts', { OMS_STALL_AFTER: 'capture' });
      const handle = await startOrder(temporal, input, taskQueue);
      const { shipments } = await waitUntilConfirmed(handle, input);
      const [first] = shipments;
      const firstShipped = reportShipmentEvent(handle, first.shipmentId, 'shipped');
      firstShipped.catch(() => {}); // awaited below; until then a failure must not count as unhandled
      expect(await crashed.waitForLine(/^acted: /, 120_000)).toBe(`acted: capture order:${input.orderId}:capture:${first.shipmentId}`);

      expect(await crashed.crash()).toBe('SIGKILL');
      const outcome = await withFreshWorker(taskQueue, async () => {
        // The Update accepted by the killed worker completes on the fresh one, once the capture is retried.
        expect(await firstShipped).toMatchObject({ shipmentStatus: 'shipped' });
        return shipAndDeliver(handle, shipments, [first]);
      });

      expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
      // The killed worker's local attempt was never recorded: the capture's only marker is the fresh worker's.
      const [firstCapture] = await localActivityRuns(handle, 'capturePayment');
      expect(firstCapture.identity).toEqual(thisProcess);
      await expectEachEffectOnce(order, shipments);
    },
    CRASH_TEST_TIMEOUT_MS,
  );
});
