/**
 * Crash safety. A worker in an OS process of its own (worker/main.ts, or test/support/stalling-worker.ts)
 * starts an order that ships from two warehouses, and is killed with SIGKILL: no graceful shutdown, its
 * workflow cache gone, any activity in flight cut off. A fresh worker with an empty cache then takes the
 * order over on the same task queue (rebuilding it from its history), the warehouses ship and deliver
 * through the order's Updates, and the order ends delivered with exactly one authorization, one capture per
 * shipment, one stock 'ship' movement per shipment line and one email per customer event, counted where
 * they happened: the sandbox provider's own ledger, the stock ledger and Mailpit.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderNotification, type NotificationEvent } from '../../domain/notifications.js';
import type { OrderInput, OrderState, Shipment } from '../../domain/order.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import { orderInput, PLACES, seedWarehouse, setStock, useTestDatabase } from '../support/fixtures.js';
import { expectMessagesTo, testSmtpUrl, uniqueAddress } from '../support/mail.js';
import { connectSuiteTemporal, createSuiteOrderWorker, type SuiteTemporal } from '../support/suite-temporal.js';
import { startWorkerProcess, stopWorkerProcesses, type WorkerProcess } from '../support/worker-process.js';
import {
  bundleOrderWorkflows,
  reportShipmentEvent,
  startOrder,
  uniqueTaskQueue,
  waitForStatus,
  type WorkflowBundle,
} from '../support/workflow-env.js';
import { orderKeys } from '../../contracts/keys.js';
import { StockMovementModel } from '../../persistence/stock-models.js';
import { OrderModel } from '../../persistence/orders.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';
import type { orderWorkflow, OrderOutcome } from '../../workflows/order/workflow.js';

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

afterEach(stopWorkerProcesses);

afterAll(async () => {
  await db?.close();
  await temporal?.close();
});

interface SplitOrder {
  input: OrderInput;
  /** The value of each warehouse's shipment, what its capture must be. */
  captureByWarehouse: Record<string, number>;
}

/** 2 x 19.99 stocked only in Berlin and 1 x 45.50 only in Paris: two shipments, for a customer of its own. */
async function splitOrder(): Promise<SplitOrder> {
  const [berlinSku, parisSku] = [`SKU-${randomUUID().slice(0, 8)}`, `SKU-${randomUUID().slice(0, 8)}`];
  await setStock(berlinSku, 'wh-berlin', 5);
  await setStock(parisSku, 'wh-paris', 5);
  const input = orderInput(
    [
      { sku: berlinSku, quantity: 2, unitPrice: 1999 },
      { sku: parisSku, quantity: 1, unitPrice: 4550 },
    ],
    { customer: { id: 'cust-crash', email: uniqueAddress('crash'), name: 'Erika' } },
  );
  return { input, captureByWarehouse: { 'wh-berlin': 3998, 'wh-paris': 4550 } };
}

function startWorkerProcessOn(taskQueue: string, script: string, env?: Record<string, string>): Promise<WorkerProcess> {
  return startWorkerProcess({ script, taskQueue, env, temporalAddress: temporal.address, mongoUri: db.uri, smtpUrl: testSmtpUrl() });
}

/** Runs `drive` while a new worker of this process (empty cache) serves the task queue. */
async function withFreshWorker<T>(taskQueue: string, drive: () => Promise<T>): Promise<T> {
  const worker = await createSuiteOrderWorker(temporal, taskQueue, workflowBundle);
  return worker.runUntil(drive);
}

/** Allocated, and the confirmation email sent and marked so: from here the order waits for its warehouses. */
async function waitUntilConfirmed(handle: WorkflowHandle, input: OrderInput): Promise<OrderState> {
  const state = await waitForStatus(handle, 'allocated', 120_000);
  const key = orderKeys(input.orderId).notification('order_confirmed');
  await expect.poll(async () => (await NotificationModel.findOne({ key }).lean())?.status, { timeout: 60_000, interval: 200 }).toBe('sent');
  return state;
}

async function shipAndDeliver(handle: WorkflowHandle<typeof orderWorkflow>, shipments: Shipment[], alreadyShipped: Shipment[] = []): Promise<OrderOutcome> {
  for (const shipment of shipments) if (!alreadyShipped.includes(shipment)) await reportShipmentEvent(handle, shipment.shipmentId, 'shipped');
  for (const shipment of shipments) await reportShipmentEvent(handle, shipment.shipmentId, 'delivered');
  return handle.result();
}

/** Worker identities (`<pid>@<host>`) that ran the order's workflow tasks. */
async function workflowTaskWorkers(handle: WorkflowHandle): Promise<Set<string>> {
  const { events } = await handle.fetchHistory();
  return new Set(events!.flatMap((event) => event.workflowTaskStartedEventAttributes?.identity ?? []));
}

/**
 * The workers (`<pid>@<host>`) that ran a retry of an activity type. The history records only each
 * activity's last attempt, so this lists one entry per activity that needed more than one.
 */
async function retriesOf(handle: WorkflowHandle, activityType: string): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  const scheduled = new Set(
    events!.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType).map((event) => String(event.eventId)),
  );
  return events!.flatMap((event) => {
    const started = event.activityTaskStartedEventAttributes;
    return started && scheduled.has(String(started.scheduledEventId)) && started.attempt! > 1 ? [started.identity!] : [];
  });
}

const workerOf = (pid: number) => expect.stringMatching(new RegExp(`^${pid}@`));
const thisProcess = workerOf(process.pid);

/** Every effect of the delivered order happened exactly once, counted where it happened. */
async function expectEachEffectOnce({ input, captureByWarehouse }: SplitOrder, shipments: Shipment[]): Promise<void> {
  const { orderId } = input;

  // The provider's own books: one authorization of the total, one capture per shipment, nothing else.
  const provider = await SandboxPaymentModel.find({ idempotencyKey: new RegExp(`^order:${orderId}:`) }).lean();
  expect(provider.map((entry) => entry.operation).sort()).toEqual(['authorize', 'capture', 'capture']);
  expect(provider.find((entry) => entry.operation === 'authorize')).toMatchObject({ outcome: 'approved', amount: input.total.amount });
  const captures = Object.fromEntries(provider.filter((entry) => entry.operation === 'capture').map((entry) => [entry.idempotencyKey, entry.amount]));
  expect(captures).toEqual(Object.fromEntries(shipments.map((s) => [`order:${orderId}:capture:${s.shipmentId}`, captureByWarehouse[s.warehouseId]])));
  expect(Object.values(captures).reduce((sum, amount) => sum + amount, 0)).toBe(input.total.amount);

  // The stock ledger: one reservation and one 'ship' movement per shipment line, nothing left reserved.
  const movements = await StockMovementModel.find({ orderId }).lean();
  const movementsOf = (kind: string) =>
    movements.filter((m) => m.kind === kind).map((m) => `${m.sku}@${m.warehouseId} onHand ${m.onHandDelta} reserved ${m.reservedDelta}`).sort();
  const shippedLines = shipments.flatMap((s) => s.lines.map((line) => ({ ...line, warehouseId: s.warehouseId })));
  expect(movementsOf('ship')).toEqual(shippedLines.map((l) => `${l.sku}@${l.warehouseId} onHand ${-l.quantity} reserved ${-l.quantity}`).sort());
  expect(movementsOf('reserve')).toEqual(shippedLines.map((l) => `${l.sku}@${l.warehouseId} onHand 0 reserved ${l.quantity}`).sort());
  for (const line of shippedLines) expect(await readBalance(line.sku, line.warehouseId)).toMatchObject({ onHand: 5 - line.quantity, reserved: 0 });

  // Mailpit: confirmed once, shipped and delivered once per shipment.
  const subject = (event: NotificationEvent) =>
    renderNotification({ orderId, event, recipient: input.customer, externalId: input.externalId, total: input.total }).subject;
  const mail = await expectMessagesTo(input.customer.email, 1 + 2 * shipments.length, undefined, 60_000);
  const subjects = mail.map((message) => message.Subject);
  expect(subjects.filter((s) => s === subject('order_confirmed'))).toHaveLength(1);
  expect(subjects.filter((s) => s === subject('shipment_shipped'))).toHaveLength(shipments.length);
  expect(subjects.filter((s) => s === subject('shipment_delivered'))).toHaveLength(shipments.length);
  for (const { trackingNumber } of shipments) expect(mail.filter((message) => message.Text.includes(trackingNumber))).toHaveLength(2);

  // The order as support sees it: each step once.
  const view = await OrderModel.findById(orderId).lean();
  expect(view).toMatchObject({ status: 'delivered', payment: { status: 'captured', authorized: input.total.amount, captured: input.total.amount } });
  const steps = view!.timeline.map((entry) => entry.type);
  const count = (type: string) => steps.filter((step) => step === type).length;
  expect([count('payment_authorized'), count('allocated'), count('payment_captured'), count('shipment_shipped'), count('shipment_delivered')]).toEqual([
    1,
    1,
    shipments.length,
    shipments.length,
    shipments.length,
  ]);
}

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
      expect([...(await workflowTaskWorkers(handle))]).toEqual(expect.arrayContaining([workerOf(crashed.pid), thisProcess]));
      await expectEachEffectOnce(order, shipments);
    },
    CRASH_TEST_TIMEOUT_MS,
  );

  it.each([
    { stallAfter: 'authorize', activity: 'authorizePayment', key: (orderId: string) => `order:${orderId}:authorize` },
    { stallAfter: 'confirmation-email', activity: 'notifyCustomer', key: (orderId: string) => orderKeys(orderId).notification('order_confirmed') },
  ])(
    '$stallAfter done for a killed worker: the fresh worker retries $activity, and it still happens once',
    async ({ stallAfter, activity, key }) => {
      const order = await splitOrder();
      const { input } = order;
      const taskQueue = uniqueTaskQueue();
      const crashed = await startWorkerProcessOn(taskQueue, 'test/support/stalling-worker.ts', { OMS_STALL_AFTER: stallAfter });
      const handle = await startOrder(temporal, input, taskQueue);
      expect(await crashed.waitForLine(/^acted: /, 120_000)).toBe(`acted: ${stallAfter} ${key(input.orderId)}`);

      expect(await crashed.crash()).toBe('SIGKILL');
      const { outcome, shipments } = await withFreshWorker(taskQueue, async () => {
        // The attempt cut off by the crash times out (30 s) and the fresh worker retries it.
        const { shipments } = await waitUntilConfirmed(handle, input);
        return { shipments, outcome: await shipAndDeliver(handle, shipments) };
      });

      expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
      expect(await retriesOf(handle, activity)).toEqual([thisProcess]);
      await expectEachEffectOnce(order, shipments);
    },
    CRASH_TEST_TIMEOUT_MS,
  );

  it(
    'capture done by the provider for a killed worker: the fresh worker retries capturePayment, and it stays one capture',
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
      expect(await retriesOf(handle, 'capturePayment')).toEqual([thisProcess]);
      await expectEachEffectOnce(order, shipments);
    },
    CRASH_TEST_TIMEOUT_MS,
  );
});
