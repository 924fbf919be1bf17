/** Activities are retried by Temporal: running one twice with the same input must act once. */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities, type OrderActivities } from '../../activities/index.js';
import { restockWorkflowId } from '../../contracts/ids.js';
import type { NotificationRequest } from '../../domain/notifications.js';
import { type OrderState } from '../../domain/order.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { findOrder } from '../../persistence/orders.js';
import { PaymentModel } from '../../persistence/payments.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';
import { ShipmentModel } from '../../persistence/shipments.js';
import { recordReservationRoundOnce } from '../../persistence/reservation-rounds.js';
import { orderKeys } from '../../contracts/keys.js';
import { ensureLocation, readBalance } from '../../persistence/stock-ledger.js';
import { StockMovementModel } from '../../persistence/stock-models.js';
import { PaymentProviderUnavailable } from '../../services/payment-provider.js';
import { sandboxDependencies } from '../../worker/create-worker.js';
import { BERLIN_ADDRESS, orderInput, PLACES, seedWarehouse, setStock, TEST_INVENTORY, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { testSmtpUrl } from '../support/mail.js';

/** No worker polls this queue: releaseStock's restock signal-with-start just leaves a dispatcher waiting there. */
const taskQueue = `activities-idempotency-${randomUUID()}`;

let activities: OrderActivities;
let connection: Connection;
let temporal: Client;
let close: () => Promise<void>;
const restockSkus = new Set<string>();

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection });
  activities = createActivities(sandboxDependencies({ temporal, taskQueue, inventory: TEST_INVENTORY, smtpUrl: testSmtpUrl() }));
  ({ close } = await useTestDatabase('activities_idempotency'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
});
afterAll(async () => {
  // Tidy up the restock dispatchers releases started on the unpolled queue.
  await Promise.all(
    [...restockSkus].map((sku) => temporal?.workflow.getHandle(restockWorkflowId(sku)).terminate('test done').catch(() => undefined)),
  );
  await close?.();
  await connection?.close();
});

const EUR = (amount: number) => ({ amount, currency: 'EUR' });

async function stockedSku(onHand: number, warehouseId = 'wh-berlin'): Promise<string> {
  const sku = uniqueId('SKU');
  await setStock(sku, warehouseId, onHand);
  restockSkus.add(sku);
  return sku;
}

const at = (sku: string, quantity: number, warehouseId = 'wh-berlin') => ({ sku, warehouseId, quantity });

async function restockSignals(sku: string): Promise<number> {
  const history = await temporal.workflow.getHandle(restockWorkflowId(sku)).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'stockReplenished').length;
}

const ledgerEntries = (orderId: string, operation: string) =>
  SandboxPaymentModel.countDocuments({ idempotencyKey: `order:${orderId}:${operation}`, operation });

describe('stock activities', () => {
  it('reserves once when reserveStock runs twice with the same order and round, reporting the same result', async () => {
    const sku = await stockedSku(10);
    const input = { orderId: uniqueId('ord'), round: 1, allocations: [at(sku, 3)] };
    const first = await activities.reserveStock(input);
    const second = await activities.reserveStock(input);
    expect(first).toEqual({ reserved: [at(sku, 3)], short: [] });
    expect(second).toEqual(first);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 3 });
    expect(await StockMovementModel.countDocuments({ orderId: input.orderId })).toBe(1);
  });

  it('reserves once when reserveStock runs concurrently with the same order and round', async () => {
    const sku = await stockedSku(10);
    const input = { orderId: uniqueId('ord'), round: 1, allocations: [at(sku, 2)] };
    const results = await Promise.all(Array.from({ length: 6 }, () => activities.reserveStock(input)));
    for (const result of results) expect(result).toEqual({ reserved: [at(sku, 2)], short: [] });
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 2 });
  });

  it('reserves again for another round of the same order, so re-routing rounds never collide', async () => {
    const sku = await stockedSku(10);
    const orderId = uniqueId('ord');
    await activities.reserveStock({ orderId, round: 1, allocations: [at(sku, 3)] });
    expect(await activities.reserveStock({ orderId, round: 2, allocations: [at(sku, 3)] })).toEqual({ reserved: [at(sku, 3)], short: [] });
    await activities.reserveStock({ orderId, round: 2, allocations: [at(sku, 3)] }); // a retry of round 2
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 6 });
    expect(await StockMovementModel.countDocuments({ orderId, kind: 'reserve' })).toBe(2);
    // The release gives back what every round reserved, once.
    expect(await activities.releaseStock({ orderId, reason: 'test' })).toEqual([at(sku, 6)]);
    expect(await activities.releaseStock({ orderId, reason: 'test' })).toEqual([]);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it('reserveRound run again after its own reservation took the last unit: the same round, nothing held elsewhere', async () => {
    const sku = await stockedSku(1, 'wh-berlin');
    await setStock(sku, 'wh-paris', 1);
    const input = { orderId: uniqueId('ord'), round: 1, wanted: [{ sku, quantity: 1 }], destination: BERLIN_ADDRESS };
    const first = await activities.reserveRound(input);
    expect(first).toEqual({ reserved: [at(sku, 1)], short: [], unallocated: [] });
    // Routed again now, Berlin has nothing left and Paris would be chosen.
    expect(await activities.reserveRound(input)).toEqual(first);
    await setStock(sku, 'wh-paris', 0);
    expect(await activities.reserveRound(input)).toEqual(first); // with nothing routable at all
    expect(await StockMovementModel.countDocuments({ orderId: input.orderId, kind: 'reserve' })).toBe(1);
    expect(await readBalance(sku, 'wh-paris')).toMatchObject({ reserved: 0 });
  });

  it('reserveRound run again reports an allocation the ledger refused as short, even once the stock is back', async () => {
    const sku = await stockedSku(1);
    const orderId = uniqueId('ord');
    // Routed on a stale read: Berlin seemed to hold 2.
    await recordReservationRoundOnce(orderKeys(orderId).reservationRound(1), orderId, { allocations: [at(sku, 2)], unallocated: [] });
    const input = { orderId, round: 1, wanted: [{ sku, quantity: 2 }], destination: BERLIN_ADDRESS };
    expect(await activities.reserveRound(input)).toEqual({ reserved: [], short: [at(sku, 2)], unallocated: [] });
    await setStock(sku, 'wh-berlin', 5);
    expect(await activities.reserveRound(input)).toEqual({ reserved: [], short: [at(sku, 2)], unallocated: [] });
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ reserved: 0 });
  });

  it('releases once when releaseStock runs twice, and reports nothing released the second time', async () => {
    const sku = await stockedSku(10);
    const orderId = uniqueId('ord');
    await activities.reserveStock({ orderId, round: 1, allocations: [at(sku, 4)] });
    expect(await activities.releaseStock({ orderId, reason: 'test' })).toEqual([at(sku, 4)]);
    expect(await activities.releaseStock({ orderId, reason: 'test' })).toEqual([]);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await StockMovementModel.countDocuments({ orderId, kind: 'release' })).toBe(1);
    // Stock went up once: the SKU's restock dispatcher was started (on our unpolled queue) with one signal.
    const dispatcher = temporal.workflow.getHandle(restockWorkflowId(sku));
    expect(await dispatcher.describe()).toMatchObject({ taskQueue, status: { name: 'RUNNING' } });
    expect(await restockSignals(sku)).toBe(1);
  });

  it('releases nothing for an order that holds nothing', async () => {
    expect(await activities.releaseStock({ orderId: uniqueId('ord'), reason: 'test' })).toEqual([]);
  });

  it('reports an allocation it cannot reserve as short, reserves the others, and releaseStock undoes them', async () => {
    const [plenty, scarce] = [await stockedSku(10), await stockedSku(2)];
    const orderId = uniqueId('ord');
    const allocations = [at(plenty, 1), at(scarce, 3)];
    expect(await activities.reserveStock({ orderId, round: 1, allocations })).toEqual({ reserved: [at(plenty, 1)], short: [at(scarce, 3)] });
    expect(await readBalance(scarce, 'wh-berlin')).toMatchObject({ onHand: 2, reserved: 0 });
    expect(await readBalance(plenty, 'wh-berlin')).toMatchObject({ reserved: 1 });
    expect(await activities.releaseStock({ orderId, reason: 'test' })).toEqual([at(plenty, 1)]);
    expect(await readBalance(plenty, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await readBalance(scarce, 'wh-berlin')).toMatchObject({ onHand: 2, reserved: 0 });
  });

  it('reports as short an allocation whose stock another order took, keeping the other order\'s reservation', async () => {
    const [contested, other] = [await stockedSku(5), await stockedSku(5, 'wh-paris')];
    const [first, second] = [uniqueId('ord'), uniqueId('ord')];
    // Both orders were routed on the same snapshot (5 available); the first reserves it all.
    expect(await activities.reserveStock({ orderId: first, round: 1, allocations: [at(contested, 5)] })).toEqual({ reserved: [at(contested, 5)], short: [] });
    const result = await activities.reserveStock({ orderId: second, round: 1, allocations: [at(contested, 3), at(other, 1, 'wh-paris')] });
    expect(result).toEqual({ reserved: [at(other, 1, 'wh-paris')], short: [at(contested, 3)] });
    expect(await readBalance(contested, 'wh-berlin')).toMatchObject({ onHand: 5, reserved: 5 });
    // The second order routes again in its next round; once the first order lets go, the stock is there.
    await activities.releaseStock({ orderId: first, reason: 'cancelled' });
    expect(await activities.reserveStock({ orderId: second, round: 2, allocations: [at(contested, 3)] })).toEqual({ reserved: [at(contested, 3)], short: [] });
    expect(await readBalance(contested, 'wh-berlin')).toMatchObject({ onHand: 5, reserved: 3 });
  });

  it('splits concurrent orders into reserved and short without overselling', async () => {
    const sku = await stockedSku(10);
    const orders = Array.from({ length: 8 }, () => uniqueId('ord'));
    const results = await Promise.all(orders.map((orderId) => activities.reserveStock({ orderId, round: 1, allocations: [at(sku, 3)] })));
    expect(results.filter((r) => r.reserved.length === 1)).toHaveLength(3);
    expect(results.filter((r) => r.short.length === 1)).toHaveLength(5);
    for (const r of results) expect(r.reserved.length + r.short.length).toBe(1);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 9, available: 1 });
  });

  it('reports as short what only safety stock could cover', async () => {
    const sku = uniqueId('SKU');
    await ensureLocation(sku, 'wh-berlin', { safetyStock: 2 });
    await setStock(sku, 'wh-berlin', 5);
    restockSkus.add(sku);
    const orderId = uniqueId('ord');
    expect(await activities.reserveStock({ orderId, round: 1, allocations: [at(sku, 4)] })).toEqual({ reserved: [], short: [at(sku, 4)] });
    expect(await activities.reserveStock({ orderId, round: 2, allocations: [at(sku, 3)] })).toEqual({ reserved: [at(sku, 3)], short: [] });
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 5, reserved: 3, safetyStock: 2, available: 0 });
  });

  it('loads availability net of reservations and safety stock, per active warehouse', async () => {
    const sku = uniqueId('SKU');
    await ensureLocation(sku, 'wh-paris', { safetyStock: 1 });
    await setStock(sku, 'wh-paris', 6);
    await setStock(sku, 'wh-berlin', 4);
    restockSkus.add(sku);
    await activities.reserveStock({ orderId: uniqueId('ord'), round: 1, allocations: [at(sku, 1, 'wh-berlin'), at(sku, 2, 'wh-paris')] });
    const stock = await activities.loadStock({ skus: [sku] });
    expect(stock.map((w) => ({ warehouseId: w.warehouseId, available: w.available })).sort((a, b) => a.warehouseId.localeCompare(b.warehouseId))).toEqual([
      { warehouseId: 'wh-berlin', available: { [sku]: 3 } },
      { warehouseId: 'wh-paris', available: { [sku]: 3 } },
    ]);
  });
});

describe('payment activities', () => {
  it('authorizes once when authorizePayment runs twice, returning the same authorization', async () => {
    const orderId = uniqueId('ord');
    const input = { orderId, amount: EUR(2500), token: 'tok_ok' };
    const first = await activities.authorizePayment(input);
    const second = await activities.authorizePayment(input);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ amount: 2500, reviewRequested: false, authorizationId: expect.stringMatching(/^auth_/) });
    expect(await ledgerEntries(orderId, 'authorize')).toBe(1);
    expect(await PaymentModel.find({ orderId, operation: 'authorize' }).lean()).toMatchObject([
      { outcome: 'approved', amount: 2500, currency: 'EUR', authorizationId: first.authorizationId },
    ]);
  });

  it('fails a declined card with a non-retryable PaymentDeclined', async () => {
    const orderId = uniqueId('ord');
    const error = await activities.authorizePayment({ orderId, amount: EUR(100), token: 'tok_decline' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'PaymentDeclined', nonRetryable: true });
    expect(await PaymentModel.find({ orderId }).lean()).toMatchObject([{ outcome: 'declined', declineReason: 'card_declined' }]);
  });

  it('fails transiently twice for tok_flaky and approves on the third call', async () => {
    const orderId = uniqueId('ord');
    const input = { orderId, amount: EUR(700), token: 'tok_flaky' };
    for (let attempt = 1; attempt <= 2; attempt++) {
      const error = await activities.authorizePayment(input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PaymentProviderUnavailable);
      expect(error).not.toBeInstanceOf(ApplicationFailure);
    }
    expect(await ledgerEntries(orderId, 'authorize')).toBe(0);
    await expect(activities.authorizePayment(input)).resolves.toMatchObject({ authorizationId: expect.stringMatching(/^auth_/) });
    expect(await ledgerEntries(orderId, 'authorize')).toBe(1);
  });

  it('voids once when voidAuthorization runs twice', async () => {
    const orderId = uniqueId('ord');
    const { authorizationId } = await activities.authorizePayment({ orderId, amount: EUR(900), token: 'tok_ok' });
    expect(await activities.voidAuthorization({ orderId })).toEqual({ voided: true });
    expect(await activities.voidAuthorization({ orderId })).toEqual({ voided: true });
    expect(await ledgerEntries(orderId, 'void')).toBe(1);
    expect(await PaymentModel.find({ orderId, operation: 'void' }).lean()).toMatchObject([{ outcome: 'approved', authorizationId }]);
  });

  it('voids nothing when there was no authorization, or only a declined one', async () => {
    const orderId = uniqueId('ord');
    expect(await activities.voidAuthorization({ orderId })).toEqual({ voided: false });
    await activities.authorizePayment({ orderId, amount: EUR(100), token: 'tok_decline' }).catch(() => undefined);
    expect(await activities.voidAuthorization({ orderId })).toEqual({ voided: false });
    expect(await ledgerEntries(orderId, 'void')).toBe(0);
    expect(await PaymentModel.countDocuments({ orderId, operation: 'void' })).toBe(0);
  });
});

describe('notification, shipment and order view activities', () => {
  it('records one notification when notifyCustomer runs twice', async () => {
    const orderId = uniqueId('ord');
    const request: NotificationRequest = {
      orderId,
      event: 'order_confirmed',
      recipient: { email: 'erika@example.com', name: 'Erika' },
      externalId: `ext-${orderId}`,
      total: EUR(2500),
    };
    await activities.notifyCustomer(request);
    await activities.notifyCustomer(request);
    expect(await NotificationModel.find({ orderId }).lean()).toMatchObject([{ event: 'order_confirmed', recipient: 'erika@example.com' }]);
  });

  it('returns the same shipment and tracking number when createShipment runs twice', async () => {
    const orderId = uniqueId('ord');
    const input = {
      orderId,
      shipmentId: uniqueId('shp'),
      shipmentKey: `order:${orderId}:shipment:1:wh-berlin`,
      warehouseId: 'wh-berlin',
      lines: [{ sku: 'A', quantity: 1 }],
      shippingAddress: BERLIN_ADDRESS,
    };
    const first = await activities.createShipment(input);
    // A retry mints a fresh shipment id in a new attempt; the key still finds the first shipment.
    const second = await activities.createShipment({ ...input, shipmentId: uniqueId('shp') });
    expect(second).toEqual(first);
    expect(first).toMatchObject({ shipmentId: input.shipmentId, status: 'pending', carrier: 'sandbox-ground', trackingNumber: expect.stringMatching(/^SBX\d{12}$/) });
    expect(await ShipmentModel.countDocuments({ orderId })).toBe(1);
  });

  it('records a shipment event once, and ships its stock once, when recordShipmentEvent runs twice', async () => {
    const sku = await stockedSku(10);
    const orderId = uniqueId('ord');
    await activities.reserveStock({ orderId, round: 1, allocations: [at(sku, 2)] });
    const { shipmentId } = await activities.createShipment({
      orderId,
      shipmentId: uniqueId('shp'),
      shipmentKey: `order:${orderId}:shipment:1:wh-berlin`,
      warehouseId: 'wh-berlin',
      lines: [{ sku, quantity: 2 }],
      shippingAddress: BERLIN_ADDRESS,
    });
    const shipped = { orderId, shipmentId, type: 'shipped' as const, occurredAt: new Date().toISOString() };
    await activities.recordShipmentEvent(shipped);
    await activities.recordShipmentEvent(shipped);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 8, reserved: 0 });
    expect(await StockMovementModel.countDocuments({ orderId, kind: 'ship' })).toBe(1);
    expect(await ShipmentModel.findById(shipmentId).lean()).toMatchObject({ status: 'shipped', events: [{ type: 'shipped' }] });

    // Stopped after recording the event, before the ledger: the retry still ships the stock.
    const { shipmentId: second } = await activities.createShipment({
      orderId,
      shipmentId: uniqueId('shp'),
      shipmentKey: `order:${orderId}:shipment:2:wh-berlin`,
      warehouseId: 'wh-berlin',
      lines: [{ sku, quantity: 1 }],
      shippingAddress: BERLIN_ADDRESS,
    });
    await activities.reserveStock({ orderId, round: 2, allocations: [at(sku, 1)] });
    await ShipmentModel.updateOne({ _id: second }, { $set: { status: 'shipped' }, $push: { events: { type: 'shipped', at: new Date() } } });
    await activities.recordShipmentEvent({ ...shipped, shipmentId: second });
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 7, reserved: 0 });
    expect(await ShipmentModel.findById(second).lean()).toMatchObject({ status: 'shipped', events: [{ type: 'shipped' }] });

    await activities.recordShipmentEvent({ ...shipped, type: 'delivered' });
    await activities.recordShipmentEvent({ ...shipped, type: 'delivered' });
    expect(await ShipmentModel.findById(shipmentId).lean()).toMatchObject({ status: 'delivered', events: [{ type: 'shipped' }, { type: 'delivered' }] });
  });

  it('creates a separate shipment for the same warehouse in another round', async () => {
    const orderId = uniqueId('ord');
    const input = (round: number) => ({
      orderId,
      shipmentId: uniqueId('shp'),
      shipmentKey: `order:${orderId}:shipment:${round}:wh-berlin`,
      warehouseId: 'wh-berlin',
      lines: [{ sku: 'A', quantity: round }],
      shippingAddress: BERLIN_ADDRESS,
    });
    const [first, second] = [await activities.createShipment(input(1)), await activities.createShipment(input(2))];
    expect(second.shipmentId).not.toBe(first.shipmentId);
    expect(second.lines).toEqual([{ sku: 'A', quantity: 2 }]);
    expect(await ShipmentModel.countDocuments({ orderId })).toBe(2);
  });

  it('keeps the newer order view when saveOrderView gets an older revision after it', async () => {
    const state = orderState();
    await activities.saveOrderView({ ...state, status: 'allocated', revision: 3 });
    await activities.saveOrderView({ ...state, status: 'received', revision: 2 });
    await activities.saveOrderView({ ...state, status: 'cancelled', revision: 3 });
    expect(await findOrder(state.orderId)).toMatchObject({ status: 'allocated', revision: 3 });
    await activities.saveOrderView({ ...state, status: 'shipped', revision: 4 });
    expect(await findOrder(state.orderId)).toMatchObject({ status: 'shipped', revision: 4 });
  });
});

function orderState(): OrderState {
  const { receivedAt, paymentToken: _token, ...input } = orderInput([{ sku: 'A', quantity: 1 }]);
  return {
    ...input,
    status: 'received',
    payment: { status: 'pending', authorized: 0, captured: 0, refunded: 0, voided: 0, reauthorizations: 0 },
    flaggedForReview: false,
    allocations: [],
    unallocated: [],
    waitingSkus: [],
    shipments: [],
    returns: [],
    timeline: [],
    createdAt: receivedAt,
    updatedAt: receivedAt,
    revision: 1,
  };
}
