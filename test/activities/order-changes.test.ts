/**
 * The outbox of order changes on the real database: saving an order's view records one change per revision,
 * with the timeline entries that revision added, in the call that writes its list entries; a retried save
 * records its change again and an older one none; a write too slow for the feed's lookback is written again;
 * a read is a range in position order; pruning deletes one range and nothing of the lists.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { receivedOrder, type OrderState, type OrderStatus } from '../../domain/order.js';
import {
  CHANGE_VISIBLE_WITHIN_MS,
  orderChange,
  orderChangesAfter,
  parseChangePosition,
  positionAt,
  pruneOrderChanges,
  recordOrderChange,
  type RecordedOrderChange,
} from '../../persistence/order-changes.js';
import { listOrders, OrderModel, saveOrderView, storedFields } from '../../persistence/orders.js';
import { moveOrderInLists } from '../../persistence/order-lists.js';
import { orderInput, uniqueId, useTestDatabase } from '../support/fixtures.js';

let close: () => Promise<void>;
beforeAll(async () => {
  ({ close } = await useTestDatabase('order_changes'));
});
afterAll(async () => close?.());
afterEach(() => {
  mongoose.set('debug', false);
});

function newOrder(channel = uniqueId('ch')): OrderState {
  return { ...receivedOrder(orderInput([{ sku: 'SKU-1', quantity: 1 }], { orderId: uniqueId('ord'), channel })), revision: 0 };
}

/** The order's next revision as its workflow records a step: one more timeline entry, maybe a new status. */
function step(order: OrderState, type: string, status?: OrderStatus): OrderState {
  const at = new Date().toISOString();
  order.timeline = [...order.timeline, { id: `${order.orderId}-${order.timeline.length + 1}`, at, type, message: `${type} happened` }];
  order.status = status ?? order.status;
  order.updatedAt = at;
  order.revision += 1;
  return structuredClone(order);
}

async function changesOf(orderId: string, after = positionAt(Date.now() - 60_000)): Promise<RecordedOrderChange[]> {
  const all: RecordedOrderChange[] = [];
  for await (const page of orderChangesAfter(after)) all.push(...page.filter((entry) => entry.change.orderId === orderId));
  return all;
}

/** The database calls `action` makes, as `collection.method`. */
async function callsOf(action: () => Promise<void>): Promise<string[]> {
  const calls: string[] = [];
  mongoose.set('debug', (collection: string, method: string) => calls.push(`${collection}.${method}`));
  await action();
  mongoose.set('debug', false);
  return calls;
}

describe('the outbox of order changes', () => {
  it('records each saved revision once, in order, with the timeline entries it added', async () => {
    const order = newOrder();
    await saveOrderView(step(order, 'received'));
    await saveOrderView(step(order, 'payment_authorized'));
    await saveOrderView(step(order, 'allocated', 'allocated'));

    const changes = await changesOf(order.orderId);
    expect(changes.map(({ change }) => [change.revision, change.status, change.timeline.map((entry) => entry.type)])).toEqual([
      [1, 'received', ['received']],
      [2, 'received', ['payment_authorized']],
      [3, 'allocated', ['allocated']],
    ]);
    expect(changes[2].change).toMatchObject({ orderId: order.orderId, channel: order.channel, externalId: order.externalId, updatedAt: order.updatedAt });
    for (const { position, writtenAt, change } of changes) expect(parseChangePosition(position)).toEqual({ writtenAt, change: { orderId: order.orderId, revision: change.revision } });
  });

  it('writes the change in the call that writes the list entries, and in one insert of its own when the lists stay', async () => {
    const order = newOrder();
    await saveOrderView(step(order, 'received'));
    // A new status: the order moves between lists, and its change goes with the entries it enters.
    expect(await callsOf(() => saveOrderView(step(order, 'allocated', 'allocated')))).toEqual([
      'orders.findOneAndUpdate',
      'order_list_entries.insertMany',
      'order_list_entries.deleteMany',
    ]);
    expect(await callsOf(() => saveOrderView(step(order, 'payment_captured')))).toEqual(['orders.findOneAndUpdate', 'order_list_entries.insertMany']);
    expect((await changesOf(order.orderId)).map(({ change }) => change.revision)).toEqual([1, 2, 3]);
    expect((await listOrders({ channel: order.channel, status: 'allocated' }, { limit: 10 })).items.map((o) => o.orderId)).toEqual([order.orderId]);
  });

  it('records a retried save again, with the whole timeline, and a late older one not at all', async () => {
    const order = newOrder();
    await saveOrderView(step(order, 'received'));
    const allocated = step(order, 'allocated', 'allocated');
    // The view was written, then the worker died before the lists and the change were.
    await OrderModel.updateOne({ _id: allocated.orderId }, { $set: storedFields(allocated) });
    await saveOrderView(allocated); // the retry
    await saveOrderView({ ...allocated, revision: 1 }); // an older attempt, arriving late

    const changes = await changesOf(order.orderId);
    expect(changes.map(({ change }) => [change.revision, change.timeline.map((entry) => entry.type)])).toEqual([
      [1, ['received']],
      [2, ['received', 'allocated']],
    ]);
    expect((await listOrders({ channel: order.channel, status: 'allocated' }, { limit: 10 })).items.map((o) => o.orderId)).toEqual([order.orderId]);
  });

  it('writes a change again, timed anew, when its write took longer than a reader allows', async () => {
    const order = newOrder();
    const change = orderChange(step(order, 'received'));
    const started = Date.now();
    await recordOrderChange(change, async (entry) => {
      await sleep(CHANGE_VISIBLE_WITHIN_MS + 200);
      await moveOrderInLists(order, undefined, entry);
    });
    const copies = await changesOf(order.orderId);
    expect(copies).toHaveLength(2);
    expect(copies[0].writtenAt).toBeLessThan(started + 100);
    expect(copies[1].writtenAt).toBeGreaterThanOrEqual(started + CHANGE_VISIBLE_WITHIN_MS + 200);
    expect(copies[1].change).toEqual(copies[0].change);
  });

  it('reads the changes between two positions, in position order', async () => {
    const orders = [newOrder(), newOrder(), newOrder()];
    const from = positionAt(Date.now() - 1);
    for (const order of orders) await saveOrderView(step(order, 'received'));
    const all: RecordedOrderChange[] = [];
    for await (const page of orderChangesAfter(from)) all.push(...page);
    const ours = all.filter(({ change }) => orders.some((order) => order.orderId === change.orderId));
    expect(ours.map(({ change }) => change.orderId)).toEqual(orders.map((order) => order.orderId));
    expect(all.map(({ position }) => position)).toEqual(all.map(({ position }) => position).sort());

    const between: RecordedOrderChange[] = [];
    for await (const page of orderChangesAfter(ours[0].position, ours[1].position)) between.push(...page);
    expect(between.map(({ position }) => position)).toEqual([ours[1].position]);
  });

  it('prunes the changes written before a time with one range delete, and no list entry', async () => {
    const old = newOrder();
    await saveOrderView(step(old, 'received'));
    await sleep(5);
    const cut = Date.now();
    const recent = newOrder();
    await saveOrderView(step(recent, 'received'));

    expect(await callsOf(async () => void (await pruneOrderChanges(cut)))).toEqual(['order_list_entries.deleteMany']);
    expect(await changesOf(old.orderId, positionAt(0))).toEqual([]);
    expect((await changesOf(recent.orderId)).map(({ change }) => change.revision)).toEqual([1]);
    expect((await listOrders({ channel: old.channel }, { limit: 10 })).items.map((o) => o.orderId)).toEqual([old.orderId]);
  });
});
