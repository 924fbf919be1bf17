/**
 * How far behind the engine is with new orders (persistence/engine-intake.ts), on the real database: intake
 * marks an order, the workflow's first save unmarks it, and the oldest mark's age is the lag; marks that
 * outlived their order's first save or whose workflow never started are removed when read, so that none
 * can hold intake shut.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { orderViewActivities } from '../../activities/order-view.js';
import { receivedOrder, type OrderState } from '../../domain/order.js';
import { engineIntakeLagMs, markAwaitingEngine } from '../../persistence/engine-intake.js';
import { OrderListEntryModel } from '../../persistence/order-lists.js';
import { saveOrderView, storeReceivedOrder } from '../../persistence/orders.js';
import { orderInput, uniqueId, useTestDatabase } from '../support/fixtures.js';

let close: () => Promise<void>;
beforeAll(async () => {
  ({ close } = await useTestDatabase('engine_intake'));
});
afterAll(async () => close?.());
beforeEach(async () => {
  await OrderListEntryModel.deleteMany({ _id: { $gt: 'intake#', $lt: 'intake#~' } });
});

const NOW = Date.parse('2026-12-07T12:00:00.000Z');

/** An order accepted `secondsAgo` before NOW, as intake marks and stores it (revision 0) once its workflow started. */
async function accepted(secondsAgo: number, { stored = true } = {}): Promise<OrderState> {
  const order = receivedOrder(orderInput([{ sku: 'SKU-1', quantity: 1 }], { orderId: uniqueId('ord'), receivedAt: new Date(NOW - secondsAgo * 1_000).toISOString() }));
  await markAwaitingEngine(order.orderId, order.createdAt);
  if (stored) await storeReceivedOrder(order);
  return order;
}

/** The workflow's first save, through the activity the worker runs. */
const firstSave = (order: OrderState) => orderViewActivities.saveOrderView({ ...order, revision: 1 });

const marksLeft = () => OrderListEntryModel.countDocuments({ _id: { $gt: 'intake#', $lt: 'intake#~' } });

describe('intake lag', () => {
  it('is 0 while no accepted order waits for the engine', async () => {
    expect(await engineIntakeLagMs(NOW)).toBe(0);
  });

  it('is the age of the oldest order the engine has not taken up, until its first save', async () => {
    const oldest = await accepted(4);
    const next = await accepted(0.5);
    expect(await engineIntakeLagMs(NOW)).toBe(4_000);

    await firstSave(oldest);
    expect(await engineIntakeLagMs(NOW)).toBe(500);
    await firstSave(next);
    expect(await engineIntakeLagMs(NOW)).toBe(0);
    expect(await marksLeft()).toBe(0);
  });

  it('drops a mark that outlived its first save (the save came before it, or its unmark failed) and reads on', async () => {
    const saved = await accepted(20);
    // Saved without the activity: as if its unmark had failed.
    await saveOrderView({ ...saved, revision: 1 });
    await accepted(2);
    expect(await engineIntakeLagMs(NOW)).toBe(2_000);
    expect(await marksLeft()).toBe(1);
  });

  it('counts a mark whose order intake could not store: its workflow has not saved it either', async () => {
    await accepted(90, { stored: false });
    expect(await engineIntakeLagMs(NOW)).toBe(90_000);
  });
});
