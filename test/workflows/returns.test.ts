/**
 * Returns on the real Temporal dev server binary, the real workflow bundle and the real activities on
 * FerretDB and Mailpit: a delivered order opens a return (its own child workflow), the warehouse records
 * what arrived, the units go back into stock through the ledger, their value is refunded once and the
 * customer is emailed once; returns the order cannot take change nothing.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentProviderUnavailable } from '../../services/payment-provider.js';
import { SandboxPaymentProvider } from '../../services/sandbox-payment-provider.js';
import type { Money } from '../../domain/money.js';
import { type OrderState } from '../../domain/order.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import type { returnWorkflow } from '../../workflows/return.js';
import { orderInput, PLACES, seedWarehouse, setStock, TEST_ORDER_POLICY, useTestDatabase } from '../support/fixtures.js';
import { expectMessagesTo, uniqueAddress } from '../support/mail.js';
import {
  bundleOrderWorkflows,
  createTestWorker,
  reportShipmentEvent,
  startLocalEnvironment,
  startOrder,
  uniqueTaskQueue,
  waitForStatus,
} from '../support/workflow-env.js';
import { returnWorkflowId } from '../../contracts/ids.js';
import { getOrderQuery, requestReturnUpdate, returnReceiptUpdate, type ReturnReceiptRequest } from '../../contracts/messages.js';
import { OrderIdKey } from '../../contracts/search-attributes.js';
import { StockMovementModel } from '../../persistence/stock-models.js';
import { findOrder } from '../../persistence/orders.js';
import { PaymentModel } from '../../persistence/payments.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';

/**
 * The sandbox provider, except that the reply to each refund's first call is lost after the refund was made:
 * the activity fails and Temporal runs it again, as after a timeout or a crash.
 */
class RefundReplyLostOnce extends SandboxPaymentProvider {
  readonly refundCalls = new Map<string, number>();
  override async refund(request: { idempotencyKey: string; authorizationId: string; amount: Money }) {
    const result = await super.refund(request);
    const calls = (this.refundCalls.get(request.idempotencyKey) ?? 0) + 1;
    this.refundCalls.set(request.idempotencyKey, calls);
    if (calls === 1) throw new PaymentProviderUnavailable('connection reset before the reply arrived');
    return result;
  }
}

const THIRTY_DAYS = 30 * 86_400_000;
const provider = new RefundReplyLostOnce();
const taskQueue = uniqueTaskQueue();
let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let closeDb: () => Promise<void>;
const openOrders: string[] = [];

beforeAll(async () => {
  const [local, workflowBundle] = await Promise.all([startLocalEnvironment(), bundleOrderWorkflows()]);
  env = local;
  ({ close: closeDb } = await useTestDatabase('workflows_returns'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-munich', PLACES.munich);
  worker = await createTestWorker(env, workflowBundle, taskQueue, { payments: provider });
  workerRun = worker.run();
});

afterAll(async () => {
  // The orders wait out their 30-day return windows; nothing more is to happen to them.
  await Promise.all(openOrders.map((id) => env.client.workflow.getHandle(id).terminate('test finished').catch(() => undefined)));
  worker?.shutdown();
  await workerRun;
  await closeDb?.();
  await env?.teardown();
});

/** An order of `lines` (priced), stocked at Berlin, taken to delivered; its customer has an address of its own. */
async function deliveredOrder(lines: Array<{ sku: string; quantity: number; unitPrice: number }>) {
  for (const { sku } of lines) await setStock(sku, 'wh-berlin', 10);
  const base = orderInput(lines);
  const input = {
    ...base,
    customer: { ...base.customer, email: uniqueAddress() },
    policy: { ...TEST_ORDER_POLICY, allowPartialShipment: false, returnWindowMs: THIRTY_DAYS },
  };
  const handle = await startOrder(env, input, taskQueue);
  openOrders.push(handle.workflowId);
  const { shipments } = await waitForStatus(handle, 'allocated');
  for (const { shipmentId } of shipments) {
    await reportShipmentEvent(handle, shipmentId, 'shipped');
    await reportShipmentEvent(handle, shipmentId, 'delivered');
  }
  await waitForStatus(handle, 'delivered');
  return { input, handle };
}

const newSku = () => `SKU-${randomUUID().slice(0, 6)}`;

const receive = (returnId: string, receipt: Omit<ReturnReceiptRequest, 'recordedBy'>) =>
  env.client.workflow.getHandle(returnWorkflowId(returnId)).executeUpdate(returnReceiptUpdate, { args: [{ ...receipt, recordedBy: 'warehouse' }] });

const returnResult = (returnId: string) => env.client.workflow.getHandle<typeof returnWorkflow>(returnWorkflowId(returnId)).result();

/** The order's state once `predicate` holds (the order applies its returns' results asynchronously). */
async function orderStateWhen(handle: WorkflowHandle, predicate: (state: OrderState) => boolean): Promise<OrderState> {
  let state = await handle.query(getOrderQuery);
  for (let i = 0; i < 100 && !predicate(state); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    state = await handle.query(getOrderQuery);
  }
  return state;
}

describe('returns', () => {
  it('restocks what arrived, refunds it exactly once though the refund ran twice, and emails the customer once', async () => {
    const sku = newSku();
    const { input, handle } = await deliveredOrder([{ sku, quantity: 3, unitPrice: 1999 }]);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 7, reserved: 0 });

    const opened = await handle.executeUpdate(requestReturnUpdate, {
      args: [{ lines: [{ lineId: 'L1', quantity: 2 }], reason: 'too small', requestedBy: 'channel:web' }],
    });
    const returnId = `${input.orderId}-1`;
    expect(opened).toMatchObject({ returnId, status: 'requested', orderStatus: 'partially_returned' });
    // The order's view shows the open return before anything arrives.
    expect(await findOrder(input.orderId)).toMatchObject({
      status: 'partially_returned',
      returns: [{ returnId, status: 'requested', lines: [{ lineId: 'L1', sku, quantity: 2 }] }],
    });

    // In the Temporal UI the return has a summary, and `OrderId = '...'` finds it with its order.
    const returnRun = await env.client.workflow.getHandle(returnWorkflowId(returnId)).describe();
    expect(await returnRun.staticSummary()).toBe(`Return of 2 x ${sku} for order ${input.externalId} from web`);
    expect(returnRun.typedSearchAttributes.get(OrderIdKey)).toBe(input.orderId);

    // Received at Munich, not where it shipped from: the stock goes back where the goods are.
    expect(await receive(returnId, { warehouseId: 'wh-munich', lines: [{ sku, quantity: 2 }] })).toEqual({ returnId, status: 'received' });
    expect(await returnResult(returnId)).toEqual({ returnId, status: 'refunded', amount: 3998 });

    const restock = await StockMovementModel.find({ key: `return:${returnId}:restock:${sku}:wh-munich` }).lean();
    expect(restock).toMatchObject([{ kind: 'restock', onHandDelta: 2, reservedDelta: 0, orderId: input.orderId }]);
    expect(await readBalance(sku, 'wh-munich')).toMatchObject({ onHand: 2, reserved: 0 });
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 7, reserved: 0 });

    const refundKey = `order:${input.orderId}:refund:${returnId}`;
    expect(provider.refundCalls.get(refundKey)).toBe(2);
    const providerRefunds = await SandboxPaymentModel.find({ idempotencyKey: new RegExp(`^order:${input.orderId}:`), operation: 'refund' }).lean();
    expect(providerRefunds).toMatchObject([{ idempotencyKey: refundKey, outcome: 'approved', amount: 3998, currency: 'EUR' }]);
    expect(await PaymentModel.find({ orderId: input.orderId, operation: 'refund' }).lean()).toMatchObject([{ key: refundKey, amount: 3998 }]);

    const state = await orderStateWhen(handle, (s) => s.returns[0]?.status === 'refunded');
    expect(state).toMatchObject({
      status: 'partially_returned',
      payment: { status: 'partially_refunded', captured: 5997, refunded: 3998 },
      returns: [{ returnId, status: 'refunded', amount: 3998, receipt: { warehouseId: 'wh-munich', lines: [{ sku, quantity: 2 }] } }],
    });
    expect(state.timeline.map((t) => t.type)).toEqual(expect.arrayContaining(['returns_open', 'return_requested', 'return_received', 'return_refunded']));
    await expect.poll(async () => (await findOrder(input.orderId))?.revision).toBe(state.revision);

    // Confirmed, shipped, delivered, refunded: one email each.
    const mail = await expectMessagesTo(input.customer.email, 4);
    const refunded = mail.filter((m) => m.Subject.startsWith('Refund'));
    expect(refunded).toHaveLength(1);
    expect(refunded[0].Subject).toBe(`Refund of 39.98 EUR for your order ${input.externalId}`);
    expect(refunded[0].Text).toContain(`2 x ${sku}`);
  });

  it("refunds what arrived at its lines' prices, lets the rest be returned again, and is returned once every unit is back", async () => {
    const [tee, mug] = [newSku(), newSku()];
    // The same SKU on two lines at different prices.
    const { input, handle } = await deliveredOrder([
      { sku: tee, quantity: 2, unitPrice: 1000 },
      { sku: mug, quantity: 1, unitPrice: 500 },
      { sku: tee, quantity: 1, unitPrice: 1500 },
    ]);

    const first = await handle.executeUpdate(requestReturnUpdate, {
      args: [
        {
          lines: [{ lineId: 'L3', quantity: 1 }, { lineId: 'L1', quantity: 1 }, { lineId: 'L2', quantity: 1 }],
          reason: 'changed my mind',
          requestedBy: 'support',
        },
      ],
    });
    expect(first.orderStatus).toBe('partially_returned');
    // One tee arrives, the other and the mug never do: the tee counts for L3, named first, and is refunded at its price.
    await receive(first.returnId, { warehouseId: 'wh-berlin', lines: [{ sku: tee, quantity: 1 }] });
    expect(await returnResult(first.returnId)).toMatchObject({ status: 'refunded', amount: 1500 });
    expect((await orderStateWhen(handle, (s) => s.returns[0].status === 'refunded')).status).toBe('partially_returned');

    const second = await handle.executeUpdate(requestReturnUpdate, {
      args: [{ lines: [{ lineId: 'L1', quantity: 2 }, { lineId: 'L2', quantity: 1 }], reason: 'sent them after all', requestedBy: 'support' }],
    });
    expect(second).toMatchObject({ returnId: `${input.orderId}-2`, orderStatus: 'returned' });
    await receive(second.returnId, { warehouseId: 'wh-berlin', lines: [{ sku: tee, quantity: 2 }, { sku: mug, quantity: 1 }] });
    expect(await returnResult(second.returnId)).toMatchObject({ status: 'refunded', amount: 2500 });

    const state = await orderStateWhen(handle, (s) => s.returns[1].status === 'refunded');
    expect(state).toMatchObject({ status: 'returned', payment: { status: 'refunded', captured: 4000, refunded: 4000 } });
    expect(await readBalance(tee, 'wh-berlin')).toMatchObject({ onHand: 10 });
    expect(await readBalance(mug, 'wh-berlin')).toMatchObject({ onHand: 10 });
  });

  it('rejects returns and receipts that do not fit, changing nothing', async () => {
    const sku = newSku();
    await setStock(sku, 'wh-berlin', 10);
    const base = orderInput([{ sku, quantity: 2, unitPrice: 1250 }]);
    const input = { ...base, policy: { ...TEST_ORDER_POLICY, allowPartialShipment: false, returnWindowMs: THIRTY_DAYS } };
    const handle = await startOrder(env, input, taskQueue);
    openOrders.push(handle.workflowId);
    const requestReturn = (lines: Array<{ lineId: string; quantity: number }>) =>
      handle.executeUpdate(requestReturnUpdate, { args: [{ lines, reason: 'does not fit', requestedBy: 'channel:web' }] });
    const rejection = (reason: RegExp) => expect.objectContaining({ cause: expect.objectContaining({ message: expect.stringMatching(reason) }) });

    const { shipments } = await waitForStatus(handle, 'allocated');
    await expect(requestReturn([{ lineId: 'L1', quantity: 1 }])).rejects.toEqual(rejection(/only a delivered order takes returns \(this one is allocated\)/));
    await reportShipmentEvent(handle, shipments[0].shipmentId, 'shipped');
    await reportShipmentEvent(handle, shipments[0].shipmentId, 'delivered');
    await waitForStatus(handle, 'delivered');
    const before = await handle.query(getOrderQuery);

    await expect(requestReturn([{ lineId: 'L1', quantity: 3 }])).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(requestReturn([{ lineId: 'L1', quantity: 3 }])).rejects.toEqual(rejection(/only 2 of the 2 delivered units of line L1/));
    await expect(requestReturn([{ lineId: 'L2', quantity: 1 }])).rejects.toEqual(rejection(/the order has no line L2/));
    await expect(requestReturn([{ lineId: 'L1', quantity: 1 }, { lineId: 'L1', quantity: 1 }])).rejects.toEqual(rejection(/line L1 is listed twice/));
    const after = await handle.query(getOrderQuery);
    expect(after).toMatchObject({ status: 'delivered', returns: [], revision: before.revision });
    await expect(env.client.workflow.getHandle(returnWorkflowId(`${input.orderId}-1`)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const { returnId } = await requestReturn([{ lineId: 'L1', quantity: 1 }]);
    await expect(requestReturn([{ lineId: 'L1', quantity: 2 }])).rejects.toEqual(rejection(/only 1 of the 2 delivered units of line L1/));
    await expect(receive(returnId, { warehouseId: 'wh-berlin', lines: [{ sku, quantity: 2 }] })).rejects.toEqual(rejection(/announced only 1 units/));
    await expect(receive(returnId, { warehouseId: 'wh-berlin', lines: [{ sku: 'NOT-ORDERED', quantity: 1 }] })).rejects.toEqual(
      rejection(/not part of this return/),
    );
    expect((await handle.query(getOrderQuery)).returns).toMatchObject([{ returnId, status: 'requested' }]);
    expect(await StockMovementModel.countDocuments({ kind: 'restock', orderId: input.orderId })).toBe(0);
    expect(await SandboxPaymentModel.countDocuments({ idempotencyKey: new RegExp(`^order:${input.orderId}:refund`) })).toBe(0);

    await receive(returnId, { warehouseId: 'wh-berlin', lines: [{ sku, quantity: 1 }] });
    await expect(receive(returnId, { warehouseId: 'wh-berlin', lines: [{ sku, quantity: 1 }] })).rejects.toThrow();
    expect(await returnResult(returnId)).toMatchObject({ status: 'refunded', amount: 1250 });
    expect(await StockMovementModel.countDocuments({ kind: 'restock', orderId: input.orderId })).toBe(1);
  });
});
