/** Low-stock alerts on the suite's FerretDB: one open alert per SKU and episode, however many evaluations race. */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { restockWorkflowId } from '../../contracts/ids.js';
import { MigrationModel, runMigrations } from '../../persistence/migrations.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { evaluateLowStock, skuAvailability } from '../../persistence/stock-alerts.js';
import { appendReservation, ensureLocation } from '../../persistence/stock-ledger.js';
import { SkuSettingModel, StockAlertModel } from '../../persistence/stock-models.js';
import { createStockEffects, type StockEffects } from '../../services/stock-effects.js';
import { setStock, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { testMailer } from '../support/mail.js';

const THRESHOLD = 5;
const OPS = 'ops@example.com';
/** No worker polls this queue: effects' restock signal-with-start just leaves a dispatcher waiting there. */
const taskQueue = `activities-stock-alerts-${randomUUID()}`;

let connection: Connection;
let temporal: Client;
let effects: StockEffects;
let close: () => Promise<void>;
const restockSkus = new Set<string>();

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection });
  effects = createStockEffects({ temporal, taskQueue, lowStockThreshold: THRESHOLD, operationsEmail: OPS, mailer: testMailer() });
  ({ close } = await useTestDatabase('activities_stock_alerts'));
});
afterAll(async () => {
  await Promise.all(
    [...restockSkus].map((sku) => temporal?.workflow.getHandle(restockWorkflowId(sku)).terminate('test done').catch(() => undefined)),
  );
  await close?.();
  await connection?.close();
});

async function skuWithStock(onHand: number, warehouseId = 'wh-1'): Promise<string> {
  const sku = uniqueId('SKU');
  await setStock(sku, warehouseId, onHand);
  return sku;
}

const alertsOf = (sku: string) => StockAlertModel.find({ sku }).sort({ openedAt: 1 }).lean();
const openAlert = (sku: string) => StockAlertModel.findOne({ openKey: sku }).lean();
const evaluateConcurrently = (sku: string, times: number, threshold = THRESHOLD) =>
  Promise.all(Array.from({ length: times }, () => evaluateLowStock(sku, threshold)));

describe('evaluateLowStock', () => {
  it('opens exactly one alert when 20 evaluations below the threshold run at once', async () => {
    const sku = await skuWithStock(3);
    const results = await evaluateConcurrently(sku, 20);
    const opened = results.filter((r) => r.change === 'opened');
    expect(opened).toHaveLength(1);
    expect(results.filter((r) => r.change === 'none')).toHaveLength(19);
    for (const r of results) expect(r).toMatchObject({ sku, available: 3, threshold: THRESHOLD });
    const alerts = await alertsOf(sku);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ sku, openKey: sku, threshold: THRESHOLD, availableAtOpen: 3 });
    expect(String(alerts[0]!._id)).toBe(opened[0]!.alertId);
    expect(alerts[0]!.closedAt).toBeUndefined();
  });

  it('opens at the threshold itself, not above it', async () => {
    const [at, above] = [await skuWithStock(THRESHOLD), await skuWithStock(THRESHOLD + 1)];
    expect(await evaluateLowStock(at, THRESHOLD)).toMatchObject({ change: 'opened', available: THRESHOLD });
    expect(await evaluateLowStock(above, THRESHOLD)).toEqual({ sku: above, change: 'none', available: THRESHOLD + 1, threshold: THRESHOLD });
    expect(await alertsOf(above)).toEqual([]);
  });

  it('keeps one alert open while stock stays low, closes it when availability rises above the threshold, and opens a new one for the next episode', async () => {
    const sku = await skuWithStock(2);
    const first = await evaluateLowStock(sku, THRESHOLD);
    expect(first.change).toBe('opened');
    // Still low (even lower): nothing new.
    await setStock(sku, 'wh-1', 1);
    expect(await evaluateLowStock(sku, THRESHOLD)).toMatchObject({ change: 'none', available: 1 });

    await setStock(sku, 'wh-1', 12);
    expect(await evaluateLowStock(sku, THRESHOLD)).toEqual({ sku, change: 'closed', alertId: first.alertId, available: 12, threshold: THRESHOLD });
    expect(await openAlert(sku)).toBeNull();
    expect((await alertsOf(sku))[0]).toMatchObject({ openKey: `closed:${first.alertId}`, availableAtClose: 12, closedAt: expect.any(Date) });
    expect(await evaluateLowStock(sku, THRESHOLD)).toMatchObject({ change: 'none' });

    // Reservations eat the availability again: a new episode, a new alert.
    await appendReservation({ sku, warehouseId: 'wh-1', quantity: 8, key: `test:${randomUUID()}`, actor: 'test' });
    const results = await evaluateConcurrently(sku, 20);
    const reopened = results.filter((r) => r.change === 'opened');
    expect(reopened).toHaveLength(1);
    expect(reopened[0]).toMatchObject({ available: 4 });
    expect(reopened[0]!.alertId).not.toBe(first.alertId);
    const alerts = await alertsOf(sku);
    expect(alerts.map((a) => a.openKey)).toEqual([`closed:${first.alertId}`, sku]);
    expect(alerts[1]).toMatchObject({ availableAtOpen: 4 });
  });

  it('ends with the alert closed when many evaluations above the threshold race', async () => {
    const sku = await skuWithStock(1);
    const { alertId } = await evaluateLowStock(sku, THRESHOLD);
    await setStock(sku, 'wh-1', 30);
    const results = await evaluateConcurrently(sku, 20);
    expect(results.filter((r) => r.change === 'opened')).toEqual([]);
    expect(results.filter((r) => r.change === 'closed').length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((r) => r.change === 'closed')) expect(r.alertId).toBe(alertId);
    expect(await alertsOf(sku)).toMatchObject([{ openKey: `closed:${alertId}`, availableAtClose: 30 }]);
  });

  it('counts availability across warehouses, net of reservations and safety stock', async () => {
    const sku = uniqueId('SKU');
    await ensureLocation(sku, 'wh-1', { safetyStock: 2 });
    await setStock(sku, 'wh-1', 4); // 2 available
    await setStock(sku, 'wh-2', 6);
    await appendReservation({ sku, warehouseId: 'wh-2', quantity: 2, key: `test:${randomUUID()}`, actor: 'test' }); // 4 available
    await ensureLocation(sku, 'wh-3', { safetyStock: 5 });
    await setStock(sku, 'wh-3', 3); // safety stock above on hand: 0 available, never negative
    expect(await skuAvailability(sku)).toBe(6);
    expect(await evaluateLowStock(sku, THRESHOLD)).toMatchObject({ change: 'none', available: 6 });
    expect(await evaluateLowStock(sku, 6)).toMatchObject({ change: 'opened', available: 6, threshold: 6 });
  });

  it('takes a location\'s availability after a change as a lower bound, reading the SKU\'s only when the bound does not settle it', async () => {
    const sku = await skuWithStock(12);
    // Above the threshold with no alert open: settled by the bound alone.
    expect(await evaluateLowStock(sku, THRESHOLD, 9)).toEqual({ sku, change: 'none', available: 9, threshold: THRESHOLD });
    // At the threshold: the SKU's availability decides (12, so nothing opens).
    expect(await evaluateLowStock(sku, THRESHOLD, THRESHOLD)).toEqual({ sku, change: 'none', available: 12, threshold: THRESHOLD });
    await setStock(sku, 'wh-1', 2);
    const opened = await evaluateLowStock(sku, THRESHOLD, 2);
    expect(opened).toMatchObject({ change: 'opened', available: 2 });
    // An open alert is closed by the SKU's availability, whatever the bound.
    await setStock(sku, 'wh-1', 9);
    expect(await evaluateLowStock(sku, THRESHOLD, 9)).toEqual({ sku, change: 'closed', alertId: opened.alertId, available: 9, threshold: THRESHOLD });
  });

  it('uses the SKU\'s own threshold over the default, either way', async () => {
    const [raised, lowered, plain] = [await skuWithStock(10), await skuWithStock(4), await skuWithStock(10)];
    await SkuSettingModel.create({ _id: raised, lowStockThreshold: 20 });
    await SkuSettingModel.create({ _id: lowered, lowStockThreshold: 2 });

    expect(await evaluateLowStock(raised, THRESHOLD)).toMatchObject({ change: 'opened', available: 10, threshold: 20 });
    expect(await openAlert(raised)).toMatchObject({ threshold: 20, availableAtOpen: 10 });
    expect(await evaluateLowStock(lowered, THRESHOLD)).toMatchObject({ change: 'none', available: 4, threshold: 2 });
    expect(await evaluateLowStock(plain, THRESHOLD)).toMatchObject({ change: 'none', available: 10, threshold: THRESHOLD });

    // The SKU's threshold also decides when its alert closes.
    await setStock(raised, 'wh-1', 15);
    expect(await evaluateLowStock(raised, THRESHOLD)).toMatchObject({ change: 'none', threshold: 20 });
    await setStock(raised, 'wh-1', 21);
    expect(await evaluateLowStock(raised, THRESHOLD)).toMatchObject({ change: 'closed', threshold: 20 });
  });
});

describe('createStockEffects().afterStockChange', () => {
  const lowStockNotifications = (sku: string) =>
    NotificationModel.find({ event: 'low_stock', key: { $regex: `^stock:${sku}:low:` } }).sort({ at: 1 }).lean();

  it('records and sends exactly one low_stock notification per opened alert, however many changes race', async () => {
    const sku = await skuWithStock(2);
    await Promise.all(Array.from({ length: 20 }, () => effects.afterStockChange([sku], { increased: false })));
    const alerts = await alertsOf(sku);
    expect(alerts).toHaveLength(1);
    const notifications = await lowStockNotifications(sku);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({
      key: `stock:${sku}:low:${String(alerts[0]!._id)}`,
      event: 'low_stock',
      recipient: OPS,
      subject: `Low stock: ${sku}`,
      body: expect.stringContaining(`${sku} has 2 units available to promise across all warehouses (threshold ${THRESHOLD})`),
      status: 'sent', // emailed (test/activities/email.test.ts reads it in Mailpit)
    });
    expect(notifications[0]!.orderId).toBeUndefined();

    // Still low: no more notifications.
    await effects.afterStockChange([sku, sku], { increased: false });
    expect(await lowStockNotifications(sku)).toHaveLength(1);
  });

  it('notifies again for the next episode, and wakes the restock dispatcher when stock went up', async () => {
    const sku = await skuWithStock(1);
    restockSkus.add(sku);
    await effects.afterStockChange([sku], { increased: false });

    await setStock(sku, 'wh-1', 40);
    await effects.afterStockChange([sku, sku], { increased: true });
    expect(await openAlert(sku)).toBeNull();
    expect(await lowStockNotifications(sku)).toHaveLength(1); // closing tells nobody
    const dispatcher = temporal.workflow.getHandle(restockWorkflowId(sku));
    expect(await dispatcher.describe()).toMatchObject({ taskQueue, status: { name: 'RUNNING' } });
    const signals = async () =>
      ((await dispatcher.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'stockReplenished').length;
    expect(await signals()).toBe(1); // once per SKU, even when it is named twice

    await setStock(sku, 'wh-1', 3);
    await Promise.all(Array.from({ length: 10 }, () => effects.afterStockChange([sku], { increased: false })));
    expect(await signals()).toBe(1); // stock going down wakes nobody
    const alerts = await alertsOf(sku);
    expect(alerts).toHaveLength(2);
    expect((await lowStockNotifications(sku)).map((n) => n.key)).toEqual(alerts.map((a) => `stock:${sku}:low:${String(a._id)}`));
  });
});

describe('alerts stored before alert ids named their SKU', () => {
  it('move to SKU-named ids once, the open one still found, closed when stock is back, and alerting again later', async () => {
    const sku = await skuWithStock(2);
    const legacy = (openedAt: Date, closedAt?: Date) => {
      const _id = new mongoose.Types.ObjectId();
      return { _id, sku, openKey: closedAt ? `closed:${String(_id)}` : sku, threshold: THRESHOLD, availableAtOpen: 2, openedAt, closedAt };
    };
    const closed = legacy(new Date(Date.now() - 60_000), new Date(Date.now() - 30_000));
    const open = legacy(new Date());
    await StockAlertModel.collection.insertMany([closed, open] as never[]);
    await MigrationModel.deleteOne({ _id: 'stock-alert-ids' });

    await runMigrations();
    const alerts = await alertsOf(sku);
    expect(alerts.map((a) => a._id)).toEqual([`${sku}/${closed.openedAt.toISOString()}/${closed._id}`, `${sku}/${open.openedAt.toISOString()}/${open._id}`]);
    expect(alerts.map((a) => a.openKey)).toEqual([`closed:${String(closed._id)}`, sku]);

    expect(await evaluateLowStock(sku, THRESHOLD)).toMatchObject({ change: 'none' }); // still open, not opened twice
    await setStock(sku, 'wh-1', 40);
    expect(await evaluateLowStock(sku, THRESHOLD)).toMatchObject({ change: 'closed', alertId: alerts[1]._id });
    await setStock(sku, 'wh-1', 1);
    expect(await evaluateLowStock(sku, THRESHOLD)).toMatchObject({ change: 'opened' });
  });
});
