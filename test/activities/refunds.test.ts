/** The refund and restock activities of returns on the real FerretDB: each acts once, and a refund never exceeds what was captured. */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities, type OrderActivities } from '../../activities/index.js';
import { restockWorkflowId } from '../../contracts/ids.js';
import { FailureType } from '../../domain/failures.js';
import { PaymentModel } from '../../persistence/payments.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import { StockMovementModel } from '../../persistence/stock-models.js';
import { sandboxDependencies } from '../../worker/create-worker.js';
import { PLACES, seedWarehouse, setStock, TEST_INVENTORY, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { testSmtpUrl } from '../support/mail.js';

/** No worker polls this queue: a restock's signal-with-start just leaves a dispatcher waiting there. */
const taskQueue = `activities-refunds-${randomUUID()}`;
const EUR = (amount: number) => ({ amount, currency: 'EUR' });

let activities: OrderActivities;
let connection: Connection;
let temporal: Client;
let close: () => Promise<void>;
const restockedSkus: string[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection });
  activities = createActivities(sandboxDependencies({ temporal, taskQueue, inventory: TEST_INVENTORY, smtpUrl: testSmtpUrl() }));
  ({ close } = await useTestDatabase('activities_refunds'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
});

afterAll(async () => {
  await Promise.all(restockedSkus.map((sku) => temporal?.workflow.getHandle(restockWorkflowId(sku)).terminate('test done').catch(() => undefined)));
  await close?.();
  await connection?.close();
});

/** An order authorized for 5000 with 3000 of it captured. */
async function capturedOrder() {
  const orderId = uniqueId('ord');
  const { authorizationId } = await activities.authorizePayment({ orderId, amount: EUR(5000), token: 'tok_ok' });
  await activities.capturePayment({ orderId, shipmentId: 'shp-1', authorizationId, amount: EUR(3000) });
  return { orderId, authorizationId };
}

const providerRefunds = (orderId: string) => SandboxPaymentModel.find({ operation: 'refund', idempotencyKey: new RegExp(`^order:${orderId}:`) }).lean();

describe('refundPayment', () => {
  it('refunds once per return however often it runs, against the authorization the captures went to', async () => {
    const { orderId, authorizationId } = await capturedOrder();
    const input = { orderId, returnId: `${orderId}-1`, amount: EUR(1200) };
    expect(await activities.refundPayment(input)).toEqual({ refunded: 1200 });
    expect(await activities.refundPayment(input)).toEqual({ refunded: 1200 });
    expect(await providerRefunds(orderId)).toMatchObject([{ idempotencyKey: `order:${orderId}:refund:${orderId}-1`, amount: 1200, authorizationId }]);
    expect(await PaymentModel.countDocuments({ orderId, operation: 'refund' })).toBe(1);
  });

  it('never refunds more than was captured and not yet refunded, and refuses when nothing is left', async () => {
    const { orderId } = await capturedOrder();
    expect(await activities.refundPayment({ orderId, returnId: `${orderId}-1`, amount: EUR(2000) })).toEqual({ refunded: 2000 });
    expect(await activities.refundPayment({ orderId, returnId: `${orderId}-2`, amount: EUR(2000) })).toEqual({ refunded: 1000 });
    const refused = activities.refundPayment({ orderId, returnId: `${orderId}-3`, amount: EUR(1) });
    await expect(refused).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(refused).rejects.toMatchObject({ type: FailureType.RefundRefused, nonRetryable: true });
    expect((await providerRefunds(orderId)).map((r) => r.amount)).toEqual([2000, 1000]);
  });

  it('refuses to refund an order that captured nothing', async () => {
    const orderId = uniqueId('ord');
    await activities.authorizePayment({ orderId, amount: EUR(5000), token: 'tok_ok' });
    await expect(activities.refundPayment({ orderId, returnId: `${orderId}-1`, amount: EUR(100) })).rejects.toMatchObject({ type: FailureType.RefundRefused });
    expect(await providerRefunds(orderId)).toEqual([]);
  });
});

describe('restockReturn', () => {
  it('puts the units back on hand once per return however often it runs', async () => {
    const sku = uniqueId('SKU');
    restockedSkus.push(sku);
    await setStock(sku, 'wh-berlin', 4);
    const input = { orderId: uniqueId('ord'), returnId: uniqueId('ret'), warehouseId: 'wh-berlin', lines: [{ sku, quantity: 3 }] };
    await activities.restockReturn(input);
    await activities.restockReturn(input);
    expect(await readBalance(sku, 'wh-berlin')).toMatchObject({ onHand: 7, reserved: 0 });
    expect(await StockMovementModel.find({ sku, kind: 'restock' }).lean()).toMatchObject([
      { key: `return:${input.returnId}:restock:${sku}:wh-berlin`, onHandDelta: 3, orderId: input.orderId },
    ]);
  });
});
