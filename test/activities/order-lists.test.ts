/**
 * Order lists on the real database: saving an order's view puts it on the lists of its status and takes it
 * off the ones before (the view intake stores first is on none); pages come newest first with stable cursors; a save interrupted between the view and
 * its lists is repaired by its retry; and orders stored before lists had entries join them once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receivedOrder, type OrderState, type OrderStatus } from '../../domain/order.js';
import { MigrationModel, runMigrations } from '../../persistence/migrations.js';
import { OrderListEntryModel } from '../../persistence/order-lists.js';
import { findOrder, listOrders, OrderModel, saveOrderView, storedFields, storeReceivedOrder } from '../../persistence/orders.js';
import { orderInput, uniqueId, useTestDatabase } from '../support/fixtures.js';

let close: () => Promise<void>;
beforeAll(async () => {
  ({ close } = await useTestDatabase('order_lists'));
});
afterAll(async () => close?.());

/** An order's view as its workflow would save it, created `minute` minutes into the day. */
function view(minute: number, fields: { status?: OrderStatus; channel?: string; customerId?: string; email?: string } = {}): OrderState {
  const receivedAt = new Date(Date.UTC(2026, 11, 1, 0, minute)).toISOString();
  const order = receivedOrder(orderInput([{ sku: 'SKU-1', quantity: 1 }], { orderId: uniqueId('ord'), receivedAt }));
  return {
    ...order,
    channel: fields.channel ?? 'web',
    status: fields.status ?? 'received',
    customer: { ...order.customer, id: fields.customerId ?? order.customer.id, email: fields.email ?? order.customer.email },
    revision: 1,
  };
}

async function advance(order: OrderState, status: OrderStatus): Promise<void> {
  order.status = status;
  order.revision += 1;
  await saveOrderView(order);
}

const idsOf = (page: { items: OrderState[] }) => page.items.map((o) => o.orderId);

describe('order lists', () => {
  it('list an order under its current status only, as it moves on', async () => {
    const channel = uniqueId('ch');
    const order = view(1, { channel });
    await saveOrderView(order);
    expect(idsOf(await listOrders({ channel, status: 'received' }, { limit: 10 }))).toEqual([order.orderId]);

    await advance(order, 'allocated');
    await advance(order, 'shipped');
    expect(idsOf(await listOrders({ channel, status: 'received' }, { limit: 10 }))).toEqual([]);
    expect(idsOf(await listOrders({ channel, status: 'allocated' }, { limit: 10 }))).toEqual([]);
    expect(idsOf(await listOrders({ channel, status: 'shipped' }, { limit: 10 }))).toEqual([order.orderId]);
    expect(idsOf(await listOrders({ channel }, { limit: 10 }))).toEqual([order.orderId]);
    // An older save arriving late (a retry) changes neither the view nor the lists.
    await saveOrderView({ ...order, status: 'allocated', revision: 2 });
    expect(idsOf(await listOrders({ channel, status: 'shipped' }, { limit: 10 }))).toEqual([order.orderId]);
    expect((await findOrder(order.orderId))?.status).toBe('shipped');
  });

  it("list an order that intake stored once its workflow first saves it, and keep intake from overwriting the workflow's view", async () => {
    const channel = uniqueId('ch');
    const order = view(2, { channel });
    await storeReceivedOrder({ ...order, revision: 0 });
    expect((await findOrder(order.orderId))?.revision).toBe(0);
    expect(idsOf(await listOrders({ channel }, { limit: 10 }))).toEqual([]);

    await saveOrderView(order);
    expect(idsOf(await listOrders({ channel }, { limit: 10 }))).toEqual([order.orderId]);
    expect(idsOf(await listOrders({ channel, status: 'received' }, { limit: 10 }))).toEqual([order.orderId]);
    // Intake running late finds the workflow's view and leaves it be.
    await advance(order, 'allocated');
    await storeReceivedOrder({ ...order, status: 'received', revision: 0 });
    expect(await findOrder(order.orderId)).toMatchObject({ status: 'allocated', revision: 2 });
    expect(idsOf(await listOrders({ channel, status: 'allocated' }, { limit: 10 }))).toEqual([order.orderId]);
  });

  it('page newest first with cursors that continue where the last page ended', async () => {
    const channel = uniqueId('ch');
    const orders = [5, 3, 9, 1, 7].map((minute) => view(minute, { channel }));
    for (const order of orders) await saveOrderView(order);
    const newestFirst = [...orders].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((o) => o.orderId);

    const first = await listOrders({ channel }, { limit: 2 });
    expect(idsOf(first)).toEqual(newestFirst.slice(0, 2));
    expect(first.more).toBe(true);
    const last = first.items[1];
    const second = await listOrders({ channel }, { after: { createdAt: last.createdAt, orderId: last.orderId }, limit: 10 });
    expect(idsOf(second)).toEqual(newestFirst.slice(2));
    expect(second.more).toBe(false);
  });

  it('keep channels and customers whose names hold separators or quotes apart', async () => {
    const base = uniqueId('odd');
    const channels = [`${base}|status=received`, `${base}#`, `${base}"<&>`, `${base}`];
    const orders = channels.map((channel, i) => view(i, { channel, customerId: `${channel}/ü` }));
    for (const order of orders) await saveOrderView(order);
    for (const [i, channel] of channels.entries()) {
      expect(idsOf(await listOrders({ channel }, { limit: 10 }))).toEqual([orders[i].orderId]);
      expect(idsOf(await listOrders({ customerId: `${channel}/ü` }, { limit: 10 }))).toEqual([orders[i].orderId]);
    }
  });

  it('filter a customer\'s list by status and channel, filling the page past orders that do not match', async () => {
    const customerId = uniqueId('cust');
    const orders = Array.from({ length: 6 }, (_, i) => view(i, { customerId, channel: i % 2 ? 'web' : 'app' }));
    for (const order of orders) await saveOrderView(order);
    await advance(orders[0], 'allocated');
    await advance(orders[4], 'allocated');
    const page = await listOrders({ customerId, status: 'received', channel: 'web' }, { limit: 2 });
    expect(idsOf(page)).toEqual([orders[5].orderId, orders[3].orderId]);
    expect(page.more).toBe(true);
    expect(idsOf(await listOrders({ customerId, status: 'allocated' }, { limit: 10 }))).toEqual([orders[4].orderId, orders[0].orderId]);
  });

  it('repair the lists when a save stopped between the view and its lists', async () => {
    const channel = uniqueId('ch');
    const order = view(1, { channel });
    await saveOrderView(order);
    // The view moved on to allocated, but the worker died before the lists did.
    order.status = 'allocated';
    order.revision += 1;
    await OrderModel.updateOne({ _id: order.orderId }, { $set: storedFields(order) });
    await saveOrderView(order); // the retry
    expect(idsOf(await listOrders({ channel, status: 'allocated' }, { limit: 10 }))).toEqual([order.orderId]);
    expect(idsOf(await listOrders({ channel, status: 'received' }, { limit: 10 }))).toEqual([]);
  });

  it("list an order by its customer's email, in any case", async () => {
    const email = `${uniqueId('Erika')}@Example.com`;
    const [first, second] = [view(3, { email }), view(4, { email: email.toLowerCase() })];
    for (const order of [first, second]) await saveOrderView(order);
    expect(idsOf(await listOrders({ customerEmail: email.toUpperCase() }, { limit: 10 }))).toEqual([second.orderId, first.orderId]);
    expect(idsOf(await listOrders({ customerEmail: email, status: 'allocated' }, { limit: 10 }))).toEqual([]);
  });

  it('list an order as needing a person while it waits for review or stock, has failed or is late, and no longer after', async () => {
    const email = `${uniqueId('attention')}@example.com`;
    const needing = async () => idsOf(await listOrders({ needsAPerson: true, customerEmail: email }, { limit: 10 }));
    const order = view(5, { email });
    await saveOrderView(order);
    expect(await needing()).toEqual([]);
    await advance(order, 'awaiting_review');
    expect(await needing()).toEqual([order.orderId]);
    expect(idsOf(await listOrders({ needsAPerson: true }, { limit: 100 }))).toContain(order.orderId);
    await advance(order, 'allocated');
    expect(idsOf(await listOrders({ needsAPerson: true }, { limit: 100 }))).not.toContain(order.orderId);
    order.lateSince = new Date().toISOString();
    order.revision += 1;
    await saveOrderView(order);
    expect(idsOf(await listOrders({ needsAPerson: true }, { limit: 100 }))).toContain(order.orderId);
    await advance(order, 'delivered');
    expect(idsOf(await listOrders({ needsAPerson: true }, { limit: 100 }))).not.toContain(order.orderId);
  });

  it('enter the orders stored before lists had entries, and keep their state as JSON, once', async () => {
    const channel = uniqueId('ch');
    const order = view(1, { channel, status: 'delivered' });
    const { orderId, ...fields } = order;
    // As orders were stored then: the state as a nested document.
    await OrderModel.collection.insertOne({ _id: orderId as never, ...fields });
    await MigrationModel.deleteMany({ _id: { $in: ['order-list-entries', 'order-lists-by-email-and-attention', 'order-state-as-json'] } });
    expect(await findOrder(orderId)).toEqual(order);
    expect(idsOf(await listOrders({ channel }, { limit: 10 }))).toEqual([]);

    await runMigrations();
    expect(idsOf(await listOrders({ channel, status: 'delivered' }, { limit: 10 }))).toEqual([orderId]);
    // Its state is kept as JSON now, and nothing of it was lost on the way.
    expect(await OrderModel.collection.findOne({ _id: orderId as never })).toMatchObject({ status: 'delivered', state: expect.any(String) });
    expect(await OrderModel.collection.findOne({ _id: orderId as never })).not.toHaveProperty('timeline');
    expect(await findOrder(orderId)).toEqual(order);
    expect(idsOf(await listOrders({ customerEmail: order.customer.email, channel }, { limit: 10 }))).toEqual([orderId]);
    await OrderListEntryModel.deleteMany({ orderId });
    await runMigrations(); // done already: nothing changes
    expect(idsOf(await listOrders({ channel }, { limit: 10 }))).toEqual([]);
  });
});
