/**
 * Following orders as server-sent events through the HTTP API, with a real worker moving real orders: one
 * order's stream starts with its current state and goes on with each change; a channel's stream carries its
 * own orders' changes in order and never another channel's; a reconnect with Last-Event-ID gets exactly the
 * changes after it, or a `reset` when they are no longer kept; who may follow what, and bad input; open
 * streams in the metrics, and their clean end when the API drains.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { Draining } from '../../api/shutdown.js';
import { changePosition } from '../../persistence/order-changes.js';
import { dataOf, openStream, type OpenedStream, type StreamEvent } from '../support/event-stream.js';
import { PLACES, TEST_INVENTORY, TEST_ORDER_EVENTS_RETENTION_MS, TEST_ORDER_POLICY, uniqueId } from '../support/fixtures.js';
import { testMailer } from '../support/mail.js';
import { KEYS, expectProblem, orderBody, startApi, type ApiCall, type ApiHarness } from './harness.js';

const WAREHOUSE_ID = 'wh-events-berlin';

let harness: ApiHarness;
let api: ApiCall;
const streams: OpenedStream[] = [];

beforeAll(async () => {
  harness = await startApi({ database: 'api_order_events', worker: true });
  api = harness.api;
  expect((await api('PUT', `/v1/warehouses/${WAREHOUSE_ID}`, KEYS.admin, { name: 'Berlin', ...PLACES.berlin })).status).toBe(201);
});

afterAll(async () => {
  for (const stream of streams) stream.close();
  await harness?.close();
});

async function follow(path: string, key: string, headers: Record<string, string> = {}): Promise<OpenedStream> {
  const stream = await openStream(`${harness.baseUrl}${path}`, { authorization: `Bearer ${key}`, ...headers });
  streams.push(stream);
  return stream;
}

/** An order of `key`'s channel, placed with stock for it, and its shipment once allocated. */
async function allocatedOrder(key: string = KEYS.web): Promise<{ orderId: string; shipmentId: string }> {
  const sku = uniqueId('SKU-EVENTS');
  expect((await api('PUT', `/v1/inventory/${sku}/${WAREHOUSE_ID}`, KEYS.warehouse, { onHand: 5 })).status).toBe(200);
  const placed = await api('POST', '/v1/orders', key, orderBody(uniqueId('ext'), sku));
  expect(placed.status).toBe(202);
  const { orderId } = placed.body;
  const order = await waitForStatus(orderId, 'allocated');
  return { orderId, shipmentId: order.shipments[0].shipmentId };
}

async function waitForStatus(orderId: string, status: string) {
  for (const deadline = Date.now() + 20_000; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const read = await api('GET', `/v1/orders/${orderId}`, KEYS.support);
    if (read.body.status === status) return read.body;
    if (Date.now() > deadline) throw new Error(`order ${orderId} is ${read.body.status}, not ${status}`);
  }
}

async function ship(shipmentId: string, type: 'shipped' | 'delivered') {
  expect((await api('POST', `/v1/shipments/${shipmentId}/events`, KEYS.warehouse, { type })).status).toBe(202);
}

const orderEvents = (stream: OpenedStream, orderId?: string) => stream.events.filter((e) => e.event === 'order' && (!orderId || dataOf(e).orderId === orderId));
const revisions = (events: StreamEvent[]) => events.map((e) => dataOf(e).revision);
const isDelivered = (orderId: string) => (e: StreamEvent) => e.event === 'order' && dataOf(e).orderId === orderId && dataOf(e).status === 'delivered';

describe("one order's events", () => {
  it('start with the order as it is, then send each change in revision order as it happens', async () => {
    const { orderId, shipmentId } = await allocatedOrder();
    const looked = await api('GET', `/v1/orders/${orderId}`, KEYS.web);
    const stream = await follow(`/v1/orders/${orderId}/events`, KEYS.web);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');

    const [first] = await stream.waitFor(1);
    expect(first.event).toBe('order');
    expect(stream.retry).toBeGreaterThan(0);
    expect(dataOf(first)).toMatchObject({ orderId, channel: 'web', externalId: looked.body.externalId, status: 'allocated', updatedAt: looked.body.updatedAt });
    // The whole timeline so far, as the lookup has it.
    expect(dataOf(first).timeline).toEqual(looked.body.timeline.map(({ id, at, type, message }: Record<string, string>) => ({ id, at, type, message })));
    expect(dataOf(first).shipments).toEqual([{ shipmentId, warehouseId: WAREHOUSE_ID, status: 'pending', carrier: expect.any(String), trackingNumber: expect.any(String) }]);

    await ship(shipmentId, 'shipped');
    await ship(shipmentId, 'delivered');
    await stream.waitUntil(isDelivered(orderId));
    const events = orderEvents(stream);
    const revs = revisions(events);
    expect(revs).toEqual([...revs].sort((a, b) => a - b));
    expect(new Set(revs).size).toBe(revs.length);
    expect(events.map((e) => e.id)).toEqual(events.map((e) => e.id).sort());
    // Each change carries the timeline entries it added: together, the timeline, each entry once.
    const timeline = events.flatMap((e) => dataOf(e).timeline.map((entry: { id: string }) => entry.id));
    const final = await api('GET', `/v1/orders/${orderId}`, KEYS.support);
    expect(timeline).toEqual(final.body.timeline.map((entry: { id: string }) => entry.id));
    expect(dataOf(events[events.length - 1]).shipments[0].status).toBe('delivered');
  });

  it('resume after Last-Event-ID with exactly the changes after it', async () => {
    const { orderId, shipmentId } = await allocatedOrder();
    const whole = await follow(`/v1/orders/${orderId}/events`, KEYS.support);
    const interrupted = await follow(`/v1/orders/${orderId}/events`, KEYS.support);
    const [first] = await interrupted.waitFor(1);
    interrupted.close();

    await ship(shipmentId, 'shipped');
    await ship(shipmentId, 'delivered');
    await whole.waitUntil(isDelivered(orderId));
    const resumed = await follow(`/v1/orders/${orderId}/events`, KEYS.support, { 'last-event-id': first.id! });
    const after = orderEvents(whole).filter((e) => dataOf(e).revision > dataOf(first).revision);
    expect(after.length).toBeGreaterThan(1);
    await resumed.waitFor(after.length);
    expect(resumed.events).toEqual(after);

    // The id may come as `?lastEventId=` too (the header wins when both are sent).
    const byQuery = await follow(`/v1/orders/${orderId}/events?lastEventId=${encodeURIComponent(after[0].id!)}`, KEYS.support);
    await byQuery.waitFor(after.length - 1);
    expect(byQuery.events).toEqual(after.slice(1));
  });

  it('say reset and start again from the current state when the changes after the id are no longer kept', async () => {
    const { orderId } = await allocatedOrder();
    const old = changePosition(Date.now() - TEST_ORDER_EVENTS_RETENTION_MS - 60_000, orderId, 1);
    const stream = await follow(`/v1/orders/${orderId}/events`, KEYS.web, { 'last-event-id': old });
    const [reset, current] = await stream.waitFor(2);
    expect(reset.event).toBe('reset');
    expect(dataOf(reset).reason).toMatch(/no longer kept/);
    expect(dataOf(current)).toMatchObject({ orderId, status: 'allocated' });

    // An id of another order's stream is not one to resume this one from.
    const other = await follow(`/v1/orders/${orderId}/events`, KEYS.web, { 'last-event-id': changePosition(Date.now(), 'ord_other', 3) });
    expect((await other.waitFor(2)).map((e) => e.event)).toEqual(['reset', 'order']);
  });

  it("are a 404 for an unknown order and another channel's, as the lookup is, and need a role that reads orders", async () => {
    const { orderId } = await allocatedOrder(KEYS.web);
    expectProblem(toResponse(await follow(`/v1/orders/${orderId}/events`, KEYS.store)), 404);
    expectProblem(toResponse(await follow('/v1/orders/ord_nothing_here/events', KEYS.web)), 404);
    expectProblem(toResponse(await follow(`/v1/orders/${orderId}/events`, KEYS.warehouse)), 403);
    expect((await fetch(`${harness.baseUrl}/v1/orders/${orderId}/events`)).status).toBe(401);
  });

  it('refuse an id this API did not send, naming where it was', async () => {
    const { orderId } = await allocatedOrder();
    const byQuery = expectProblem(toResponse(await follow(`/v1/orders/${orderId}/events?lastEventId=42`, KEYS.web)), 400);
    expect(byQuery.errors).toEqual([{ path: 'query.lastEventId', message: expect.stringMatching(/event id/) }]);
    const byHeader = expectProblem(toResponse(await follow(`/v1/orders/${orderId}/events`, KEYS.web, { 'last-event-id': 'yesterday' })), 400);
    expect(byHeader.errors).toEqual([{ path: 'header.Last-Event-ID', message: expect.stringMatching(/event id/) }]);
    expectProblem(toResponse(await follow(`/v1/orders/${orderId}/events?since=1`, KEYS.web)), 400);
  });
});

describe("every order's events", () => {
  it("bring a channel its own orders' changes, in order, and never another channel's", async () => {
    const web = await follow('/v1/order-events', KEYS.web);
    const everything = await follow('/v1/order-events', KEYS.support);
    const storeOnly = await follow('/v1/order-events?channel=store', KEYS.admin);
    const ours = await allocatedOrder(KEYS.web);
    const theirs = await allocatedOrder(KEYS.store);
    for (const { shipmentId } of [ours, theirs]) await ship(shipmentId, 'shipped');
    for (const { shipmentId } of [ours, theirs]) await ship(shipmentId, 'delivered');
    await web.waitUntil(isDelivered(ours.orderId));
    await everything.waitUntil(isDelivered(theirs.orderId));
    await storeOnly.waitUntil(isDelivered(theirs.orderId));

    expect(orderEvents(web).every((e) => dataOf(e).channel === 'web')).toBe(true);
    expect(orderEvents(storeOnly).every((e) => dataOf(e).channel === 'store')).toBe(true);
    const ids = orderEvents(everything).map((e) => e.id!);
    expect(ids).toEqual([...new Set(ids)].sort());
    for (const { orderId } of [ours, theirs]) {
      // Every revision from the first, in order (a save retried, or too slow, may send one twice).
      const revs = revisions(orderEvents(everything, orderId));
      expect(revs).toEqual([...revs].sort((a, b) => a - b));
      expect([...new Set(revs)]).toEqual(Array.from({ length: revs[revs.length - 1] }, (_, i) => i + 1));
    }
    expect(revisions(orderEvents(web, ours.orderId))).toEqual(revisions(orderEvents(everything, ours.orderId)));
    expect(orderEvents(everything, ours.orderId).map((e) => dataOf(e).status)).toEqual(expect.arrayContaining(['received', 'allocated', 'shipped', 'delivered']));
  });

  it('resume after Last-Event-ID with exactly the changes after it, in the same order', async () => {
    const whole = await follow('/v1/order-events', KEYS.web);
    const interrupted = await follow('/v1/order-events', KEYS.web);
    const { orderId, shipmentId } = await allocatedOrder(KEYS.web);
    const cut = await interrupted.waitUntil((e) => e.event === 'order' && dataOf(e).orderId === orderId);
    interrupted.close();
    await ship(shipmentId, 'shipped');
    await ship(shipmentId, 'delivered');
    await whole.waitUntil(isDelivered(orderId));

    const resumed = await follow('/v1/order-events', KEYS.web, { 'last-event-id': cut.id! });
    const after = whole.events.slice(whole.events.findIndex((e) => e.id === cut.id) + 1);
    await resumed.waitUntil(isDelivered(orderId));
    expect(resumed.events.slice(0, after.length)).toEqual(after);
    expect(revisions(orderEvents(resumed, orderId))[0]).toBe(dataOf(cut).revision + 1);
  });

  it('say reset when the changes after the id are no longer kept', async () => {
    const stream = await follow(`/v1/order-events?lastEventId=${encodeURIComponent(changePosition(Date.now() - TEST_ORDER_EVENTS_RETENTION_MS - 60_000, 'ord_x', 1))}`, KEYS.web);
    const [reset] = await stream.waitFor(1);
    expect(reset.event).toBe('reset');
    // Resuming from the reset's id starts from the moment of the reset: nothing to reset again.
    const again = await follow('/v1/order-events', KEYS.web, { 'last-event-id': reset.id! });
    const { orderId } = await allocatedOrder(KEYS.web);
    expect((await again.waitUntil((e) => e.event === 'order' && dataOf(e).orderId === orderId)).event).toBe('order');
    expect(again.events.some((e) => e.event === 'reset')).toBe(false);
  });

  it("are a 403 for a channel naming another channel, and refuse bad input with the field", async () => {
    expectProblem(toResponse(await follow('/v1/order-events?channel=store', KEYS.web)), 403);
    const web = await follow('/v1/order-events?channel=web', KEYS.web);
    expect(web.status).toBe(200);
    const bad = expectProblem(toResponse(await follow('/v1/order-events?channel=', KEYS.support)), 400);
    expect(bad.errors?.[0].path).toBe('query.channel');
    expectProblem(toResponse(await follow('/v1/order-events', KEYS.warehouse)), 403);
  });
});

describe('open streams', () => {
  it('are counted in the metrics', async () => {
    const gauge = async () => Number(/^oms_event_streams_open\{stream="orders"\} (\d+)$/m.exec(await (await fetch(`${harness.baseUrl}/metrics`)).text())?.[1] ?? 0);
    const before = await gauge();
    const stream = await follow('/v1/order-events', KEYS.support);
    await stream.waitFor(0);
    expect(await gauge()).toBe(before + 1);
    stream.close();
    for (const deadline = Date.now() + 5_000; (await gauge()) !== before && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await gauge()).toBe(before);
  });

  it('end cleanly when the API drains', async () => {
    const draining = new Draining();
    const app = createApp({
      temporal: harness.temporal,
      taskQueue: harness.taskQueue,
      inventory: TEST_INVENTORY,
      mailer: testMailer(),
      orderPolicy: TEST_ORDER_POLICY,
      orderEventsRetentionMs: TEST_ORDER_EVENTS_RETENTION_MS,
      env: { LOG_LEVEL: 'error' },
      draining,
    });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const { orderId } = await allocatedOrder();
      const stream = await openStream(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/orders/${orderId}/events`, { authorization: `Bearer ${KEYS.web}` });
      await stream.waitFor(1);
      draining.begin();
      await stream.ended;
      expect(stream.events.map((e) => e.event)).toEqual(['order']);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

/** A refused stream as the harness's answers look, for expectProblem. */
function toResponse(stream: OpenedStream) {
  return { status: stream.status, headers: stream.headers, body: stream.problem };
}
