/**
 * Warehouse keys bound to their warehouses (`API_KEYS`: `<key>=warehouse:<id>`): another warehouse's
 * shipment or stock is a 404 for them, and a return received into another warehouse a 422 (an unknown
 * warehouse), as if it did not exist; nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACES } from '../support/fixtures.js';
import { expectProblem, orderBody, startApi, type ApiCall, type ApiHarness } from './harness.js';

const KEY = {
  web: 'web-channel-key-0123456789',
  support: 'support-key-0123456789',
  admin: 'admin-key-01234567890',
  berlin: 'berlin-key-0123456789',
  paris: 'paris-key-01234567890',
};

let harness: ApiHarness;
let api: ApiCall;

beforeAll(async () => {
  harness = await startApi({
    database: 'api_warehouse_keys',
    worker: true,
    orderPolicy: { returnWindowMs: 30 * 86_400_000 },
    env: {
      API_KEYS: `${KEY.web}=channel:web,${KEY.support}=support,${KEY.admin}=admin,${KEY.berlin}=warehouse:wh-berlin,${KEY.paris}=warehouse:wh-paris`,
    },
  });
  api = harness.api;
  for (const [id, place] of [['wh-berlin', PLACES.berlin], ['wh-paris', PLACES.paris]] as const) {
    expect((await api('PUT', `/v1/warehouses/${id}`, KEY.admin, { name: id, ...place })).status).toBe(201);
  }
});

afterAll(async () => {
  await harness?.close();
});

async function waitForStatus(orderId: string, status: string) {
  for (const deadline = Date.now() + 20_000; ; ) {
    const { body } = await api('GET', `/v1/orders/${orderId}`, KEY.support);
    if (body.status === status) return body;
    if (Date.now() > deadline) throw new Error(`order ${orderId} is ${body.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a warehouse key bound to its warehouse', () => {
  it("sets its own stock, and gets 404 for another warehouse's", async () => {
    expect((await api('PUT', '/v1/inventory/SKU-KEYS/wh-berlin', KEY.berlin, { onHand: 5 })).status).toBe(200);
    expectProblem(await api('PUT', '/v1/inventory/SKU-KEYS/wh-berlin', KEY.paris, { onHand: 500 }), 404);
    expectProblem(await api('POST', '/v1/inventory/SKU-KEYS/wh-berlin/adjustments', KEY.paris, { delta: 10, reason: 'not ours' }), 404);
    expect((await api('GET', '/v1/inventory/SKU-KEYS', KEY.support)).body.available).toBe(5);
  });

  it("ships and delivers its own warehouse's shipments and receives returns into its stock only; another warehouse's are not there for it", async () => {
    expect((await api('PUT', '/v1/inventory/SKU-KEYS-2/wh-berlin', KEY.admin, { onHand: 5 })).status).toBe(200);
    const placed = await api('POST', '/v1/orders', KEY.web, orderBody('keys-1', 'SKU-KEYS-2'));
    expect(placed.status).toBe(202);
    const { orderId } = placed.body;
    const { shipmentId, warehouseId } = (await waitForStatus(orderId, 'allocated')).shipments[0];
    expect(warehouseId).toBe('wh-berlin');

    const notTheirs = expectProblem(await api('POST', `/v1/shipments/${shipmentId}/events`, KEY.paris, { type: 'shipped' }), 404);
    expect(notTheirs.detail).toBe(`Shipment ${shipmentId} was not found.`);
    expect((await api('GET', `/v1/orders/${orderId}`, KEY.support)).body.shipments[0].status).toBe('pending');
    for (const type of ['shipped', 'delivered']) expect((await api('POST', `/v1/shipments/${shipmentId}/events`, KEY.berlin, { type })).status).toBe(202);
    await waitForStatus(orderId, 'delivered');

    expect((await api('POST', `/v1/orders/${orderId}/returns`, KEY.support, { lines: [{ lineId: 'L1', quantity: 1 }], reason: 'Too big' })).status).toBe(202);
    const { returnId } = (await waitForStatus(orderId, 'returned')).returns[0];
    const receipt = { warehouseId: 'wh-berlin', lines: [{ sku: 'SKU-KEYS-2', quantity: 1 }] };
    // Into another warehouse's stock: that warehouse does not exist for this key (422, as for an unknown one).
    expectProblem(await api('POST', `/v1/orders/${orderId}/returns/${returnId}/receipt`, KEY.paris, receipt), 422);
    expect((await api('POST', `/v1/orders/${orderId}/returns/${returnId}/receipt`, KEY.berlin, receipt)).status).toBe(202);
  });
});
