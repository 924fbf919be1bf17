/**
 * Changes while the order runs, as Temporal Updates on the real dev server with the real activities:
 * cancelling some lines (stock released, exactly their value voided) and changing the shipping address
 * (re-routed through the ledger). Also: every activity step carries a summary for the Temporal UI.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { OrderInput } from '../../domain/order.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import { BERLIN_ADDRESS, orderInput, setStock } from '../support/fixtures.js';
import { startOrder, useOrderWorkflowSuite, waitForStatus } from '../support/workflow-env.js';
import { cancelOrderUpdate, changeShippingAddressUpdate, getOrderQuery, shipmentEventUpdate } from '../../contracts/messages.js';
import { findOrder } from '../../persistence/orders.js';
import { ShipmentModel } from '../../persistence/shipments.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';

const suite = useOrderWorkflowSuite('order_changes');
const { withWorker } = suite;

const start = (input: OrderInput) => startOrder(suite.env, input, suite.taskQueue);
const newSku = () => `SKU-${randomUUID().slice(0, 6)}`;
const now = () => new Date().toISOString();
const sandbox = (orderId: string, operation: string) =>
  SandboxPaymentModel.find({ idempotencyKey: new RegExp(`^order:${orderId}:`), operation }).sort({ at: 1 }).lean();

const PARIS_ADDRESS = {
  name: 'Marianne Dupont',
  line1: '1 Rue de Rivoli',
  city: 'Paris',
  postalCode: '75001',
  country: 'FR',
  location: { lat: 48.86, lng: 2.35 },
};

describe('cancelling some lines', () => {
  it('releases their stock, voids exactly their value, reduces the shipment and charges only the rest', async () => {
    const [mug, cap] = [newSku(), newSku()];
    await setStock(mug, 'wh-berlin', 5);
    await setStock(cap, 'wh-berlin', 5);
    const input = orderInput([
      { sku: mug, quantity: 2, unitPrice: 1000 },
      { sku: cap, quantity: 1, unitPrice: 500 },
    ]);

    const { afterCancel, outcome } = await withWorker(async () => {
      const handle = await start(input);
      await waitForStatus(handle, 'allocated');
      const cancel = (lines: Array<{ lineId: string; quantity: number }>) =>
        handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'customer wants one mug', requestedBy: 'support', lines }] });

      expect(await cancel([{ lineId: 'L1', quantity: 1 }])).toEqual({ status: 'allocated' });
      const afterCancel = await handle.query(getOrderQuery);
      // Asking for more than is left, or an unknown line, is refused at once.
      await expect(cancel([{ lineId: 'L1', quantity: 2 }])).rejects.toMatchObject({ cause: { message: 'line L1 has only 1 units left to cancel' } });
      await expect(cancel([{ lineId: 'L9', quantity: 1 }])).rejects.toThrow(WorkflowUpdateFailedError);

      const [shipment] = afterCancel.shipments;
      await handle.executeUpdate(shipmentEventUpdate, { args: [{ shipmentId: shipment.shipmentId, type: 'shipped', occurredAt: now() }] });
      // What shipped can no longer be cancelled.
      await expect(cancel([{ lineId: 'L2', quantity: 1 }])).rejects.toMatchObject({ cause: { message: 'line L2 has only 0 units left to cancel (1 shipped)' } });
      await handle.executeUpdate(shipmentEventUpdate, { args: [{ shipmentId: shipment.shipmentId, type: 'delivered', occurredAt: now() }] });
      return { afterCancel, outcome: await handle.result() };
    });

    expect(afterCancel.lines).toMatchObject([
      { lineId: 'L1', quantity: 2, cancelledQuantity: 1 },
      { lineId: 'L2', quantity: 1 },
    ]);
    expect(afterCancel.shipments).toMatchObject([{ status: 'pending' }]);
    expect(afterCancel.shipments[0].lines).toEqual(expect.arrayContaining([{ sku: mug, quantity: 1 }, { sku: cap, quantity: 1 }]));
    expect(afterCancel.shipments[0].lines).toHaveLength(2);
    expect(afterCancel.payment).toMatchObject({ voided: 1000, captured: 0 });
    expect(outcome.status).toBe('delivered');
    // One unit of the mug went back to the shelf; one mug and the cap left it.
    expect(await readBalance(mug, 'wh-berlin')).toMatchObject({ onHand: 4, reserved: 0 });
    expect(await readBalance(cap, 'wh-berlin')).toMatchObject({ onHand: 4, reserved: 0 });
    expect(await sandbox(input.orderId, 'void')).toMatchObject([{ idempotencyKey: `order:${input.orderId}:cancel:1:void`, amount: 1000 }]);
    expect(await sandbox(input.orderId, 'capture')).toMatchObject([{ amount: 1500 }]);
    expect(await NotificationModel.find({ orderId: input.orderId, event: 'lines_cancelled' }).lean()).toMatchObject([
      { subject: `Part of your order ${input.externalId} was cancelled`, body: expect.stringContaining(`1 x ${mug}, 10.00 EUR`) },
    ]);
    const view = await findOrder(input.orderId);
    expect(view).toMatchObject({ status: 'delivered', payment: { status: 'captured', captured: 1500, voided: 1000 } });
    expect(view!.timeline.map((t) => t.type)).toContain('lines_cancelled');
  });

  it('lets a backordered order ship once the missing line is cancelled', async () => {
    const [inStock, missing] = [newSku(), newSku()];
    await setStock(inStock, 'wh-berlin', 3);
    await setStock(missing, 'wh-berlin', 0);
    const input = orderInput([
      { sku: inStock, quantity: 1, unitPrice: 2000 },
      { sku: missing, quantity: 2, unitPrice: 700 },
    ]);

    const state = await withWorker(async () => {
      const handle = await start(input);
      const backordered = await waitForStatus(handle, 'backordered');
      expect(backordered.shipments).toEqual([]);
      await handle.executeUpdate(cancelOrderUpdate, {
        args: [{ reason: 'out of stock too long', requestedBy: 'web', lines: [{ lineId: 'L2', quantity: 2 }] }],
      });
      return waitForStatus(handle, 'allocated');
    });

    expect(state.unallocated).toEqual([]);
    expect(state.shipments).toMatchObject([{ status: 'pending', warehouseId: 'wh-berlin', lines: [{ sku: inStock, quantity: 1 }] }]);
    expect(state.payment.voided).toBe(1400);
    expect(await sandbox(input.orderId, 'void')).toMatchObject([{ amount: 1400 }]);
    expect(await readBalance(inStock, 'wh-berlin')).toMatchObject({ reserved: 1 });
    expect(await NotificationModel.countDocuments({ orderId: input.orderId, event: 'order_confirmed' })).toBe(1);
  });

  it('cancels the lines of a split order that have not shipped, and the order ends when the rest is delivered', async () => {
    const [local, parisOnly] = [newSku(), newSku()];
    await setStock(local, 'wh-berlin', 2);
    await setStock(parisOnly, 'wh-paris', 2);
    const input = orderInput([
      { sku: local, quantity: 1, unitPrice: 1200 },
      { sku: parisOnly, quantity: 1, unitPrice: 800 },
    ]);

    const outcome = await withWorker(async () => {
      const handle = await start(input);
      const { shipments } = await waitForStatus(handle, 'allocated');
      const berlin = shipments.find((s) => s.warehouseId === 'wh-berlin')!;
      await handle.executeUpdate(shipmentEventUpdate, { args: [{ shipmentId: berlin.shipmentId, type: 'shipped', occurredAt: now() }] });
      // The whole order can no longer be cancelled, but the line that has not shipped can.
      await expect(handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'all of it', requestedBy: 'support' }] })).rejects.toMatchObject({
        cause: { message: expect.stringContaining('cancel the lines that have not shipped instead') },
      });
      await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'not needed', requestedBy: 'support', lines: [{ lineId: 'L2', quantity: 1 }] }] });
      expect((await handle.query(getOrderQuery)).status).toBe('shipped');
      await handle.executeUpdate(shipmentEventUpdate, { args: [{ shipmentId: berlin.shipmentId, type: 'delivered', occurredAt: now() }] });
      return handle.result();
    });

    expect(outcome.status).toBe('delivered');
    expect(await readBalance(parisOnly, 'wh-paris')).toMatchObject({ onHand: 2, reserved: 0 });
    expect((await ShipmentModel.find({ orderId: input.orderId }).lean()).map((s) => [s.warehouseId, s.status]).sort()).toEqual([
      ['wh-berlin', 'delivered'],
      ['wh-paris', 'cancelled'],
    ]);
    expect(await sandbox(input.orderId, 'capture')).toMatchObject([{ amount: 1200 }]);
    expect(await sandbox(input.orderId, 'void')).toMatchObject([{ amount: 800 }]);
  });
});

describe('changing the shipping address', () => {
  it('re-routes to the warehouse nearest the new address, reserving there before releasing the old stock', async () => {
    const sku = newSku();
    await setStock(sku, 'wh-berlin', 5);
    await setStock(sku, 'wh-paris', 5);
    const input = orderInput([{ sku, quantity: 2 }]);

    const { changed, state } = await withWorker(async () => {
      const handle = await start(input);
      const allocated = await waitForStatus(handle, 'allocated');
      expect(allocated.allocations).toEqual([{ sku, warehouseId: 'wh-berlin', quantity: 2 }]);
      const changed = await handle.executeUpdate(changeShippingAddressUpdate, { args: [{ address: PARIS_ADDRESS, requestedBy: 'support' }] });
      const state = await handle.query(getOrderQuery);
      const pending = state.shipments.find((s) => s.status === 'pending')!;
      await handle.executeUpdate(shipmentEventUpdate, { args: [{ shipmentId: pending.shipmentId, type: 'shipped', occurredAt: now() }] });
      // Once something has shipped, the address can no longer change.
      await expect(
        handle.executeUpdate(changeShippingAddressUpdate, { args: [{ address: BERLIN_ADDRESS, requestedBy: 'support' }] }),
      ).rejects.toMatchObject({ cause: { message: expect.stringContaining('has already left the warehouse') } });
      return { changed, state };
    });

    expect(changed).toEqual({ status: 'allocated', rerouted: true, warehouseIds: ['wh-paris'] });
    expect(state.shippingAddress).toMatchObject({ city: 'Paris' });
    expect(state.allocations).toEqual([{ sku, warehouseId: 'wh-paris', quantity: 2 }]);
    expect(state.shipments.map((s) => [s.warehouseId, s.status])).toEqual([
      ['wh-berlin', 'cancelled'],
      ['wh-paris', 'pending'],
    ]);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await readBalance(sku, 'wh-paris')).toMatchObject({ onHand: 3, reserved: 0 });
    expect((await ShipmentModel.find({ orderId: input.orderId }).lean()).map((s) => [s.warehouseId, s.status]).sort()).toEqual([
      ['wh-berlin', 'cancelled'],
      ['wh-paris', 'shipped'],
    ]);
    expect(state.timeline.find((t) => t.type === 'shipping_address_changed')!.message).toContain('re-routed to wh-paris');
    expect(await NotificationModel.find({ orderId: input.orderId, event: 'shipping_address_changed' }).lean()).toMatchObject([
      { recipient: input.customer.email, body: expect.stringContaining('Marianne Dupont, 1 Rue de Rivoli, 75001 Paris, FR') },
    ]);
  });

  it('keeps the warehouse when no other can serve the new address, and books the shipment anew', async () => {
    const sku = newSku();
    await setStock(sku, 'wh-berlin', 3);
    const input = orderInput([{ sku, quantity: 1 }]);

    const { changed, state } = await withWorker(async () => {
      const handle = await start(input);
      await waitForStatus(handle, 'allocated');
      const changed = await handle.executeUpdate(changeShippingAddressUpdate, { args: [{ address: PARIS_ADDRESS, requestedBy: 'web' }] });
      return { changed, state: await handle.query(getOrderQuery) };
    });

    expect(changed).toEqual({ status: 'allocated', rerouted: false, warehouseIds: ['wh-berlin'] });
    expect(state.shipments.map((s) => [s.warehouseId, s.status])).toEqual([
      ['wh-berlin', 'cancelled'],
      ['wh-berlin', 'pending'],
    ]);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 3, reserved: 1 });
  });
});

describe('the Temporal UI', () => {
  it('shows a one-line summary for each activity step', async () => {
    const sku = newSku();
    await setStock(sku, 'wh-berlin', 3);
    const input = orderInput([{ sku, quantity: 2, unitPrice: 1999 }]);

    const history = await withWorker(async () => {
      const handle = await start(input);
      await waitForStatus(handle, 'allocated');
      await expect.poll(() => NotificationModel.countDocuments({ orderId: input.orderId, event: 'order_confirmed' })).toBe(1);
      return handle.fetchHistory();
    });

    // Activities and local activities (markers) alike.
    const summaries = (history.events ?? [])
      .filter((event) => event.activityTaskScheduledEventAttributes || event.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map((event) => {
        const data = event.userMetadata?.summary?.data;
        return data ? (JSON.parse(Buffer.from(data).toString()) as string) : undefined;
      });
    expect(summaries).not.toContain(undefined);
    expect(summaries).toEqual(
      expect.arrayContaining([
        'Authorize 39.98 EUR',
        `Route and reserve 2 x ${sku} (round 1)`,
        `Book shipment from wh-berlin: 2 x ${sku}`,
        `Email ${input.customer.email}: order_confirmed`,
      ]),
    );
  });
});
