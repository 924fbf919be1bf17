/**
 * The order feed of an API process (api/order-feed.ts) on the real database: one read of the outbox per
 * poll, however many follow, and none while nobody does; a change committed late, after a later one was
 * read, still reaches both the followers of its order and those of every order, who get the two in the
 * order of their ids.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderFeed, POLL_MS } from '../../api/order-feed.js';
import { receivedOrder, type OrderState } from '../../domain/order.js';
import { orderChange, recordOrderChange, type RecordedOrderChange } from '../../persistence/order-changes.js';
import { moveOrderInLists } from '../../persistence/order-lists.js';
import { saveOrderView } from '../../persistence/orders.js';
import { orderInput, TEST_ORDER_EVENTS_RETENTION_MS, uniqueId, useTestDatabase } from '../support/fixtures.js';

let close: () => Promise<void>;
beforeAll(async () => {
  ({ close } = await useTestDatabase('order_feed'));
});
afterAll(async () => close?.());

const warnings: unknown[] = [];
const newFeed = () => createOrderFeed({ retentionMs: TEST_ORDER_EVENTS_RETENTION_MS, log: { warn: (...args: unknown[]) => void warnings.push(args) } as never });

function receivedRevision(): OrderState {
  const order = receivedOrder(orderInput([{ sku: 'SKU-1', quantity: 1 }], { orderId: uniqueId('ord') }));
  return { ...order, revision: 1, timeline: [{ id: `${order.orderId}-1`, at: order.createdAt, type: 'received', message: 'Received' }] };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(20)) if (Date.now() > deadline) throw new Error('timed out');
}

/** The feed's reads of the outbox (find calls on its collection) while `during` runs. */
async function readsDuring(during: () => Promise<void>): Promise<number> {
  let reads = 0;
  mongoose.set('debug', (collection: string, method: string) => {
    if (collection === 'order_list_entries' && method === 'find') reads += 1;
  });
  try {
    await during();
  } finally {
    mongoose.set('debug', false);
  }
  return reads;
}

describe('the order feed', () => {
  it('reads the outbox once per poll whatever the number of followers, and not at all when nobody follows', async () => {
    const feed = newFeed();
    const second = 1_000;
    const one = await readsDuring(async () => {
      const stop = feed.followOrder('ord_a', () => undefined);
      await sleep(second);
      stop();
    });
    const many = await readsDuring(async () => {
      const stops = [...Array.from({ length: 50 }, (_, i) => feed.followOrder(`ord_${i}`, () => undefined)), ...Array.from({ length: 50 }, () => feed.followAll(() => undefined).stop)];
      await sleep(second);
      for (const stop of stops) stop();
    });
    const polls = second / POLL_MS;
    for (const reads of [one, many]) {
      expect(reads).toBeGreaterThanOrEqual(polls - 1);
      expect(reads).toBeLessThanOrEqual(polls + 1);
    }
    expect(await readsDuring(() => sleep(second))).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('hands on a change committed late, after a later one was read: to its order at once, to everyone in id order', async () => {
    const feed = newFeed();
    const late = receivedRevision();
    const prompt = receivedRevision();
    const ofLate: RecordedOrderChange[] = [];
    const ofPrompt: RecordedOrderChange[] = [];
    const ofAll: RecordedOrderChange[] = [];
    const stops = [feed.followOrder(late.orderId, (c) => ofLate.push(c)), feed.followOrder(prompt.orderId, (c) => ofPrompt.push(c)), feed.followAll((c) => ofAll.push(c)).stop];
    try {
      // Timed now, readable only after the prompt change, written after it and read at once.
      let committedLate = false;
      const slowWrite = recordOrderChange(orderChange(late), async (entry) => {
        await sleep(3 * POLL_MS);
        await moveOrderInLists(late, undefined, entry);
        committedLate = true;
      });
      await sleep(20);
      await saveOrderView(prompt);
      await until(() => ofPrompt.length === 1);
      expect(committedLate).toBe(false);
      await slowWrite;

      await until(() => ofLate.length === 1);
      expect(ofLate[0].change).toEqual(orderChange(late));
      await until(() => ofAll.length >= 2);
      const ours = ofAll.filter(({ change }) => [late.orderId, prompt.orderId].includes(change.orderId));
      expect(ours.map(({ change }) => change.orderId)).toEqual([late.orderId, prompt.orderId]);
      expect(ours[0].position < ours[1].position).toBe(true);
    } finally {
      for (const stop of stops) stop();
    }
  });
});
