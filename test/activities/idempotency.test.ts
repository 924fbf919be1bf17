/** Activities are retried by Temporal: running one twice with the same input must act once. */
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationRequest } from '../../domain/notifications.js';
import type { OrderState } from '../../domain/order.js';
import { createActivities } from '../../activities/index.js';
import { PaymentProviderUnavailable } from '../../activities/payment-provider.js';
import { SandboxCarrier } from '../../activities/sandbox-carrier.js';
import { SandboxPaymentProvider } from '../../activities/sandbox-payment-provider.js';
import { NotificationModel, OrderModel, PaymentModel, SandboxPaymentModel, ShipmentModel } from '../../persistence/models.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import { BERLIN_ADDRESS, orderInput, PLACES, seedWarehouse, setStock, uniqueId, useTestDatabase } from '../support/fixtures.js';

const activities = createActivities({ payments: new SandboxPaymentProvider(), carrier: new SandboxCarrier() });

let close: () => Promise<void>;
beforeAll(async () => {
  ({ close } = await useTestDatabase('activities_idempotency'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
});
afterAll(() => close?.());

const EUR = (amount: number) => ({ amount, currency: 'EUR' });

async function stockedSku(onHand: number): Promise<string> {
  const sku = uniqueId('SKU');
  await setStock(sku, 'wh-berlin', onHand);
  return sku;
}

const ledgerEntries = (orderId: string, operation: string) =>
  SandboxPaymentModel.countDocuments({ idempotencyKey: `order:${orderId}:${operation}`, operation });

describe('stock activities', () => {
  it('reserves once when reserveStock runs twice', async () => {
    const sku = await stockedSku(10);
    const input = { orderId: uniqueId('ord'), allocations: [{ sku, warehouseId: 'wh-berlin', quantity: 3 }] };
    await activities.reserveStock(input);
    await activities.reserveStock(input);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 3 });
  });

  it('releases once when releaseStock runs twice, and reports nothing released the second time', async () => {
    const sku = await stockedSku(10);
    const orderId = uniqueId('ord');
    await activities.reserveStock({ orderId, allocations: [{ sku, warehouseId: 'wh-berlin', quantity: 4 }] });
    expect(await activities.releaseStock({ orderId, reason: 'test' })).toEqual([{ sku, warehouseId: 'wh-berlin', quantity: 4 }]);
    expect(await activities.releaseStock({ orderId, reason: 'test' })).toEqual([]);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it('fails reserveStock with a non-retryable InsufficientStock, leaving earlier lines for releaseStock to undo', async () => {
    const [plenty, scarce] = [await stockedSku(10), await stockedSku(2)];
    const orderId = uniqueId('ord');
    const allocations = [{ sku: plenty, warehouseId: 'wh-berlin', quantity: 1 }, { sku: scarce, warehouseId: 'wh-berlin', quantity: 3 }];
    await expect(activities.reserveStock({ orderId, allocations })).rejects.toMatchObject({ type: 'InsufficientStock', nonRetryable: true });
    expect(await readBalance(scarce, 'wh-berlin')).toMatchObject({ onHand: 2, reserved: 0 });
    expect(await readBalance(plenty, 'wh-berlin')).toMatchObject({ reserved: 1 });
    await activities.releaseStock({ orderId, reason: 'test' });
    expect(await readBalance(plenty, 'wh-berlin')).toMatchObject({ onHand: 10, reserved: 0 });
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
    const input = { orderId, shipmentId: uniqueId('shp'), warehouseId: 'wh-berlin', lines: [{ sku: 'A', quantity: 1 }], shippingAddress: BERLIN_ADDRESS };
    const first = await activities.createShipment(input);
    const second = await activities.createShipment(input);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ shipmentId: input.shipmentId, status: 'pending', carrier: 'sandbox-ground', trackingNumber: expect.stringMatching(/^SBX\d{12}$/) });
    expect(await ShipmentModel.countDocuments({ orderId })).toBe(1);
  });

  it('keeps the newer order view when saveOrderView gets an older revision after it', async () => {
    const state = orderState();
    await activities.saveOrderView({ ...state, status: 'allocated', revision: 3 });
    await activities.saveOrderView({ ...state, status: 'received', revision: 2 });
    await activities.saveOrderView({ ...state, status: 'cancelled', revision: 3 });
    expect(await OrderModel.findById(state.orderId).lean()).toMatchObject({ status: 'allocated', revision: 3 });
    await activities.saveOrderView({ ...state, status: 'shipped', revision: 4 });
    expect(await OrderModel.findById(state.orderId).lean()).toMatchObject({ status: 'shipped', revision: 4 });
  });
});

function orderState(): OrderState {
  const { receivedAt, paymentToken: _token, ...input } = orderInput([{ sku: 'A', quantity: 1 }]);
  return {
    ...input,
    status: 'received',
    payment: { status: 'pending', authorized: 0, captured: 0, refunded: 0 },
    flaggedForReview: false,
    allocations: [],
    shipments: [],
    timeline: [],
    createdAt: receivedAt,
    updatedAt: receivedAt,
    revision: 1,
  };
}
