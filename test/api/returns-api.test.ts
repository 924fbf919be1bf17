/**
 * Returns through the HTTP API, in one process: the real Express app and a real order worker on the suite's
 * Temporal dev server and FerretDB, with a 30-day return window. Opening a return (who may, validation,
 * conflicts with the order's state), recording its receipt at the warehouse, and what the order shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERLIN_ADDRESS, PLACES, uniqueId } from '../support/fixtures.js';
import { KEYS, expectProblem, startApi, type ApiCall, type ApiHarness } from './harness.js';

const WAREHOUSE_ID = 'wh-berlin';
const UNIT_PRICE = 1250;

let harness: ApiHarness;
let api: ApiCall;

beforeAll(async () => {
  harness = await startApi({ database: 'api_returns', worker: true, orderPolicy: { returnWindowMs: 30 * 86_400_000 } });
  api = harness.api;
  expect((await api('PUT', `/v1/warehouses/${WAREHOUSE_ID}`, KEYS.admin, { name: 'Berlin', ...PLACES.berlin })).status).toBe(201);
});

afterAll(async () => {
  // The orders' workflows wait out their return windows; stop them with the test.
  const { items } = (await api('GET', '/v1/orders?limit=100', KEYS.support)).body;
  await Promise.all(
    items.map((o: { orderId: string }) => harness.temporal.workflow.getHandle(`order-${o.orderId}`).terminate('test finished').catch(() => undefined)),
  );
  await harness?.close();
});

/** Polls the order until `predicate` holds, and returns it. */
async function orderWhen(orderId: string, predicate: (order: any) => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await api('GET', `/v1/orders/${orderId}`, KEYS.support);
    if (response.status === 200 && predicate(response.body)) return response.body;
    if (Date.now() > deadline) throw new Error(`order ${orderId} never got ${what}; last seen: ${JSON.stringify(response.body, null, 2)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An order of `quantity` units of a fresh SKU (10 in stock) from the web channel, allocated, then delivered unless told not to. */
async function order(quantity: number, { deliver = true } = {}) {
  const sku = uniqueId('SKU');
  expect((await api('PUT', `/v1/inventory/${sku}/${WAREHOUSE_ID}`, KEYS.warehouse, { onHand: 10 })).status).toBe(200);
  const created = await api('POST', '/v1/orders', KEYS.web, {
    externalId: uniqueId('ext'),
    customer: { id: 'cust-1', email: 'erika@example.com', name: 'Erika Mustermann' },
    shippingAddress: BERLIN_ADDRESS,
    lines: [{ sku, quantity, unitPrice: UNIT_PRICE }],
    currency: 'EUR',
    payment: { token: 'tok_ok' },
  });
  expect(created.status).toBe(202);
  const orderId: string = created.body.orderId;
  const { shipments } = await orderWhen(orderId, (o) => o.status === 'allocated', 'allocated');
  if (deliver) {
    for (const type of ['shipped', 'delivered']) {
      expect((await api('POST', `/v1/shipments/${shipments[0].shipmentId}/events`, KEYS.warehouse, { type })).status).toBe(202);
    }
    await orderWhen(orderId, (o) => o.status === 'delivered' && o.returnsAcceptedUntil, 'delivered');
  }
  return { orderId, sku };
}

const openReturn = (orderId: string, body: unknown, key: string = KEYS.web) => api('POST', `/v1/orders/${orderId}/returns`, key, body);
const recordReceipt = (orderId: string, returnId: string, body: unknown, key: string = KEYS.warehouse) =>
  api('POST', `/v1/orders/${orderId}/returns/${returnId}/receipt`, key, body);

describe('returns', () => {
  let delivered: { orderId: string; sku: string };
  beforeAll(async () => {
    delivered = await order(3);
  });

  it('opens a return (202), restocks and refunds what the warehouse received, and shows it all on the order', async () => {
    const { orderId, sku } = await order(2);
    const opened = await openReturn(orderId, { lines: [{ lineId: 'L1', quantity: 2 }], reason: 'wrong colour' });
    expect(opened.status).toBe(202);
    const returnId = `${orderId}-1`;
    expect(opened.body).toEqual({ orderId, returnId, status: 'requested', receiptDeadline: expect.any(String), orderStatus: 'returned' });

    const open = (await api('GET', `/v1/orders/${orderId}`, KEYS.web)).body;
    expect(open).toMatchObject({
      status: 'returned',
      returnsAcceptedUntil: expect.any(String),
      returns: [{ returnId, status: 'requested', lines: [{ lineId: 'L1', sku, quantity: 2 }], reason: 'wrong colour', requestedBy: 'channel:web' }],
    });

    const received = await recordReceipt(orderId, returnId, { warehouseId: WAREHOUSE_ID, lines: [{ sku, quantity: 2 }] });
    expect(received.status).toBe(202);
    expect(received.body).toEqual({ orderId, returnId, status: 'received' });

    const refunded = await orderWhen(orderId, (o) => o.returns[0].status === 'refunded', 'its return refunded');
    expect(refunded).toMatchObject({
      status: 'returned',
      payment: { status: 'refunded', captured: 2 * UNIT_PRICE, refunded: 2 * UNIT_PRICE },
      returns: [
        {
          returnId,
          status: 'refunded',
          amount: 2 * UNIT_PRICE,
          receipt: { warehouseId: WAREHOUSE_ID, lines: [{ sku, quantity: 2 }], recordedBy: 'warehouse', receivedAt: expect.any(String) },
          settledAt: expect.any(String),
        },
      ],
    });
    expect(refunded.timeline.map((t: { type: string }) => t.type)).toEqual(expect.arrayContaining(['return_requested', 'return_received', 'return_refunded']));
    const stock = (await api('GET', `/v1/inventory/${sku}`, KEYS.support)).body;
    expect(stock.locations).toEqual([{ warehouseId: WAREHOUSE_ID, onHand: 10, reserved: 0, available: 10 }]);
    const movements = (await api('GET', `/v1/inventory/${sku}/movements`, KEYS.support)).body.items;
    expect(movements[0]).toMatchObject({ kind: 'restock', onHandDelta: 2, key: `return:${returnId}:restock:${sku}:${WAREHOUSE_ID}`, orderId });

    // The return is over: another receipt is a conflict, not a second restock.
    const again = expectProblem(await recordReceipt(orderId, returnId, { warehouseId: WAREHOUSE_ID, lines: [{ sku, quantity: 2 }] }), 409);
    expect(again.detail).toMatch(/refunded/);
  });

  it('rejects invalid bodies with 400 naming the field', async () => {
    const { orderId, sku } = delivered;
    const cases: Array<[unknown, string]> = [
      [{ lines: [{ lineId: 'L1', quantity: 1 }] }, 'reason'],
      [{ lines: [], reason: 'x' }, 'lines'],
      [{ lines: [{ lineId: 'L1', quantity: 0 }], reason: 'x' }, 'lines.0.quantity'],
      [{ lines: [{ lineId: 'L1', quantity: 1.5 }], reason: 'x' }, 'lines.0.quantity'],
      [{ lines: [{ lineId: '', quantity: 1 }], reason: 'x' }, 'lines.0.lineId'],
      [{ lines: [{ lineId: 'L'.repeat(65), quantity: 1 }], reason: 'x' }, 'lines.0.lineId'],
      [{ lines: [{ lineId: 'L1', quantity: 1 }, { lineId: 'L1', quantity: 1 }], reason: 'x' }, 'lines'],
      // Returns name order lines now, not SKUs.
      [{ lines: [{ sku, quantity: 1 }], reason: 'x' }, 'lines.0.lineId'],
      [{ lines: [{ lineId: 'L1', quantity: 1 }], reason: 'x', refund: 100 }, '(root)'],
    ];
    for (const [body, path] of cases) {
      const problem = expectProblem(await openReturn(orderId, body), 400);
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    }
    const receipt = expectProblem(await recordReceipt(orderId, `${orderId}-1`, { lines: [{ sku, quantity: 1 }] }), 400);
    expect(receipt.errors).toEqual([expect.objectContaining({ path: 'warehouseId' })]);
    expect((await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.returns).toEqual([]);
  });

  it('answers 409 with the reason for units that cannot be returned, and for an order not delivered yet', async () => {
    const { orderId, sku } = delivered;
    const tooMany = expectProblem(await openReturn(orderId, { lines: [{ lineId: 'L1', quantity: 4 }], reason: 'x' }), 409);
    expect(tooMany.detail).toBe(`Order ${orderId} cannot take this return: only 3 of the 3 delivered units of line L1 (${sku}) can still be returned.`);
    const unknown = expectProblem(await openReturn(orderId, { lines: [{ lineId: 'L2', quantity: 1 }], reason: 'x' }), 409);
    expect(unknown.detail).toBe(`Order ${orderId} cannot take this return: the order has no line L2.`);

    const pending = await order(1, { deliver: false });
    const early = expectProblem(await openReturn(pending.orderId, { lines: [{ lineId: 'L1', quantity: 1 }], reason: 'x' }), 409);
    expect(early.detail).toMatch(/only a delivered order takes returns \(this one is allocated\)/);
    expect((await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body).toMatchObject({ status: 'delivered', returns: [] });
  });

  it('points a cancel of a delivered order to a return (409)', async () => {
    const { orderId } = delivered;
    const problem = expectProblem(await api('POST', `/v1/orders/${orderId}/cancel`, KEYS.web, { reason: 'changed my mind' }), 409);
    expect(problem.detail).toMatch(/can no longer be cancelled: it has been delivered \(\w+\); open a return instead\.$/);
  });

  it('answers 409 to a receipt that does not fit its return, 404 to an unknown return, 422 to an unknown warehouse', async () => {
    const { orderId, sku } = await order(2);
    const { returnId } = (await openReturn(orderId, { lines: [{ lineId: 'L1', quantity: 1 }], reason: 'x' })).body;
    const tooMany = expectProblem(await recordReceipt(orderId, returnId, { warehouseId: WAREHOUSE_ID, lines: [{ sku, quantity: 2 }] }), 409);
    expect(tooMany.detail).toBe(`Return ${returnId} cannot be received: the return announced only 1 units of ${sku}.`);
    expectProblem(await recordReceipt(orderId, `${orderId}-9`, { warehouseId: WAREHOUSE_ID, lines: [{ sku, quantity: 1 }] }), 404);
    const unknown = expectProblem(await recordReceipt(orderId, returnId, { warehouseId: 'wh-nowhere', lines: [{ sku, quantity: 1 }] }), 422);
    expect(unknown.errors).toEqual([expect.objectContaining({ path: 'warehouseId' })]);
    expect((await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body.returns).toMatchObject([{ returnId, status: 'requested' }]);
  });

  it('lets only the owning channel and support open a return, and only a warehouse record its receipt', async () => {
    const { orderId, sku } = delivered;
    const oneUnit = { lines: [{ lineId: 'L1', quantity: 1 }] };
    expectProblem(await openReturn(orderId, { ...oneUnit, reason: 'x' }, KEYS.store), 404);
    expectProblem(await openReturn(orderId, { ...oneUnit, reason: 'x' }, KEYS.warehouse), 403);
    expectProblem(await recordReceipt(orderId, `${orderId}-1`, { warehouseId: WAREHOUSE_ID, lines: [{ sku, quantity: 1 }] }, KEYS.support), 403);
    expectProblem(await openReturn('ord_000000000000000000000000', { ...oneUnit, reason: 'x' }, KEYS.support), 404);
    const bySupport = await openReturn(orderId, { ...oneUnit, reason: 'damaged' }, KEYS.support);
    expect(bySupport.status).toBe(202);
    expect(bySupport.body).toMatchObject({ returnId: `${orderId}-1`, orderStatus: 'partially_returned' });
  });

  it('documents both endpoints in the OpenAPI document: a return names order lines, its receipt SKUs', async () => {
    const { paths, components } = (await api('GET', '/openapi.json')).body;
    expect(paths['/v1/orders/{orderId}/returns'].post.responses).toHaveProperty('202');
    expect(paths['/v1/orders/{orderId}/returns/{returnId}/receipt'].post.responses).toHaveProperty('422');
    expect(components.schemas.ReturnRequest.properties.lines.items.required).toEqual(['lineId', 'quantity']);
    expect(components.schemas.ReturnReceiptRequest.properties.lines.items.required).toEqual(['sku', 'quantity']);
  });
});
