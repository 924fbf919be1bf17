/**
 * Inventory operations over real HTTP, FerretDB and Temporal: warehouse enable/disable and priority,
 * safety stock, stock adjustments (with Idempotency-Key), the ledger list, low-stock thresholds and alerts,
 * the inventory list, and reconciliation (endpoint and `npm run reconcile`). A worker runs so that a stock
 * increase visibly wakes the SKU's restock dispatcher; no orders are placed here (others cover them).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendReservation } from '../../persistence/stock-ledger.js';
import { KEYS, expectProblem, startApi, type ApiCall, type ApiHarness } from './harness.js';
import { PLACES, uniqueId } from '../support/fixtures.js';
import { restockWorkflowId } from '../../contracts/ids.js';
import { WarehouseModel } from '../../persistence/warehouses.js';
import {
  InventoryLevelModel,
  LocationSettingModel,
  locationId,
  StockAlertModel,
  StockMovementModel,
} from '../../persistence/stock-models.js';
import { NotificationModel } from '../../persistence/notifications.js';

let harness: ApiHarness;
let api: ApiCall;

beforeAll(async () => {
  harness = await startApi({ database: 'api_inventory', worker: true });
  api = harness.api;
});

afterAll(async () => {
  await harness?.close();
});

async function createWarehouse(place: (typeof PLACES)[keyof typeof PLACES] = PLACES.berlin): Promise<string> {
  const warehouseId = uniqueId('wh');
  const response = await api('PUT', `/v1/warehouses/${warehouseId}`, KEYS.admin, { name: warehouseId, ...place });
  expect(response.status).toBe(201);
  return warehouseId;
}

async function setStock(sku: string, warehouseId: string, body: { onHand: number; safetyStock?: number }) {
  const response = await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.admin, body);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

const adjust = (sku: string, warehouseId: string, body: unknown, key: string = KEYS.admin, headers?: Record<string, string>) =>
  api('POST', `/v1/inventory/${sku}/${warehouseId}/adjustments`, key, body, headers);

/** Reserves stock straight through the ledger, as an order's reservation would (no order flow here). */
async function reserve(sku: string, warehouseId: string, quantity: number): Promise<void> {
  await appendReservation({ sku, warehouseId, quantity, key: `test-reserve:${randomUUID()}`, actor: 'test' });
}

const ledgerOf = (sku: string) => StockMovementModel.find({ sku }).sort({ warehouseId: 1, seq: 1 }).lean();
/** The stored level of a location with its safety stock (kept in its own document). */
const levelOf = async (sku: string, warehouseId: string) => {
  const [level, settings] = await Promise.all([
    InventoryLevelModel.findOne({ sku, warehouseId }).lean(),
    LocationSettingModel.findById(locationId(sku, warehouseId)).lean(),
  ]);
  return level && { ...level, safetyStock: settings?.safetyStock ?? 0 };
};

/** Every page of a list endpoint, following nextCursor. */
async function allPages(path: string, key: string = KEYS.admin): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const response = await api('GET', cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path, key);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    items.push(...response.body.items);
    cursor = response.body.nextCursor;
    pages++;
    expect(pages, 'pagination terminates').toBeLessThan(1_000);
  } while (cursor);
  return { items, pages };
}

async function listed(sku: string, query = ''): Promise<any | undefined> {
  const { items } = await allPages(`/v1/inventory?limit=100${query}`, KEYS.web);
  return items.find((item) => item.sku === sku);
}

async function lowStockNotifications(sku: string) {
  return (await NotificationModel.find({ event: 'low_stock' }).lean()).filter((n) => n.key.startsWith(`stock:${sku}:low:`));
}

describe('PATCH /v1/warehouses/{warehouseId}', () => {
  it('disables a warehouse and changes its priority, keeping the other fields', async () => {
    const warehouseId = await createWarehouse();
    const disabled = await api('PATCH', `/v1/warehouses/${warehouseId}`, KEYS.admin, { active: false });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toEqual({
      warehouseId,
      name: warehouseId,
      country: 'DE',
      location: PLACES.berlin.location,
      active: false,
      priority: 0,
    });
    expect((await WarehouseModel.findById(warehouseId).lean())?.active).toBe(false);

    const prioritised = await api('PATCH', `/v1/warehouses/${warehouseId}`, KEYS.admin, { priority: 7 });
    expect(prioritised.body).toMatchObject({ active: false, priority: 7 });

    // A PUT replaces name, country and location but leaves active and priority alone.
    const replaced = await api('PUT', `/v1/warehouses/${warehouseId}`, KEYS.admin, { name: 'Renamed', ...PLACES.munich });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: 'Renamed', active: false, priority: 7 });

    const enabled = await api('PATCH', `/v1/warehouses/${warehouseId}`, KEYS.admin, { active: true, priority: -3 });
    expect(enabled.body).toMatchObject({ warehouseId, name: 'Renamed', active: true, priority: -3 });
  });

  it('answers 404 for an unknown warehouse and creates nothing', async () => {
    const warehouseId = uniqueId('wh');
    const problem = expectProblem(await api('PATCH', `/v1/warehouses/${warehouseId}`, KEYS.admin, { active: false }), 404);
    expect(problem.detail).toContain(warehouseId);
    expect(await WarehouseModel.exists({ _id: warehouseId })).toBeNull();
  });

  it.each([
    ['an empty body', {}, '(root)'],
    ['an unknown field', { active: false, name: 'X' }, '(root)'],
    ['a non-boolean active', { active: 'no' }, 'active'],
    ['a fractional priority', { priority: 1.5 }, 'priority'],
  ])('rejects %s with 400 and changes nothing', async (_label, body, path) => {
    const warehouseId = await createWarehouse();
    const problem = expectProblem(await api('PATCH', `/v1/warehouses/${warehouseId}`, KEYS.admin, body), 400);
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(await WarehouseModel.findById(warehouseId).lean()).toMatchObject({ active: true, priority: 0 });
  });

  it('is for admins only (403)', async () => {
    const warehouseId = await createWarehouse();
    for (const key of [KEYS.warehouse, KEYS.support, KEYS.web]) {
      expectProblem(await api('PATCH', `/v1/warehouses/${warehouseId}`, key, { active: false }), 403);
    }
    expect((await WarehouseModel.findById(warehouseId).lean())?.active).toBe(true);
  });

  it('refuses the reserved warehouse ids that inventory paths use', async () => {
    for (const id of ['settings', 'movements']) {
      const problem = expectProblem(await api('PUT', `/v1/warehouses/${id}`, KEYS.admin, { name: id, ...PLACES.berlin }), 400);
      expect(problem.errors?.[0].path).toMatch(/^path/);
    }
  });
});

describe('safety stock', () => {
  it('is stored on the location and kept back from what is available', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('SAFE');
    expect(await setStock(sku, warehouseId, { onHand: 10, safetyStock: 3 })).toEqual({
      sku,
      warehouseId,
      onHand: 10,
      reserved: 0,
      safetyStock: 3,
      available: 7,
    });
    expect((await levelOf(sku, warehouseId))?.safetyStock).toBe(3);
    expect((await api('GET', `/v1/inventory/${sku}`, KEYS.web)).body).toEqual({
      sku,
      available: 7,
      locations: [{ warehouseId, onHand: 10, reserved: 0, available: 7 }],
    });

    // Absent safetyStock leaves it as it is; available never drops below 0.
    expect(await setStock(sku, warehouseId, { onHand: 2 })).toMatchObject({ onHand: 2, safetyStock: 3, available: 0 });
    // Reservations and safety stock both come off.
    await setStock(sku, warehouseId, { onHand: 10 });
    await reserve(sku, warehouseId, 4);
    expect(await setStock(sku, warehouseId, { onHand: 10, safetyStock: 1 })).toMatchObject({ reserved: 4, safetyStock: 1, available: 5 });
  });

  it('is not stored when the count is refused (409), nor when the body is invalid (400)', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('SAFE');
    await setStock(sku, warehouseId, { onHand: 5, safetyStock: 1 });
    await reserve(sku, warehouseId, 3);
    expectProblem(await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.admin, { onHand: 2, safetyStock: 4 }), 409);
    const problem = expectProblem(await api('PUT', `/v1/inventory/${sku}/${warehouseId}`, KEYS.admin, { onHand: 5, safetyStock: -1 }), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'safetyStock' })]);
    expect(await levelOf(sku, warehouseId)).toMatchObject({ onHand: 5, reserved: 3, safetyStock: 1 });
  });
});

describe('POST /v1/inventory/{sku}/{warehouseId}/adjustments', () => {
  it('receives stock (201), records a movement, and answers with the movement and the level', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('ADJ');
    const response = await adjust(sku, warehouseId, { delta: 12, reason: 'PO 4711 received' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      movement: {
        sku,
        warehouseId,
        seq: 1,
        kind: 'receive',
        onHandDelta: 12,
        reservedDelta: 0,
        onHand: 12,
        reserved: 0,
        key: expect.stringMatching(/^adjust:/),
        reason: 'PO 4711 received',
        actor: 'admin',
        at: expect.any(String),
      },
      level: { sku, warehouseId, onHand: 12, reserved: 0, safetyStock: 0, available: 12 },
    });
    expect(Date.parse(response.body.movement.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(await ledgerOf(sku)).toHaveLength(1);
    expect((await api('GET', `/v1/inventory/${sku}`, KEYS.support)).body.available).toBe(12);
  });

  it('removes stock with a negative delta (kind adjust by default), and takes explicit kinds', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('ADJ');
    await adjust(sku, warehouseId, { delta: 10, reason: 'initial' });
    const damaged = await adjust(sku, warehouseId, { delta: -3, reason: 'damaged in handling' }, KEYS.warehouse);
    expect(damaged.status).toBe(201);
    expect(damaged.body.movement).toMatchObject({ seq: 2, kind: 'adjust', onHandDelta: -3, onHand: 7, actor: 'warehouse' });
    expect(damaged.body.level).toMatchObject({ onHand: 7, available: 7 });

    const returned = await adjust(sku, warehouseId, { delta: 1, reason: 'customer return', kind: 'restock' });
    expect(returned.body.movement).toMatchObject({ seq: 3, kind: 'restock', onHandDelta: 1, onHand: 8 });
    const found = await adjust(sku, warehouseId, { delta: 2, reason: 'cycle count', kind: 'adjust' });
    expect(found.body.movement).toMatchObject({ seq: 4, kind: 'adjust', onHandDelta: 2, onHand: 10 });
    expect((await ledgerOf(sku)).map((m) => m.kind)).toEqual(['receive', 'adjust', 'restock', 'adjust']);
  });

  it('refuses to take on hand below what is reserved (409), writing nothing', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('ADJ');
    await adjust(sku, warehouseId, { delta: 4, reason: 'initial' });
    await reserve(sku, warehouseId, 3);
    const before = await ledgerOf(sku);
    const problem = expectProblem(await adjust(sku, warehouseId, { delta: -2, reason: 'shrinkage' }), 409);
    expect(problem.detail).toMatch(/reserved/);
    expect(await ledgerOf(sku)).toEqual(before);
    expect(await levelOf(sku, warehouseId)).toMatchObject({ onHand: 4, reserved: 3, seq: 2 });
    // Down to exactly what is reserved is fine.
    expect((await adjust(sku, warehouseId, { delta: -1, reason: 'shrinkage' })).body.level).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
  });

  it('refuses to take on hand below zero (409), and does not create the location', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('ADJ');
    expectProblem(await adjust(sku, warehouseId, { delta: -1, reason: 'nothing there' }), 409);
    expect(await ledgerOf(sku)).toEqual([]);
    expect(await InventoryLevelModel.exists({ sku })).toBeNull();
    expectProblem(await api('GET', `/v1/inventory/${sku}`, KEYS.admin), 404);
  });

  it('applies a request with an Idempotency-Key once; a retry answers 200 with the same movement', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('IDEM');
    const body = { delta: 5, reason: 'delivery 17' };
    const idempotencyKey = randomUUID();
    const first = await adjust(sku, warehouseId, body, KEYS.admin, { 'Idempotency-Key': idempotencyKey });
    expect(first.status).toBe(201);
    expect(first.body.movement.key).toBe(`adjust:admin:${idempotencyKey}`);
    const retried = await adjust(sku, warehouseId, body, KEYS.admin, { 'Idempotency-Key': idempotencyKey });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(first.body);

    // Concurrent retries too.
    const concurrent = await Promise.all(
      Array.from({ length: 4 }, () => adjust(sku, warehouseId, body, KEYS.admin, { 'Idempotency-Key': idempotencyKey })),
    );
    for (const response of concurrent) expect(response.body.movement).toEqual(first.body.movement);
    expect(await ledgerOf(sku)).toHaveLength(1);
    expect((await levelOf(sku, warehouseId))?.onHand).toBe(5);

    // The same key with another request is a conflict; another principal's key space is its own.
    expectProblem(await adjust(sku, warehouseId, { ...body, delta: 6 }, KEYS.admin, { 'Idempotency-Key': idempotencyKey }), 409);
    const otherPrincipal = await adjust(sku, warehouseId, body, KEYS.warehouse, { 'Idempotency-Key': idempotencyKey });
    expect(otherPrincipal.status).toBe(201);
    expect(otherPrincipal.body.movement).toMatchObject({ key: `adjust:warehouse:${idempotencyKey}`, onHand: 10 });
    // Without a key, every request is a new movement.
    await adjust(sku, warehouseId, body);
    await adjust(sku, warehouseId, body);
    expect(await ledgerOf(sku)).toHaveLength(4);
  });

  it('rejects an Idempotency-Key with spaces or of more than 200 characters (400)', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('IDEM');
    for (const value of ['has space', 'x'.repeat(201)]) {
      const problem = expectProblem(await adjust(sku, warehouseId, { delta: 1, reason: 'r' }, KEYS.admin, { 'Idempotency-Key': value }), 400);
      expect(problem.errors?.[0].path).toBe('header.Idempotency-Key');
    }
    expect(await ledgerOf(sku)).toEqual([]);
  });

  it('forbids support and channels (403)', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('ADJ');
    for (const key of [KEYS.support, KEYS.web, KEYS.store]) {
      expectProblem(await adjust(sku, warehouseId, { delta: 1, reason: 'nope' }, key), 403);
    }
    expect(await ledgerOf(sku)).toEqual([]);
  });

  it.each([
    ['a zero delta', { delta: 0, reason: 'r' }, 'delta'],
    ['a fractional delta', { delta: 1.5, reason: 'r' }, 'delta'],
    ['a missing reason', { delta: 1 }, 'reason'],
    ['an empty reason', { delta: 1, reason: '' }, 'reason'],
    ['a reason over 500 characters', { delta: 1, reason: 'x'.repeat(501) }, 'reason'],
    ['an unknown kind', { delta: 1, reason: 'r', kind: 'ship' }, 'kind'],
    ['a receive that removes stock', { delta: -1, reason: 'r', kind: 'receive' }, 'kind'],
    ['a restock that removes stock', { delta: -1, reason: 'r', kind: 'restock' }, 'kind'],
    ['an unknown field', { delta: 1, reason: 'r', onHand: 3 }, '(root)'],
  ])('rejects %s with 400 and writes nothing', async (_label, body, path) => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('ADJ');
    const problem = expectProblem(await adjust(sku, warehouseId, body), 400);
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(await ledgerOf(sku)).toEqual([]);
    expect(await InventoryLevelModel.exists({ sku })).toBeNull();
  });

  it('counts a reason in characters, as JSON Schema does: 500 emoji are 500, not 1000 (UTF-16 units)', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('ADJ');
    expect((await adjust(sku, warehouseId, { delta: 1, reason: '📦'.repeat(500) })).status).toBe(201);
    expectProblem(await adjust(sku, warehouseId, { delta: 1, reason: '📦'.repeat(501) }), 400);
  });

  it('answers 404 for an unknown warehouse', async () => {
    const sku = uniqueId('ADJ');
    const problem = expectProblem(await adjust(sku, 'wh-nowhere', { delta: 1, reason: 'r' }), 404);
    expect(problem.detail).toMatch(/wh-nowhere/);
    expect(await InventoryLevelModel.exists({ sku })).toBeNull();
  });

  it('wakes the restock dispatcher of the SKU when stock goes up, not otherwise', async () => {
    const warehouseId = await createWarehouse();
    const up = uniqueId('WAKE');
    const flat = uniqueId('WAKE');
    await setStock(flat, warehouseId, { onHand: 0 }); // a count that changes nothing wakes nobody
    await expect(harness.temporal.workflow.getHandle(restockWorkflowId(flat)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    await adjust(up, warehouseId, { delta: 3, reason: 'delivery' });
    // The worker runs the dispatcher: it looks for orders backordered on the SKU (there are none).
    const handle = harness.temporal.workflow.getHandle(restockWorkflowId(up));
    await expect
      .poll(
        async () => {
          try {
            const history = await handle.fetchHistory();
            return (history.events ?? []).some((e) => e.activityTaskCompletedEventAttributes);
          } catch {
            return false;
          }
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe(true);
  });
});

describe('GET /v1/inventory/{sku}/movements', () => {
  it('lists the ledger newest first, across warehouses, with working pagination', async () => {
    const [berlin, paris] = [await createWarehouse(PLACES.berlin), await createWarehouse(PLACES.paris)];
    const sku = uniqueId('MOV');
    // A few milliseconds apart, so that the order by time is the order of the calls.
    const step = async (move: () => Promise<unknown>) => {
      await move();
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await step(() => adjust(sku, berlin, { delta: 10, reason: 'one' }));
    await step(() => adjust(sku, paris, { delta: 4, reason: 'two' }));
    await step(() => adjust(sku, berlin, { delta: -2, reason: 'three' }));
    await step(() => reserve(sku, paris, 3));
    await step(() => adjust(sku, berlin, { delta: 1, reason: 'five', kind: 'restock' }));
    await step(() => adjust(sku, paris, { delta: 2, reason: 'six' }));

    const { items, pages } = await allPages(`/v1/inventory/${sku}/movements?limit=2`, KEYS.support);
    expect(pages).toBe(3);
    expect(items).toHaveLength(6);
    expect(new Set(items.map((m) => m.key)).size).toBe(6);
    expect(items.map((m) => m.reason ?? m.kind)).toEqual(['six', 'five', 'reserve', 'three', 'two', 'one']);
    expect(items[2]).toMatchObject({ warehouseId: paris, kind: 'reserve', reservedDelta: 3, reserved: 3, onHand: 4, actor: 'test' });
    // Newest first: at descending; within a warehouse, seq descending.
    for (let i = 1; i < items.length; i++) expect(Date.parse(items[i - 1].at)).toBeGreaterThanOrEqual(Date.parse(items[i].at));
    expect(items.filter((m) => m.warehouseId === berlin).map((m) => m.seq)).toEqual([3, 2, 1]);

    // One page holds them all; a warehouse filter narrows them.
    const single = await api('GET', `/v1/inventory/${sku}/movements?limit=100`, KEYS.admin);
    expect(single.body.items).toEqual(items);
    expect(single.body.nextCursor).toBeNull();
    const onlyParis = await api('GET', `/v1/inventory/${sku}/movements?warehouseId=${paris}`, KEYS.admin);
    expect(onlyParis.body.items.map((m: any) => m.seq)).toEqual([3, 2, 1]);
  });

  it('keeps the order stable for movements recorded in the same millisecond', async () => {
    const [a, b] = [await createWarehouse(), await createWarehouse()];
    const sku = uniqueId('MOV');
    await adjust(sku, a, { delta: 1, reason: 'r' });
    await adjust(sku, b, { delta: 1, reason: 'r' });
    const at = new Date('2030-01-01T00:00:00.000Z');
    await StockMovementModel.updateMany({ sku }, { $set: { at } });
    const { items } = await allPages(`/v1/inventory/${sku}/movements?limit=1`);
    expect(items.map((m) => m.warehouseId)).toEqual([a, b].sort().reverse());
  });

  it('is for admin and support; 404 for an unknown SKU; 400 for a bad cursor or limit', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('MOV');
    await adjust(sku, warehouseId, { delta: 1, reason: 'r' });
    expect((await api('GET', `/v1/inventory/${sku}/movements`, KEYS.admin)).status).toBe(200);
    expectProblem(await api('GET', `/v1/inventory/${sku}/movements`, KEYS.warehouse), 403);
    expectProblem(await api('GET', `/v1/inventory/${sku}/movements`, KEYS.web), 403);
    expectProblem(await api('GET', `/v1/inventory/${uniqueId('NOPE')}/movements`, KEYS.support), 404);
    expect(expectProblem(await api('GET', `/v1/inventory/${sku}/movements?cursor=garbage`, KEYS.admin), 400).errors?.[0].path).toBe('query.cursor');
    expectProblem(await api('GET', `/v1/inventory/${sku}/movements?limit=0`, KEYS.admin), 400);
    expectProblem(await api('GET', `/v1/inventory/${sku}/movements?limit=101`, KEYS.admin), 400);
    expectProblem(await api('GET', `/v1/inventory/${sku}/movements?sort=asc`, KEYS.admin), 400);
  });
});

describe('low-stock thresholds and the inventory list', () => {
  it('opens one alert and one notification at the threshold, and closes it when stock is back', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('LOW');
    await setStock(sku, warehouseId, { onHand: 10 });
    const settings = await api('PUT', `/v1/inventory/${sku}/settings`, KEYS.admin, { lowStockThreshold: 5 });
    expect(settings.status).toBe(200);
    expect(settings.body).toEqual({ sku, lowStockThreshold: 5 });

    expect(await listed(sku, '&belowThreshold=true')).toBeUndefined();
    expect(await listed(sku)).toEqual({
      sku,
      available: 10,
      threshold: 5,
      lowStock: false,
      locations: [{ warehouseId, onHand: 10, reserved: 0, safetyStock: 0, available: 10 }],
    });
    expect(await StockAlertModel.find({ sku }).lean()).toEqual([]);

    await adjust(sku, warehouseId, { delta: -7, reason: 'damaged' });
    expect(await listed(sku, '&belowThreshold=true')).toMatchObject({ sku, available: 3, threshold: 5, lowStock: true });
    const open = await StockAlertModel.find({ sku }).lean();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ openKey: sku, threshold: 5, availableAtOpen: 3 });
    expect(open[0].closedAt).toBeUndefined();
    const notifications = await lowStockNotifications(sku);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({ recipient: 'ops@example.com', subject: `Low stock: ${sku}` });

    // A second drop while the alert is open: no second alert, no second notification.
    await adjust(sku, warehouseId, { delta: -1, reason: 'damaged' });
    expect(await StockAlertModel.countDocuments({ sku })).toBe(1);
    expect(await lowStockNotifications(sku)).toHaveLength(1);

    await adjust(sku, warehouseId, { delta: 18, reason: 'delivery' });
    expect(await listed(sku, '&belowThreshold=true')).toBeUndefined();
    expect(await listed(sku)).toMatchObject({ available: 20, lowStock: false });
    const closed = await StockAlertModel.find({ sku }).lean();
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ openKey: `closed:${String(closed[0]._id)}`, availableAtClose: 20 });
    expect(closed[0].closedAt).toBeInstanceOf(Date);
    expect(await lowStockNotifications(sku)).toHaveLength(1);
  });

  it('re-evaluates the alert when the threshold changes', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('LOW');
    await setStock(sku, warehouseId, { onHand: 10 });
    await api('PUT', `/v1/inventory/${sku}/settings`, KEYS.admin, { lowStockThreshold: 15 });
    expect(await StockAlertModel.countDocuments({ openKey: sku })).toBe(1);
    expect(await lowStockNotifications(sku)).toHaveLength(1);
    expect(await listed(sku, '&belowThreshold=true')).toMatchObject({ threshold: 15, lowStock: true });
    await api('PUT', `/v1/inventory/${sku}/settings`, KEYS.admin, { lowStockThreshold: 2 });
    expect(await StockAlertModel.countDocuments({ openKey: sku })).toBe(0);
    expect(await listed(sku, '&belowThreshold=true')).toBeUndefined();
    // Safety stock counts: 10 on hand, 9 kept back -> 1 available, at or below 2.
    await setStock(sku, warehouseId, { onHand: 10, safetyStock: 9 });
    expect(await listed(sku, '&belowThreshold=true')).toMatchObject({ available: 1, lowStock: true });
    expect(await StockAlertModel.countDocuments({ openKey: sku })).toBe(1);
  });

  it('validates settings: admin only, a stocked SKU, a non-negative integer', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('LOW');
    await setStock(sku, warehouseId, { onHand: 10 });
    expectProblem(await api('PUT', `/v1/inventory/${sku}/settings`, KEYS.warehouse, { lowStockThreshold: 3 }), 403);
    expectProblem(await api('PUT', `/v1/inventory/${sku}/settings`, KEYS.support, { lowStockThreshold: 3 }), 403);
    expectProblem(await api('PUT', `/v1/inventory/${uniqueId('NOPE')}/settings`, KEYS.admin, { lowStockThreshold: 3 }), 404);
    for (const body of [{}, { lowStockThreshold: -1 }, { lowStockThreshold: 2.5 }, { lowStockThreshold: 3, extra: 1 }]) {
      expectProblem(await api('PUT', `/v1/inventory/${sku}/settings`, KEYS.admin, body), 400);
    }
    expect(await listed(sku)).toMatchObject({ threshold: 0 }); // the configured default (tests: 0)
  });

  it('lists SKUs in ascending order, a page at a time, for any role', async () => {
    const warehouseId = await createWarehouse();
    const prefix = uniqueId('LIST');
    const skus = [`${prefix}-c`, `${prefix}-a`, `${prefix}-b`];
    for (const sku of skus) await setStock(sku, warehouseId, { onHand: 3 });
    const { items, pages } = await allPages('/v1/inventory?limit=1', KEYS.store);
    expect(pages).toBe(items.length);
    const names = items.map((i) => i.sku);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((s) => s.startsWith(prefix))).toEqual([...skus].sort());
    for (const key of [KEYS.support, KEYS.warehouse, KEYS.admin]) expect((await api('GET', '/v1/inventory', key)).status).toBe(200);
    expect((await api('GET', '/v1/inventory?belowThreshold=false&limit=100', KEYS.web)).body.items.length).toBe(Math.min(100, items.length));
    expectProblem(await api('GET', '/v1/inventory?belowThreshold=yes', KEYS.web), 400);
    expectProblem(await api('GET', '/v1/inventory?cursor=%5B1%5D', KEYS.web), 400);
  });
});

/** `npm run reconcile` against this file's database. */
function runReconcile(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'reconcile', '--', ...args], {
      cwd: process.cwd(),
      env: { ...process.env, MONGODB_URI: harness.mongoUri },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('reconciliation', () => {
  const reconcile = (body: unknown = {}) => api('POST', '/v1/admin/reconciliation', KEYS.admin, body);

  it('finds no drift after ordinary traffic', async () => {
    const response = await reconcile();
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ checked: expect.any(Number), repaired: false, drift: [] });
    expect(response.body.checked).toBe(await InventoryLevelModel.countDocuments());
    expect(response.body.checked).toBeGreaterThan(10);
  });

  it('reports a corrupted level, repairs it on request, and then finds no drift', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('DRIFT');
    await adjust(sku, warehouseId, { delta: 10, reason: 'r' });
    await reserve(sku, warehouseId, 2);
    await InventoryLevelModel.updateOne({ sku, warehouseId }, { $set: { onHand: 99 } });

    const expected = {
      sku,
      warehouseId,
      level: { onHand: 99, reserved: 2, seq: 2 },
      ledger: { onHand: 10, reserved: 2, seq: 2, movements: 2 },
      problems: ['level differs from the ledger'],
    };
    const reported = await reconcile();
    expect(reported.body).toMatchObject({ repaired: false, drift: [expected] });
    expect((await reconcile({ sku })).body).toEqual({ checked: 1, repaired: false, drift: [expected] });
    expect((await levelOf(sku, warehouseId))?.onHand).toBe(99); // a report changes nothing

    // The command sees it too, and fails until it is repaired.
    const command = await runReconcile(['--sku', sku]);
    expect(command.code, command.stderr).toBe(1);
    expect(command.stdout).toContain(`${sku} @ ${warehouseId}: level differs from the ledger`);
    expect(command.stdout).toContain('level : onHand 99, reserved 2, seq 2');
    expect(command.stdout).toContain('ledger: onHand 10, reserved 2, seq 2 (2 movements)');
    expect(command.stdout).toContain('--repair');

    const repaired = await reconcile({ repair: true });
    expect(repaired.body).toMatchObject({ repaired: true, drift: [expected] });
    expect(await levelOf(sku, warehouseId)).toMatchObject({ onHand: 10, reserved: 2, seq: 2 });
    expect((await reconcile()).body.drift).toEqual([]);

    const clean = await runReconcile(['--sku', sku]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('Checked 1 location: no drift.');
  });

  it('repairs with the command too', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('DRIFT');
    await adjust(sku, warehouseId, { delta: 6, reason: 'r' });
    await InventoryLevelModel.updateOne({ sku, warehouseId }, { $set: { reserved: 5, seq: 7 } });
    const command = await runReconcile(['--repair', '--sku', sku]);
    expect(command.code, command.stderr).toBe(0);
    expect(command.stdout).toContain('Repaired 1 level from the ledger.');
    expect(await levelOf(sku, warehouseId)).toMatchObject({ onHand: 6, reserved: 0, seq: 1 });
    expect((await runReconcile(['--sku', 'not a sku'])).code).toBe(2);
  });

  it('never pairs a level with balances of another seq when it repairs during live adjustments', async () => {
    const warehouseId = await createWarehouse();
    const sku = uniqueId('RACE');
    await adjust(sku, warehouseId, { delta: 100, reason: 'r' });
    const traffic = Promise.all(Array.from({ length: 20 }, (_, i) => adjust(sku, warehouseId, { delta: i % 2 ? 1 : -1, reason: `t${i}` })));
    const repairs = Promise.all(Array.from({ length: 5 }, () => reconcile({ repair: true, sku })));
    const [adjustments, reports] = await Promise.all([traffic, repairs]);
    for (const response of adjustments) expect(response.status).toBe(201);
    for (const response of reports) expect(response.status).toBe(200);
    // Whatever a repair wrote mid-traffic, the level holds the ledger's balances at the level's own seq.
    const level = await levelOf(sku, warehouseId);
    const atLevelSeq = await StockMovementModel.findOne({ sku, warehouseId, seq: level!.seq }).lean();
    expect({ onHand: level!.onHand, reserved: level!.reserved }).toEqual({ onHand: atLevelSeq!.onHand, reserved: atLevelSeq!.reserved });
    // Once traffic stops, a repair (if one is still needed) leaves no drift.
    await reconcile({ repair: true, sku });
    expect((await reconcile({ sku })).body).toEqual({ checked: 1, repaired: false, drift: [] });
    expect(await levelOf(sku, warehouseId)).toMatchObject({ onHand: 100, reserved: 0, seq: 21 });
  });

  it('is for admins only, and validates its body', async () => {
    expectProblem(await api('POST', '/v1/admin/reconciliation', KEYS.support, {}), 403);
    expectProblem(await api('POST', '/v1/admin/reconciliation', KEYS.warehouse, {}), 403);
    expectProblem(await reconcile({ repair: 'yes' }), 400);
    expectProblem(await reconcile({ everything: true }), 400);
    expectProblem(await reconcile({ sku: 'not a sku' }), 400);
  });
});

describe('OpenAPI', () => {
  it('documents the inventory paths', async () => {
    const document = (await api('GET', '/openapi.json')).body;
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/inventory',
        '/v1/inventory/{sku}/{warehouseId}/adjustments',
        '/v1/inventory/{sku}/movements',
        '/v1/inventory/{sku}/settings',
        '/v1/admin/reconciliation',
      ]),
    );
    expect(document.paths['/v1/warehouses/{warehouseId}']).toHaveProperty('patch');
    expect(document.components.schemas.StockLevel.properties).toHaveProperty('safetyStock');
  });
});
