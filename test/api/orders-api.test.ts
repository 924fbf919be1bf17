/**
 * Orders through the HTTP API, end to end inside one process: the real Express app, a real order worker on
 * the suite's Temporal dev server and FerretDB. Intake and its idempotency, request validation (and that a
 * rejected request writes nothing), who sees which order, lists, and the order lifecycle driven by
 * warehouse events and cancellation.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type OrderStatus } from '../../domain/order.js';
import { BERLIN_ADDRESS, PLACES, uniqueId } from '../support/fixtures.js';
import { KEYS, expectProblem, startApi, type ApiCall, type ApiHarness, type ApiResponse } from './harness.js';
import { orderIdFor, orderWorkflowId } from '../../contracts/ids.js';
import { OrderModel } from '../../persistence/orders.js';

const WAREHOUSE_ID = 'wh-berlin';
const UNIT_PRICE = 1250;

let harness: ApiHarness;
let api: ApiCall;

beforeAll(async () => {
  harness = await startApi({ database: 'api_orders', worker: true });
  api = harness.api;
  const created = await api('PUT', `/v1/warehouses/${WAREHOUSE_ID}`, KEYS.admin, { name: 'Berlin', ...PLACES.berlin });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await harness?.close();
});

// ---------------------------------------------------------------------------------------------------------
// helpers

/** A fresh SKU with `onHand` units at the Berlin warehouse, set through the API. */
async function stockedSku(onHand: number): Promise<string> {
  const sku = uniqueId('SKU');
  const response = await api('PUT', `/v1/inventory/${sku}/${WAREHOUSE_ID}`, KEYS.warehouse, { onHand });
  expect(response.status).toBe(200);
  return sku;
}

/** A valid order request; `overrides` replace top-level fields. */
function orderRequest(lines: Array<{ sku: string; quantity: number }>, overrides: Record<string, unknown> = {}) {
  return {
    externalId: uniqueId('ext'),
    customer: { id: 'cust-1', email: 'erika@example.com', name: 'Erika Mustermann' },
    shippingAddress: BERLIN_ADDRESS,
    lines: lines.map((line) => ({ ...line, unitPrice: UNIT_PRICE })),
    currency: 'EUR',
    payment: { token: 'tok_ok' },
    ...overrides,
  };
}

/** Submits an order that must be accepted (202) and returns its id. */
async function submit(body: ReturnType<typeof orderRequest>, key: string = KEYS.web): Promise<string> {
  const response = await api('POST', '/v1/orders', key, body);
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return response.body.orderId;
}

const getOrder = (orderId: string, key: string = KEYS.support) => api('GET', `/v1/orders/${orderId}`, key);

/** Polls GET /v1/orders/{id} until the order has `status`; fails early if it ends in another status. */
async function waitForOrderStatus(orderId: string, status: OrderStatus, timeoutMs = 20_000) {
  const finals: OrderStatus[] = ['payment_declined', 'delivered', 'cancelled', 'failed'];
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse | undefined;
  for (;;) {
    last = await getOrder(orderId);
    if (last.status === 200 && last.body.status === status) return last.body;
    const ended = last.status === 200 && finals.includes(last.body.status);
    if (ended || Date.now() > deadline) {
      throw new Error(`order ${orderId} did not reach "${status}"; last seen: ${JSON.stringify(last.body, null, 2)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const inventoryAt = async (sku: string) => {
  const response = await api('GET', `/v1/inventory/${sku}`, KEYS.support);
  expect(response.status).toBe(200);
  return response.body.locations.find((l: { warehouseId: string }) => l.warehouseId === WAREHOUSE_ID);
};

/** An order of 2 units out of 10 that has reached `allocated`. */
async function allocatedOrder() {
  const sku = await stockedSku(10);
  const orderId = await submit(orderRequest([{ sku, quantity: 2 }]));
  const order = await waitForOrderStatus(orderId, 'allocated');
  return { orderId, sku, shipmentId: order.shipments[0].shipmentId as string };
}

const shipmentEvent = (shipmentId: string, type: 'shipped' | 'delivered') =>
  api('POST', `/v1/shipments/${shipmentId}/events`, KEYS.warehouse, { type });

const cancel = (orderId: string, key: string = KEYS.web) =>
  api('POST', `/v1/orders/${orderId}/cancel`, key, { reason: 'customer changed their mind' });

/** Temporal's count of order workflows carrying this order id (visibility is eventually consistent). */
async function orderWorkflowCount(orderId: string): Promise<number> {
  const { count } = await harness.temporal.workflow.count(`WorkflowType = 'orderWorkflow' AND OrderId = '${orderId}'`);
  return count;
}

/** Neither an order document nor a workflow exists for this (channel, externalId). */
async function expectNothingWritten(channel: string, externalId: string) {
  expect(await OrderModel.countDocuments({ channel, externalId })).toBe(0);
  const handle = harness.temporal.workflow.getHandle(orderWorkflowId(orderIdFor(channel, externalId)));
  await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

// ---------------------------------------------------------------------------------------------------------

describe('order intake', () => {
  let sku: string;
  beforeAll(async () => {
    sku = await stockedSku(1000);
  });

  it('accepts a new order with 202 and its id and status', async () => {
    const body = orderRequest([{ sku, quantity: 1 }]);
    const response = await api('POST', '/v1/orders', KEYS.web, body);
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).toEqual({ orderId: expect.stringMatching(/^ord_[0-9a-f]{24}$/), status: 'received' });
    // readable at once, even before the workflow has stored it
    const read = await getOrder(response.body.orderId, KEYS.web);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ orderId: response.body.orderId, externalId: body.externalId, channel: 'web' });
    await vi.waitFor(async () => expect(await orderWorkflowCount(response.body.orderId)).toBe(1), { timeout: 10_000 });
    // The Temporal UI lists it with a readable summary.
    const description = await harness.temporal.workflow.getHandle(`order-${response.body.orderId}`).describe();
    expect(await description.staticSummary()).toBe(`Order ${body.externalId} from web: 1 x ${sku}, 12.50 EUR`);
  });

  it('answers a repeated request with 200 and the same order, and runs one workflow for it', async () => {
    const body = orderRequest([{ sku, quantity: 1 }]);
    const orderId = await submit(body);

    // at once (the workflow may not have stored the order yet) ...
    const again = await api('POST', '/v1/orders', KEYS.web, body);
    expect(again.status).toBe(200);
    expect(again.body.orderId).toBe(orderId);
    // ... and once the order is stored and under way
    await waitForOrderStatus(orderId, 'allocated');
    const later = await api('POST', '/v1/orders', KEYS.web, body);
    expect(later.status).toBe(200);
    expect(later.body).toEqual({ orderId, status: 'allocated' });

    await vi.waitFor(async () => expect(await orderWorkflowCount(orderId)).toBeGreaterThan(0), { timeout: 10_000 });
    expect(await orderWorkflowCount(orderId)).toBe(1);
    expect(await OrderModel.countDocuments({ _id: orderId })).toBe(1);
  });

  it('treats the same request with its keys in another order as a repeat', async () => {
    const body = orderRequest([{ sku, quantity: 1 }]);
    const orderId = await submit(body);
    const { payment, currency, lines, shippingAddress, customer, externalId } = body;
    const reordered = { payment, currency, lines, shippingAddress: { ...shippingAddress }, customer, externalId };
    const again = await api('POST', '/v1/orders', KEYS.web, reordered);
    expect(again.status).toBe(200);
    expect(again.body.orderId).toBe(orderId);
  });

  it('creates an order once when the same request arrives twice at the same moment', async () => {
    const body = orderRequest([{ sku, quantity: 1 }]);
    const responses = await Promise.all([api('POST', '/v1/orders', KEYS.web, body), api('POST', '/v1/orders', KEYS.web, body)]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 202]);
    expect(responses[0].body.orderId).toBe(responses[1].body.orderId);
  });

  it('answers 409 when an externalId is reused with a different body, and keeps the first order', async () => {
    const body = orderRequest([{ sku, quantity: 1 }]);
    const orderId = await submit(body);
    const different = { ...body, lines: [{ sku, quantity: 3, unitPrice: UNIT_PRICE }] };

    const problem = expectProblem(await api('POST', '/v1/orders', KEYS.web, different), 409);
    expect(problem.detail).toContain(orderId);

    const order = await waitForOrderStatus(orderId, 'allocated');
    expect(order.lines).toEqual([{ lineId: 'L1', sku, quantity: 1, unitPrice: UNIT_PRICE, cancelledQuantity: 0 }]);
    // also once the order is stored
    expectProblem(await api('POST', '/v1/orders', KEYS.web, different), 409);
  });

  it('keeps the same externalId from another channel as a different order', async () => {
    const body = orderRequest([{ sku, quantity: 1 }]);
    const webOrderId = await submit(body, KEYS.web);
    const storeOrderId = await submit({ ...body, lines: [{ sku, quantity: 2, unitPrice: UNIT_PRICE }] }, KEYS.store);
    expect(storeOrderId).not.toBe(webOrderId);

    const [web, store] = await Promise.all([waitForOrderStatus(webOrderId, 'allocated'), waitForOrderStatus(storeOrderId, 'allocated')]);
    expect(web).toMatchObject({ channel: 'web', externalId: body.externalId, lines: [{ quantity: 1 }] });
    expect(store).toMatchObject({ channel: 'store', externalId: body.externalId, lines: [{ quantity: 2 }] });
  });
});

describe('order validation', () => {
  let sku: string;
  beforeAll(async () => {
    sku = await stockedSku(100);
  });

  /** A valid request for mutation; its externalId is what `expectNothingWritten` checks. */
  const valid = () => orderRequest([{ sku, quantity: 1 }]);

  it.each([
    ['an unknown top-level field', (b: Record<string, unknown>) => ({ ...b, coupon: 'FREE' }), '(root)', /coupon/],
    ['a negative quantity', (b: Record<string, unknown>) => ({ ...b, lines: [{ sku, quantity: -1, unitPrice: 100 }] }), 'lines.0.quantity'],
    ['a fractional quantity', (b: Record<string, unknown>) => ({ ...b, lines: [{ sku, quantity: 1.5, unitPrice: 100 }] }), 'lines.0.quantity'],
    ['no lines', (b: Record<string, unknown>) => ({ ...b, lines: [] }), 'lines'],
    ['an invalid email', (b: Record<string, unknown>) => ({ ...b, customer: { id: 'c', email: 'not-an-email' } }), 'customer.email'],
    ['a lowercase currency', (b: Record<string, unknown>) => ({ ...b, currency: 'eur' }), 'currency'],
    ['no payment', ({ payment: _payment, ...b }: Record<string, unknown>) => b, 'payment'],
    ['a NUL in the customer name', (b: Record<string, unknown>) => ({ ...b, customer: { id: 'c', email: 'c@example.com', name: 'Eri\u0000ka' } }), 'customer.name', /control characters/],
    ['a line break in the street', (b: Record<string, unknown>) => ({ ...b, shippingAddress: { ...BERLIN_ADDRESS, line1: 'Unter den Linden 1\r\nBcc: x@example.com' } }), 'shippingAddress.line1', /control characters/],
  ])('rejects %s with 400 naming the field, and starts nothing', async (_case, mutate, path, message?: RegExp) => {
    const body = valid();
    const problem = expectProblem(await api('POST', '/v1/orders', KEYS.web, mutate(body)), 400);
    expect(problem.errors).toContainEqual({ path, message: message ? expect.stringMatching(message) : expect.any(String) });
    await expectNothingWritten('web', body.externalId);
  });

  it('rejects malformed JSON with 400, and starts nothing', async () => {
    const externalId = uniqueId('ext');
    const problem = expectProblem(await api('POST', '/v1/orders', KEYS.web, `{"externalId": "${externalId}", "lines": [}`), 400);
    expect(problem.title).toMatch(/malformed json/i);
    await expectNothingWritten('web', externalId);
  });

  it('rejects a SKU that no warehouse stocks with 422 naming the line, and starts nothing', async () => {
    const body = orderRequest([
      { sku, quantity: 1 },
      { sku: 'NO-SUCH-SKU', quantity: 1 },
    ]);
    const problem = expectProblem(await api('POST', '/v1/orders', KEYS.web, body), 422);
    expect(problem.errors).toEqual([{ path: 'lines.1.sku', message: expect.stringContaining('NO-SUCH-SKU') }]);
    await expectNothingWritten('web', body.externalId);
  });

  it('rejects a body over 64 kb with 413, and starts nothing', async () => {
    const body = valid();
    const oversized = { ...body, shippingAddress: { ...body.shippingAddress, line2: 'x'.repeat(70_000) } };
    const problem = expectProblem(await api('POST', '/v1/orders', KEYS.web, oversized), 413);
    expect(problem.type).toMatch(/payload-too-large/);
    await expectNothingWritten('web', body.externalId);
  });
});

describe('who sees an order', () => {
  let orderId: string;
  let externalId: string;
  let sku: string;
  beforeAll(async () => {
    sku = await stockedSku(10);
    const body = orderRequest([{ sku, quantity: 2 }], { customer: { id: 'cust-visible', email: 'v@example.com' } });
    externalId = body.externalId;
    orderId = await submit(body);
    await waitForOrderStatus(orderId, 'allocated');
  });

  it.each([
    ['the owning channel', KEYS.web],
    ['support', KEYS.support],
    ['admin', KEYS.admin],
  ])('shows the order with its documented fields to %s', async (_who, key) => {
    const response = await getOrder(orderId, key);
    expect(response.status).toBe(200);
    const order = response.body;
    expect(Object.keys(order).sort()).toEqual(
      [
        'orderId', 'externalId', 'channel', 'status', 'customer', 'shippingAddress', 'lines', 'total', 'payment',
        'allocations', 'unallocated', 'allowPartialShipment', 'shipments', 'returns', 'timeline', 'createdAt', 'updatedAt',
      ].sort(),
    );
    expect(order).toMatchObject({
      orderId,
      externalId,
      channel: 'web',
      status: 'allocated',
      customer: { id: 'cust-visible', email: 'v@example.com' },
      shippingAddress: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
      lines: [{ lineId: 'L1', sku, quantity: 2, unitPrice: UNIT_PRICE, cancelledQuantity: 0 }],
      total: { amount: 2 * UNIT_PRICE, currency: 'EUR' },
      payment: { status: 'authorized', authorized: 2 * UNIT_PRICE, captured: 0, refunded: 0, voided: 0, reauthorizations: 0 },
      allocations: [{ sku, warehouseId: WAREHOUSE_ID, quantity: 2 }],
      shipments: [
        {
          shipmentId: expect.any(String),
          warehouseId: WAREHOUSE_ID,
          status: 'pending',
          carrier: expect.any(String),
          trackingNumber: expect.any(String),
          lines: [{ sku, quantity: 2 }],
        },
      ],
    });
    expect(order.timeline.map((entry: { type: string }) => entry.type)).toEqual(['received', 'payment_authorized', 'allocated']);
    order.timeline.forEach((entry: unknown, index: number) =>
      expect(entry).toEqual({ id: `${order.orderId}-${index + 1}`, at: expect.any(String), type: expect.any(String), message: expect.any(String) }),
    );
    expect(Date.parse(order.createdAt)).not.toBeNaN();
    expect(Date.parse(order.updatedAt)).toBeGreaterThanOrEqual(Date.parse(order.createdAt));
  });

  it('answers 404 to another channel, as if the order did not exist', async () => {
    const problem = expectProblem(await getOrder(orderId, KEYS.store), 404);
    const missing = expectProblem(await getOrder('ord_000000000000000000000000', KEYS.store), 404);
    expect(problem.title).toBe(missing.title);
    expect(problem.detail).not.toContain('web');
  });

  it('does not let another channel cancel it', async () => {
    expectProblem(await cancel(orderId, KEYS.store), 404);
    expect((await getOrder(orderId)).body.status).toBe('allocated');
  });
});

describe('listing orders', () => {
  const customerId = uniqueId('cust-list');
  /** Created one after another, oldest first. */
  const created: Array<{ orderId: string; channel: 'web' | 'store'; declined: boolean }> = [];

  beforeAll(async () => {
    const sku = await stockedSku(100);
    const plan = [
      ['web', false], ['web', true], ['store', false], ['web', false], ['store', true], ['web', true], ['web', false],
    ] as const;
    for (const [channel, declined] of plan) {
      const body = orderRequest([{ sku, quantity: 1 }], {
        customer: { id: customerId, email: 'list@example.com' },
        payment: { token: declined ? 'tok_decline' : 'tok_ok' },
      });
      created.push({ orderId: await submit(body, KEYS[channel]), channel, declined });
    }
    await Promise.all(created.map(({ orderId, declined }) => waitForOrderStatus(orderId, declined ? 'payment_declined' : 'allocated')));
  });

  const list = async (query: string, key: string = KEYS.support) => {
    const response = await api('GET', `/v1/orders?${query}`, key);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as { items: Array<{ orderId: string; channel: string; status: string; createdAt: string }>; nextCursor: string | null };
  };
  const ids = (items: Array<{ orderId: string }>) => items.map((item) => item.orderId);
  /** Newest first; orders created in the same millisecond by id, descending (as the API documents its cursor). */
  const newestFirst = <T extends { orderId: string; createdAt: string }>(items: T[]) =>
    [...items].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.orderId.localeCompare(a.orderId));

  it("lists a customer's orders for support, newest first", async () => {
    const { items, nextCursor } = await list(`customerId=${customerId}`);
    expect(new Set(ids(items))).toEqual(new Set(created.map((c) => c.orderId)));
    expect(ids(items)).toEqual(ids(newestFirst(items)));
    // createdAt is the time of intake: it never goes down in the order the orders were submitted
    const createdAt = new Map(items.map((item) => [item.orderId, item.createdAt]));
    const inSubmissionOrder = created.map((c) => createdAt.get(c.orderId)!);
    expect(inSubmissionOrder).toEqual([...inSubmissionOrder].sort());
    expect(nextCursor).toBeNull();
  });

  it('filters by status', async () => {
    const { items } = await list(`customerId=${customerId}&status=payment_declined`);
    expect(new Set(ids(items))).toEqual(new Set(created.filter((c) => c.declined).map((c) => c.orderId)));
    expect(items.every((item) => item.status === 'payment_declined')).toBe(true);
  });

  it('filters by channel', async () => {
    const { items } = await list(`customerId=${customerId}&channel=store`);
    expect(new Set(ids(items))).toEqual(new Set(created.filter((c) => c.channel === 'store').map((c) => c.orderId)));
  });

  it('pages with nextCursor without duplicates or gaps', async () => {
    const all = ids((await list(`customerId=${customerId}`)).items);
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`customerId=${customerId}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      pages.push(ids(page.items));
      cursor = page.nextCursor;
    } while (cursor && pages.length < 10);
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(all);
  });

  it('shows a channel only its own orders', async () => {
    const { items } = await list(`customerId=${customerId}`, KEYS.web);
    expect(new Set(ids(items))).toEqual(new Set(created.filter((c) => c.channel === 'web').map((c) => c.orderId)));
    const unfiltered = await list('limit=100', KEYS.store);
    expect(unfiltered.items.length).toBeGreaterThan(0);
    expect(unfiltered.items.every((item) => item.channel === 'store')).toBe(true);
    expectProblem(await api('GET', '/v1/orders?channel=store', KEYS.web), 403);
  });

  it('rejects a cursor it did not issue and an unknown status with 400', async () => {
    const badCursor = expectProblem(await api('GET', '/v1/orders?cursor=not-a-cursor', KEYS.support), 400);
    expect(badCursor.errors).toEqual([expect.objectContaining({ path: 'query.cursor' })]);
    const badStatus = expectProblem(await api('GET', '/v1/orders?status=lost', KEYS.support), 400);
    expect(badStatus.errors).toEqual([expect.objectContaining({ path: 'query.status' })]);
  });
});

describe('order lifecycle', () => {
  it('reserves stock on allocation, ships it out and ends delivered as the warehouse reports its shipment', async () => {
    const { orderId, sku, shipmentId } = await allocatedOrder();
    expect(await inventoryAt(sku)).toEqual({ warehouseId: WAREHOUSE_ID, onHand: 10, reserved: 2, available: 8 });

    const shipped = await shipmentEvent(shipmentId, 'shipped');
    expect(shipped.status).toBe(202);
    expect(shipped.body).toMatchObject({ shipmentId, orderId, shipmentStatus: 'shipped' });
    const afterShipping = await waitForOrderStatus(orderId, 'shipped');
    expect(afterShipping.shipments[0].status).toBe('shipped');
    expect(await inventoryAt(sku)).toEqual({ warehouseId: WAREHOUSE_ID, onHand: 8, reserved: 0, available: 8 });

    const delivered = await shipmentEvent(shipmentId, 'delivered');
    expect(delivered.status).toBe(202);
    expect(delivered.body).toMatchObject({ shipmentId, orderId, shipmentStatus: 'delivered' });
    const order = await waitForOrderStatus(orderId, 'delivered');
    expect(order.shipments[0].status).toBe('delivered');
    expect(order.timeline.map((entry: { type: string }) => entry.type)).toEqual(
      expect.arrayContaining(['received', 'payment_authorized', 'allocated', 'shipment_shipped', 'shipment_delivered']),
    );
  });

  it('rejects "delivered" before "shipped" with 409 and leaves the shipment pending', async () => {
    const { orderId, shipmentId } = await allocatedOrder();
    const problem = expectProblem(await shipmentEvent(shipmentId, 'delivered'), 409);
    expect(problem.detail).toMatch(/pending/);
    const order = (await getOrder(orderId)).body;
    expect(order.status).toBe('allocated');
    expect(order.shipments[0].status).toBe('pending');
  });

  it('rejects any event after delivery with 409', async () => {
    const { orderId, shipmentId } = await allocatedOrder();
    expect((await shipmentEvent(shipmentId, 'shipped')).status).toBe(202);
    expect((await shipmentEvent(shipmentId, 'delivered')).status).toBe(202);
    await waitForOrderStatus(orderId, 'delivered');
    // while the order's workflow may still be finishing, and once it has certainly completed
    expectProblem(await shipmentEvent(shipmentId, 'delivered'), 409);
    expect(await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result()).toEqual({ orderId, status: 'delivered' });
    const problem = expectProblem(await shipmentEvent(shipmentId, 'delivered'), 409);
    expect(problem.detail).toMatch(/delivered/);
    expectProblem(await shipmentEvent(shipmentId, 'shipped'), 409);
    expect((await getOrder(orderId)).body.status).toBe('delivered');
  });

  it('answers 404 for an event about an unknown shipment', async () => {
    expectProblem(await shipmentEvent('shp_doesnotexist0000000', 'shipped'), 404);
  });

  it('cancels an allocated order: 202 cancelled, stock released, authorization voided', async () => {
    const { orderId, sku } = await allocatedOrder();
    expect((await inventoryAt(sku)).reserved).toBe(2);

    const response = await cancel(orderId);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ orderId, status: 'cancelled' });

    const order = await waitForOrderStatus(orderId, 'cancelled');
    expect(order.payment.status).toBe('voided');
    expect(order.timeline.at(-1)).toMatchObject({ type: 'cancelled', message: expect.stringContaining('customer changed their mind') });
    expect(await inventoryAt(sku)).toEqual({ warehouseId: WAREHOUSE_ID, onHand: 10, reserved: 0, available: 10 });
  });

  it('shows the unshipped shipment of a cancelled order as cancelled', async () => {
    const { orderId, shipmentId } = await allocatedOrder();
    expect((await cancel(orderId)).status).toBe(202);
    const order = await waitForOrderStatus(orderId, 'cancelled');
    expect(order.shipments).toEqual([expect.objectContaining({ shipmentId, status: 'cancelled' })]);
  });

  it('refuses to cancel an order that is already cancelled (409)', async () => {
    const { orderId } = await allocatedOrder();
    expect((await cancel(orderId, KEYS.support)).status).toBe(202);
    await waitForOrderStatus(orderId, 'cancelled');
    const problem = expectProblem(await cancel(orderId), 409);
    expect(problem.detail).toMatch(/cancelled/);
    await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
    expectProblem(await cancel(orderId), 409);
  });

  it('refuses to cancel once a shipment has shipped (409), and the order carries on', async () => {
    const { orderId, sku, shipmentId } = await allocatedOrder();
    expect((await shipmentEvent(shipmentId, 'shipped')).status).toBe(202);
    await waitForOrderStatus(orderId, 'shipped');

    const problem = expectProblem(await cancel(orderId), 409);
    expect(problem.detail).toMatch(/shipped/);
    const order = (await getOrder(orderId)).body;
    expect(order).toMatchObject({ status: 'shipped' });
    // Shipping captured the payment: one shipment, so all of it.
    await expect.poll(async () => (await getOrder(orderId)).body.payment).toMatchObject({ status: 'captured', captured: order.total.amount });
    expect(await inventoryAt(sku)).toEqual({ warehouseId: WAREHOUSE_ID, onHand: 8, reserved: 0, available: 8 });
    expect((await shipmentEvent(shipmentId, 'delivered')).status).toBe(202);
    await waitForOrderStatus(orderId, 'delivered');
  });

  it('refuses control characters in a reason to cancel (400), and cancels nothing', async () => {
    const { orderId } = await allocatedOrder();
    const problem = expectProblem(await api('POST', `/v1/orders/${orderId}/cancel`, KEYS.support, { reason: 'changed\u0007 mind' }), 400);
    expect(problem.errors).toContainEqual({ path: 'reason', message: expect.stringMatching(/control characters/) });
    expect((await getOrder(orderId)).body.status).toBe('allocated');
  });

  it('requires a reason to cancel (400) and lets no warehouse cancel (403)', async () => {
    const { orderId } = await allocatedOrder();
    const problem = expectProblem(await api('POST', `/v1/orders/${orderId}/cancel`, KEYS.web, {}), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'reason' })]);
    expectProblem(await cancel(orderId, KEYS.warehouse), 403);
    expect((await getOrder(orderId)).body.status).toBe('allocated');
  });

  it('cancels some units of a line: 202, their stock released and their value voided; the rest goes ahead', async () => {
    const { orderId, sku } = await allocatedOrder();
    const cancelLines = (lines: unknown) => api('POST', `/v1/orders/${orderId}/cancel`, KEYS.web, { reason: 'one is enough', lines });

    expect(expectProblem(await cancelLines([{ lineId: 'L1', quantity: 0 }]), 400).errors).toEqual([
      expect.objectContaining({ path: 'lines.0.quantity' }),
    ]);
    expect(expectProblem(await cancelLines([{ lineId: 'L1', quantity: 3 }]), 409).detail).toMatch(/line L1 has only 2 units left to cancel/);
    const response = await cancelLines([{ lineId: 'L1', quantity: 1 }]);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ orderId, status: 'allocated' });

    const order = (await getOrder(orderId)).body;
    expect(order.lines).toEqual([expect.objectContaining({ lineId: 'L1', quantity: 2, cancelledQuantity: 1 })]);
    expect(order.payment).toMatchObject({ status: 'authorized', voided: UNIT_PRICE });
    expect(order.shipments[0].lines).toEqual([{ sku, quantity: 1 }]);
    expect(await inventoryAt(sku)).toMatchObject({ onHand: 10, reserved: 1 });
  });

  it('changes the shipping address until the first shipment ships (202), then refuses (409)', async () => {
    const { orderId, shipmentId } = await allocatedOrder();
    const changeAddress = (address: unknown) => api('PATCH', `/v1/orders/${orderId}/shipping-address`, KEYS.support, address);
    const moved = { ...BERLIN_ADDRESS, line1: 'Alexanderplatz 1', postalCode: '10178' };

    const { city: _omitted, ...withoutCity } = moved;
    expect(expectProblem(await changeAddress(withoutCity), 400).errors).toEqual([expect.objectContaining({ path: 'city' })]);
    const response = await changeAddress(moved);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ orderId, status: 'allocated', rerouted: false, warehouseIds: [WAREHOUSE_ID] });
    const order = (await getOrder(orderId)).body;
    expect(order.shippingAddress).toMatchObject({ line1: 'Alexanderplatz 1' });
    expect(order.timeline.at(-1)).toMatchObject({ type: 'shipping_address_changed' });

    const rebooked = order.shipments.find((s: { status: string }) => s.status === 'pending');
    expect(rebooked.shipmentId).not.toBe(shipmentId);
    expect((await shipmentEvent(rebooked.shipmentId, 'shipped')).status).toBe(202);
    expect(expectProblem(await changeAddress(BERLIN_ADDRESS), 409).detail).toMatch(/has already left the warehouse/);
  });

  it('ends a declined payment as payment_declined with nothing reserved', async () => {
    const sku = await stockedSku(10);
    const orderId = await submit(orderRequest([{ sku, quantity: 2 }], { payment: { token: 'tok_decline' } }));
    const order = await waitForOrderStatus(orderId, 'payment_declined');
    expect(order).toMatchObject({ allocations: [], shipments: [], payment: { status: 'declined', authorized: 0 } });
    expect(await inventoryAt(sku)).toEqual({ warehouseId: WAREHOUSE_ID, onHand: 10, reserved: 0, available: 10 });
    expectProblem(await cancel(orderId), 409);
  });

  it('rides out a payment provider that fails twice before approving', async () => {
    const sku = await stockedSku(10);
    const orderId = await submit(orderRequest([{ sku, quantity: 1 }], { payment: { token: 'tok_flaky' } }));
    const order = await waitForOrderStatus(orderId, 'allocated', 30_000);
    expect(order.payment).toMatchObject({ status: 'authorized', authorized: UNIT_PRICE });
    expect((await inventoryAt(sku)).reserved).toBe(1);
  });

  it('backorders what no warehouse has, shows what it waits for, and allocates once stock is received', async () => {
    const sku = await stockedSku(1);
    const orderId = await submit(orderRequest([{ sku, quantity: 2 }]));
    const waiting = await waitForOrderStatus(orderId, 'backordered');
    expect(waiting).toMatchObject({ unallocated: [{ sku, quantity: 1 }], shipments: [], payment: { status: 'authorized' } });
    expect(waiting.backorderDeadline).toEqual(expect.any(String));
    expect(await inventoryAt(sku)).toMatchObject({ onHand: 1, reserved: 1, available: 0 });

    expect((await api('PUT', `/v1/inventory/${sku}/${WAREHOUSE_ID}`, KEYS.admin, { onHand: 5 })).status).toBe(200);
    const allocated = await waitForOrderStatus(orderId, 'allocated');
    expect(allocated).toMatchObject({ unallocated: [], allocations: [{ sku, warehouseId: WAREHOUSE_ID, quantity: 2 }] });
    expect(await inventoryAt(sku)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
  });

  it('cancels a backordered order, releasing what it held', async () => {
    const sku = await stockedSku(1);
    const orderId = await submit(orderRequest([{ sku, quantity: 2 }]));
    await waitForOrderStatus(orderId, 'backordered');
    const cancelled = await api('POST', `/v1/orders/${orderId}/cancel`, KEYS.support, { reason: 'customer gave up waiting' });
    expect(cancelled).toMatchObject({ status: 202, body: { status: 'cancelled' } });
    expect(await inventoryAt(sku)).toEqual({ warehouseId: WAREHOUSE_ID, onHand: 1, reserved: 0, available: 1 });
  });
});

describe('review holds', () => {
  const review = (orderId: string, body: object, key: string = KEYS.support) => api('POST', `/v1/orders/${orderId}/review`, key, body);

  it('holds a flagged order until support approves it, then allocates it', async () => {
    const sku = await stockedSku(5);
    const orderId = await submit(orderRequest([{ sku, quantity: 1 }], { payment: { token: 'tok_review' } }));
    const held = await waitForOrderStatus(orderId, 'awaiting_review');
    expect(held.review).toMatchObject({ reason: expect.stringContaining('review'), deadline: expect.any(String) });
    expect(await inventoryAt(sku)).toMatchObject({ reserved: 0 });

    expectProblem(await review(orderId, { decision: 'approve' }, KEYS.web), 403);
    expectProblem(await review(orderId, { decision: 'maybe' }), 400);
    expect(await review(orderId, { decision: 'approve', note: 'known customer' })).toMatchObject({ status: 202 });
    const allocated = await waitForOrderStatus(orderId, 'allocated');
    expect(allocated.review).toMatchObject({ decision: 'approve', note: 'known customer', reviewer: 'support' });
    expectProblem(await review(orderId, { decision: 'reject' }), 409);
  });

  it('rejecting a held order voids its authorization and ends it cancelled', async () => {
    const sku = await stockedSku(5);
    const orderId = await submit(orderRequest([{ sku, quantity: 1 }], { payment: { token: 'tok_review' } }));
    await waitForOrderStatus(orderId, 'awaiting_review');
    expect(await review(orderId, { decision: 'reject', note: 'card testing pattern' })).toMatchObject({ status: 202 });
    const cancelled = await waitForOrderStatus(orderId, 'cancelled');
    expect(cancelled).toMatchObject({ payment: { status: 'voided' }, review: { decision: 'reject' } });
  });
});
