/**
 * Backorders, restock wake-ups, partial shipment and concurrency, on the real dev server binary, the real
 * workflow bundle (order workflow and restock dispatcher) and real activities on FerretDB.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStockEffects } from '../../services/stock-effects.js';
import type { OrderState } from '../../domain/order.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import { orderInput, PLACES, seedWarehouse, setStock, TEST_INVENTORY, useTestDatabase } from '../support/fixtures.js';
import { testMailer } from '../support/mail.js';
import { bundleOrderWorkflows, createTestWorker, startLocalEnvironment, startOrder, uniqueTaskQueue, waitForStatus } from '../support/workflow-env.js';
import { getOrderQuery, shipmentEventUpdate } from '../../contracts/messages.js';
import { reconcileLevels } from '../../persistence/reconciliation.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let closeDb: () => Promise<void>;
const taskQueue = uniqueTaskQueue();

beforeAll(async () => {
  const [localEnv, workflowBundle] = await Promise.all([startLocalEnvironment(), bundleOrderWorkflows()]);
  env = localEnv;
  ({ close: closeDb } = await useTestDatabase('backorders'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
  worker = await createTestWorker(env, workflowBundle, taskQueue);
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await closeDb?.();
  await env?.teardown();
});

const newSku = () => `SKU-${randomUUID().slice(0, 8)}`;
const start = (...args: Parameters<typeof orderInput>) => startOrder(env, orderInput(...args), taskQueue);

/** Stock received the way the API records it: a movement, then its effects (alerts, restock wake-up). */
async function receive(sku: string, warehouseId: string, onHand: number): Promise<void> {
  await setStock(sku, warehouseId, onHand);
  await createStockEffects({ temporal: env.client, taskQueue, ...TEST_INVENTORY, mailer: testMailer() }).afterStockChange([sku], { increased: true });
}

describe('backorders', () => {
  it('backorders what is short, holding what it reserved, and allocates when stock arrives', async () => {
    const sku = newSku();
    await setStock(sku, 'wh-berlin', 1);
    const handle = await start([{ sku, quantity: 3 }]);

    const waiting = await waitForStatus(handle, 'backordered');
    expect(waiting.unallocated).toEqual([{ sku, quantity: 2 }]);
    expect(waiting.shipments).toEqual([]);
    expect(waiting.backorderDeadline).toBeDefined();
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 1, reserved: 1 });
    await expect.poll(() => NotificationModel.countDocuments({ orderId: waiting.orderId, event: 'order_backordered' })).toBe(1);

    await receive(sku, 'wh-berlin', 3);

    const allocated = await waitForStatus(handle, 'allocated');
    expect(allocated.unallocated).toEqual([]);
    expect(allocated.allocations).toEqual([{ sku, warehouseId: 'wh-berlin', quantity: 3 }]);
    // Shipped complete: one shipment with all three units once everything is there.
    expect(allocated.shipments.map((s) => s.lines)).toEqual([[{ sku, quantity: 3 }]]);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 3, reserved: 3 });
  });

  it('gives arriving stock to the order that waited longest', async () => {
    const sku = newSku();
    await setStock(sku, 'wh-berlin', 0);
    const older = await start([{ sku, quantity: 2 }]);
    await waitForStatus(older, 'backordered');
    const younger = await start([{ sku, quantity: 1 }]);
    await waitForStatus(younger, 'backordered');

    await receive(sku, 'wh-berlin', 2);

    await waitForStatus(older, 'allocated');
    // The younger order was not woken ahead of the older one and is still waiting.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await younger.query(getOrderQuery)).status).toBe('backordered');
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 2, reserved: 2 });

    await receive(sku, 'wh-berlin', 3);
    await waitForStatus(younger, 'allocated');
  });

  it('ships what is available now when the channel allows partial shipment, and the rest later', async () => {
    const sku = newSku();
    await setStock(sku, 'wh-berlin', 1);
    const input = orderInput([{ sku, quantity: 3 }]);
    const handle = await startOrder(env, { ...input, policy: { ...input.policy, allowPartialShipment: true } }, taskQueue);

    const waiting = await waitForStatus(handle, 'backordered');
    expect(waiting.shipments.map((s) => s.lines)).toEqual([[{ sku, quantity: 1 }]]);
    const [first] = waiting.shipments;
    const event = (shipmentId: string, type: 'shipped' | 'delivered') =>
      handle.executeUpdate(shipmentEventUpdate, { args: [{ shipmentId, type, occurredAt: new Date().toISOString() }] });
    expect(await event(first.shipmentId, 'shipped')).toEqual({ shipmentStatus: 'shipped', orderStatus: 'partially_shipped' });
    await event(first.shipmentId, 'delivered');
    expect((await handle.query(getOrderQuery)).status).toBe('partially_shipped');

    await receive(sku, 'wh-berlin', 2); // 1 shipped out of 1, 2 more received

    const complete = await waitFor(handle, (s) => s.unallocated.length === 0 && s.shipments.length === 2);
    const second = complete.shipments[1];
    expect(second.lines).toEqual([{ sku, quantity: 2 }]);
    await event(second.shipmentId, 'shipped');
    await event(second.shipmentId, 'delivered');
    expect((await handle.result()).status).toBe('delivered');
    // One capture per shipment, adding up to the order total.
    const captures = await SandboxPaymentModel.find({ idempotencyKey: new RegExp(`^order:${input.orderId}:capture:`) }).lean();
    expect(captures.map((c) => c.amount).sort((a, b) => a - b)).toEqual([input.total.amount / 3, (2 * input.total.amount) / 3]);
    expect((await handle.query(getOrderQuery)).payment).toMatchObject({ status: 'captured', captured: input.total.amount });
  });
});

describe('concurrency', () => {
  it('reserves exactly the 10 units there are among 50 simultaneous orders; the rest wait', async () => {
    const sku = newSku();
    await setStock(sku, 'wh-berlin', 10);

    const handles = await Promise.all(Array.from({ length: 50 }, () => start([{ sku, quantity: 1 }])));
    const states = await Promise.all(handles.map((h) => waitFor(h, (s) => s.status === 'allocated' || s.status === 'backordered', 90_000)));

    expect(states.filter((s) => s.status === 'allocated')).toHaveLength(10);
    expect(states.filter((s) => s.status === 'backordered')).toHaveLength(40);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
    expect((await reconcileLevels({ sku })).drift).toEqual([]);
  });

  it('never oversells mixed multi-SKU orders over two warehouses', async () => {
    const [a, b] = [newSku(), newSku()];
    await Promise.all([setStock(a, 'wh-berlin', 6), setStock(a, 'wh-paris', 4), setStock(b, 'wh-berlin', 3), setStock(b, 'wh-paris', 5)]);

    const handles = await Promise.all(
      Array.from({ length: 30 }, (_, i) => start(i % 3 === 0 ? [{ sku: a, quantity: 1 }, { sku: b, quantity: 1 }] : [{ sku: i % 2 ? a : b, quantity: 1 + (i % 2) }])),
    );
    const states = await Promise.all(handles.map((h) => waitFor(h, (s) => s.status === 'allocated' || s.status === 'backordered', 90_000)));

    for (const [sku, warehouseId] of [[a, 'wh-berlin'], [a, 'wh-paris'], [b, 'wh-berlin'], [b, 'wh-paris']] as const) {
      const balance = await readBalance(sku, warehouseId);
      expect(balance.reserved).toBeLessThanOrEqual(balance.onHand);
      // What the orders say they hold is exactly what the ledger has reserved.
      const held = states.flatMap((s) => s.allocations).filter((x) => x.sku === sku && x.warehouseId === warehouseId);
      expect(held.reduce((sum, x) => sum + x.quantity, 0)).toBe(balance.reserved);
    }
    expect((await reconcileLevels()).drift).toEqual([]);
  });
});

async function waitFor(
  handle: Awaited<ReturnType<typeof start>>,
  predicate: (state: OrderState) => boolean,
  timeoutMs = 30_000,
): Promise<OrderState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await handle.query(getOrderQuery);
    if (predicate(state)) return state;
    if (Date.now() > deadline) throw new Error(`condition not reached; last status ${state.status}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
