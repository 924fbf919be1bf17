/**
 * The order workflow on the real Temporal dev server binary (TestWorkflowEnvironment.createLocal with
 * the `temporal` CLI from the tools cache), the real workflow bundle and the real activities on FerretDB.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { type OrderInput } from '../../domain/order.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import { sandboxDependencies } from '../../worker/create-worker.js';
import { orderInput, setStock, TEST_INVENTORY } from '../support/fixtures.js';
import { testSmtpUrl } from '../support/mail.js';
import { startOrder, useOrderWorkflowSuite, waitForStatus } from '../support/workflow-env.js';
import { orderWorkflowId } from '../../contracts/ids.js';
import { cancelOrderUpdate, reviewOrderUpdate, shipmentEventUpdate } from '../../contracts/messages.js';
import { CustomerIdKey, OrderStatusKey } from '../../contracts/search-attributes.js';
import { StockMovementModel } from '../../persistence/stock-models.js';
import { findOrder } from '../../persistence/orders.js';
import { ShipmentModel } from '../../persistence/shipments.js';
import { recordReservationRoundOnce } from '../../persistence/reservation-rounds.js';
import { orderKeys } from '../../contracts/keys.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { SandboxAttemptModel, SandboxPaymentModel } from '../../persistence/sandbox-payments.js';

const suite = useOrderWorkflowSuite('workflows');
const { withWorker } = suite;

const start = (input: OrderInput, queue = suite.taskQueue) => startOrder(suite.env, input, queue);

/** Workflow ids matching a visibility query, polled briefly since visibility is eventually consistent. */
async function findWorkflowIds(query: string): Promise<string[]> {
  for (let i = 0; i < 50; i++) {
    const ids: string[] = [];
    for await (const execution of suite.env.client.workflow.list({ query })) ids.push(execution.workflowId);
    if (ids.length > 0) return ids;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return [];
}

const sandboxEntries = (orderId: string, operation: string) =>
  SandboxPaymentModel.countDocuments({ idempotencyKey: new RegExp(`^order:${orderId}:`), operation });

describe('orderWorkflow', () => {
  it('authorizes, reserves, ships and ends delivered once every shipment is delivered', async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    await setStock(sku, 'wh-berlin', 5);
    await setStock(sku, 'wh-paris', 50);
    const input = orderInput([{ sku, quantity: 2, unitPrice: 1999 }]);

    const outcome = await withWorker(async () => {
      const handle = await start(input);
      const allocated = await waitForStatus(handle, 'allocated');
      // The customer is in Berlin: the Berlin warehouse serves, although Paris has more.
      expect(allocated.allocations).toEqual([{ sku, warehouseId: 'wh-berlin', quantity: 2 }]);
      expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 5, reserved: 2 });
      const [shipment] = allocated.shipments;
      expect(shipment).toMatchObject({ warehouseId: 'wh-berlin', status: 'pending', lines: [{ sku, quantity: 2 }] });
      expect(shipment.trackingNumber).toMatch(/^SBX\d{12}$/);

      const shipped = await handle.executeUpdate(shipmentEventUpdate, {
        args: [{ shipmentId: shipment.shipmentId, type: 'shipped', occurredAt: new Date().toISOString() }],
      });
      expect(shipped).toEqual({ shipmentStatus: 'shipped', orderStatus: 'shipped' });
      await handle.executeUpdate(shipmentEventUpdate, {
        args: [{ shipmentId: shipment.shipmentId, type: 'delivered', occurredAt: new Date().toISOString() }],
      });
      return handle.result();
    });

    expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 3, reserved: 0 });
    expect(await sandboxEntries(input.orderId, 'authorize')).toBe(1);
    const view = await findOrder(input.orderId);
    expect(view).toMatchObject({ status: 'delivered', payment: { status: 'captured', authorized: 3998, captured: 3998 } });
    expect(await sandboxEntries(input.orderId, 'capture')).toBe(1);
    expect(view!.timeline.map((t) => t.type)).toEqual([
      'received',
      'payment_authorized',
      'allocated',
      'shipment_shipped',
      'payment_captured',
      'shipment_delivered',
    ]);
    const notifications = await NotificationModel.find({ orderId: input.orderId }).lean();
    expect(notifications.map((n) => n.event).sort()).toEqual(['order_confirmed', 'shipment_delivered', 'shipment_shipped']);
    const description = await suite.env.client.workflow.getHandle(orderWorkflowId(input.orderId)).describe();
    expect(description.typedSearchAttributes.get(OrderStatusKey)).toBe('delivered');
    expect(description.typedSearchAttributes.get(CustomerIdKey)).toBe(input.customer.id);
    expect(await findWorkflowIds(`OrderId = '${input.orderId}' AND OrderStatus = 'delivered'`)).toEqual([orderWorkflowId(input.orderId)]);
  });

  it('ends payment_declined on a declined card, reserving nothing and telling the customer', async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    await setStock(sku, 'wh-berlin', 5);
    const input = orderInput([{ sku, quantity: 1 }], { paymentToken: 'tok_decline' });

    const outcome = await withWorker(async () => (await start(input)).result());

    expect(outcome.status).toBe('payment_declined');
    expect(await StockMovementModel.countDocuments({ orderId: input.orderId })).toBe(0);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 5, reserved: 0 });
    const view = await findOrder(input.orderId);
    expect(view).toMatchObject({ status: 'payment_declined', payment: { status: 'declined', authorized: 0 } });
    expect(await NotificationModel.countDocuments({ orderId: input.orderId, event: 'payment_declined' })).toBe(1);
  });

  it('re-routes a reservation lost to a concurrent order, splitting the shipment', async () => {
    const [first, second] = [`SKU-${randomUUID().slice(0, 6)}`, `SKU-${randomUUID().slice(0, 6)}`];
    await setStock(first, 'wh-berlin', 4);
    await setStock(second, 'wh-berlin', 1);
    await setStock(second, 'wh-paris', 5);
    const input = orderInput([{ sku: first, quantity: 2 }, { sku: second, quantity: 2 }]);
    const real = createActivities(sandboxDependencies({ temporal: suite.env.client, taskQueue: suite.taskQueue, inventory: TEST_INVENTORY, smtpUrl: testSmtpUrl() }));

    // Round 1 was routed on a stale read (as when another order reserved meanwhile): Berlin seemed to hold 2 of `second`.
    const state = await withWorker(
      async (queue) => waitForStatus(await start(input, queue), 'allocated'),
      {
        reserveRound: async (request) => {
          if (request.round === 1) {
            const stale = [{ sku: first, warehouseId: 'wh-berlin', quantity: 2 }, { sku: second, warehouseId: 'wh-berlin', quantity: 2 }];
            await recordReservationRoundOnce(orderKeys(request.orderId).reservationRound(1), request.orderId, { allocations: stale, unallocated: [] });
          }
          return real.reserveRound(request);
        },
      },
    );

    expect(state.allocations).toEqual(
      expect.arrayContaining([
        { sku: first, warehouseId: 'wh-berlin', quantity: 2 },
        { sku: second, warehouseId: 'wh-paris', quantity: 2 },
      ]),
    );
    expect(state.shipments.map((s) => s.warehouseId).sort()).toEqual(['wh-berlin', 'wh-paris']);
    expect(await readBalance(second, 'wh-berlin')).toMatchObject({ onHand: 1, reserved: 0 });
    expect(await readBalance(second, 'wh-paris')).toMatchObject({ onHand: 5, reserved: 2 });
  });

  it('holds a provider-flagged order for review before reserving, and goes on once approved', async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    await setStock(sku, 'wh-berlin', 5);
    const input = orderInput([{ sku, quantity: 1 }], { paymentToken: 'tok_review' });

    const state = await withWorker(async () => {
      const handle = await start(input);
      const held = await waitForStatus(handle, 'awaiting_review');
      expect(held.review).toMatchObject({ reason: 'the payment provider asked for a review' });
      expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ reserved: 0 });
      const decided = await handle.executeUpdate(reviewOrderUpdate, { args: [{ decision: 'approve', note: 'known customer', reviewer: 'support' }] });
      expect(decided.status).not.toBe('awaiting_review');
      return waitForStatus(handle, 'allocated');
    });

    expect(state.review).toMatchObject({ decision: 'approve', reviewer: 'support' });
    expect(state.timeline.map((t) => t.type)).toContain('review_approved');
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ reserved: 1 });
  });

  it('holds an order above the review threshold; rejecting it voids the authorization and tells the customer', async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    await setStock(sku, 'wh-berlin', 5);
    const base = orderInput([{ sku, quantity: 2, unitPrice: 60_000 }]);
    const input = { ...base, policy: { ...base.policy, reviewAboveAmount: 100_000 } };

    const outcome = await withWorker(async () => {
      const handle = await start(input);
      await waitForStatus(handle, 'awaiting_review');
      await handle.executeUpdate(reviewOrderUpdate, { args: [{ decision: 'reject', note: 'suspicious address', reviewer: 'support' }] });
      return handle.result();
    });

    expect(outcome.status).toBe('cancelled');
    expect(await sandboxEntries(input.orderId, 'void')).toBe(1);
    expect(await StockMovementModel.countDocuments({ orderId: input.orderId })).toBe(0);
    expect(await findOrder(input.orderId)).toMatchObject({ payment: { status: 'voided' }, review: { decision: 'reject' } });
    expect(await NotificationModel.countDocuments({ orderId: input.orderId, event: 'review_rejected' })).toBe(1);
  });

  it('retries a flaky payment provider and authorizes exactly once', async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    await setStock(sku, 'wh-berlin', 5);
    const input = orderInput([{ sku, quantity: 1 }], { paymentToken: 'tok_flaky' });

    const state = await withWorker(async () => waitForStatus(await start(input), 'allocated'));

    expect(state.payment).toMatchObject({ status: 'authorized', authorized: input.total.amount });
    expect(await SandboxAttemptModel.findById(`authorize:order:${input.orderId}:authorize`).lean()).toMatchObject({ count: 3 });
    expect(await sandboxEntries(input.orderId, 'authorize')).toBe(1);
  });

  it('cancels an allocated order: stock released, authorization voided, shipments cancelled', async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    await setStock(sku, 'wh-berlin', 5);
    const input = orderInput([{ sku, quantity: 2 }]);

    const result = await withWorker(async () => {
      const handle = await start(input);
      await waitForStatus(handle, 'allocated');
      const cancelled = await handle.executeUpdate(cancelOrderUpdate, {
        args: [{ reason: 'customer changed their mind', requestedBy: 'support' }],
      });
      return { cancelled, outcome: await handle.result() };
    });

    expect(result).toEqual({ cancelled: { status: 'cancelled' }, outcome: { orderId: input.orderId, status: 'cancelled' } });
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await sandboxEntries(input.orderId, 'void')).toBe(1);
    expect(await ShipmentModel.find({ orderId: input.orderId }).lean()).toMatchObject([{ status: 'cancelled' }]);
    const view = await findOrder(input.orderId);
    expect(view).toMatchObject({ status: 'cancelled', payment: { status: 'voided' }, shipments: [{ status: 'cancelled' }] });
    expect(view!.timeline.at(-1)!.message).toContain('customer changed their mind');
    expect(await NotificationModel.countDocuments({ orderId: input.orderId, event: 'order_cancelled' })).toBe(1);
  });

  it('unwinds an unexpected failure, shows it on the order, tells the customer, and fails the workflow', async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    await setStock(sku, 'wh-berlin', 5);
    const input = orderInput([{ sku, quantity: 2 }]);

    const failure = await withWorker(
      async (queue) => (await start(input, queue)).result().catch((error: unknown) => error),
      { createShipment: async () => { throw ApplicationFailure.nonRetryable('the carrier refused the address', 'CarrierRejected'); } },
    );

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await sandboxEntries(input.orderId, 'void')).toBe(1);
    const view = await findOrder(input.orderId);
    expect(view).toMatchObject({ status: 'failed', payment: { status: 'voided' } });
    expect(view!.timeline.at(-1)!.message).toContain('the carrier refused the address');
    expect(await NotificationModel.countDocuments({ orderId: input.orderId, event: 'order_failed' })).toBe(1);
  });

  it('rejects cancellation once a shipment has shipped, and out-of-order shipment events', async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    await setStock(sku, 'wh-berlin', 5);
    const input = orderInput([{ sku, quantity: 1 }]);

    await withWorker(async () => {
      const handle = await start(input);
      const { shipments } = await waitForStatus(handle, 'allocated');
      const event = (type: 'shipped' | 'delivered') =>
        handle.executeUpdate(shipmentEventUpdate, {
          args: [{ shipmentId: shipments[0].shipmentId, type, occurredAt: new Date().toISOString() }],
        });

      await expect(event('delivered')).rejects.toThrow(WorkflowUpdateFailedError);
      await event('shipped');
      await expect(event('shipped')).rejects.toThrow(WorkflowUpdateFailedError);
      const cancel = handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'too late', requestedBy: 'support' }] });
      await expect(cancel).rejects.toMatchObject({ cause: { message: expect.stringContaining('has already shipped') } });
      await event('delivered');
      expect((await handle.result()).status).toBe('delivered');
    });
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 4, reserved: 0 });
  });
});
