import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StockChange, type StockDecision, type StockMovementKind } from '../../domain/stock.js';
import {
  appendMovement,
  appendReservation,
  ensureLocation,
  levelsOf,
  movementId,
  readBalance,
  StockMovementRejected,
  type LedgerHead,
} from '../../persistence/stock-ledger.js';
import { setStock, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { reconcileLevels } from '../../persistence/reconciliation.js';
import { InventoryLevelModel, LocationSettingModel, locationId, StockMovementModel } from '../../persistence/stock-models.js';

let close: () => Promise<void>;
beforeAll(async () => ({ close } = await useTestDatabase('activities_stock_ledger')));
afterAll(() => close?.());

function append(sku: string, warehouseId: string, kind: StockMovementKind, decide: (current: LedgerHead) => StockDecision, key = `test:${randomUUID()}`) {
  return appendMovement({ sku, warehouseId, kind, key, actor: 'test', decide });
}

/** A movement of a fixed change, guarded only by 0 <= reserved <= onHand. */
function move(sku: string, warehouseId: string, change: StockChange, key?: string) {
  return append(sku, warehouseId, 'reserve', () => ({ ok: true, change }), key);
}

/** A reservation as the reserveStock activity makes it: only from what is available to promise. */
const reserve = async (sku: string, warehouseId: string, quantity: number, key = `test:${randomUUID()}`) =>
  (await appendReservation({ sku, warehouseId, quantity, key, actor: 'test' })).movement;

const release = (sku: string, warehouseId: string, quantity: number) =>
  append(sku, warehouseId, 'release', (current) =>
    current.reserved >= quantity ? { ok: true, change: { onHandDelta: 0, reservedDelta: -quantity } } : { ok: false, reason: 'nothing to release' },
  );

const receive = (sku: string, warehouseId: string, quantity: number) =>
  append(sku, warehouseId, 'receive', () => ({ ok: true, change: { onHandDelta: quantity, reservedDelta: 0 } }));

const sequenceNumbers = async (sku: string, warehouseId: string) =>
  (await StockMovementModel.find({ sku, warehouseId }).sort({ seq: 1 }).lean()).map((m) => m.seq);

async function level(sku: string, warehouseId: string) {
  const [doc, settings] = await Promise.all([
    InventoryLevelModel.findOne({ sku, warehouseId }).lean(),
    LocationSettingModel.findById(locationId(sku, warehouseId)).lean(),
  ]);
  return doc && { onHand: doc.onHand, reserved: doc.reserved, safetyStock: settings?.safetyStock ?? 0, seq: doc.seq };
}

/** The projection agrees with the ledger head, and the head with the sum of the stream's deltas. */
async function expectLevelMatchesLedger(sku: string, warehouseId: string) {
  const head = await readBalance(sku, warehouseId);
  expect(await level(sku, warehouseId)).toEqual({ onHand: head.onHand, reserved: head.reserved, safetyStock: head.safetyStock, seq: head.seq });
  const movements = await StockMovementModel.find({ sku, warehouseId }).lean();
  expect(movements.reduce((sum, m) => sum + m.onHandDelta, 0)).toBe(head.onHand);
  expect(movements.reduce((sum, m) => sum + m.reservedDelta, 0)).toBe(head.reserved);
  expect(await sequenceNumbers(sku, warehouseId)).toEqual(Array.from({ length: head.seq }, (_, i) => i + 1));
  return head;
}

describe('stock ledger', () => {
  it('moves stock once for a key, however often the movement is appended', async () => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 5);
    const first = await move(sku, 'wh-1', { onHandDelta: 0, reservedDelta: 2 }, `reserve:${sku}`);
    const again = await move(sku, 'wh-1', { onHandDelta: 0, reservedDelta: 2 }, `reserve:${sku}`);
    expect(again.seq).toBe(first.seq);
    expect(await readBalance(sku, 'wh-1')).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
    expect(await StockMovementModel.countDocuments({ key: `reserve:${sku}` })).toBe(1);
  });

  it('moves stock once when the same key is appended concurrently', async () => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 5);
    const results = await Promise.all(Array.from({ length: 8 }, () => move(sku, 'wh-1', { onHandDelta: 0, reservedDelta: 1 }, `reserve:${sku}`)));
    expect(new Set(results.map((m) => m.seq))).toEqual(new Set([2]));
    expect(await readBalance(sku, 'wh-1')).toMatchObject({ onHand: 5, reserved: 1, seq: 2 });
    await expectLevelMatchesLedger(sku, 'wh-1');
  });

  it('lets exactly as many concurrent reservations succeed as there is stock, with a gapless sequence', async () => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 10);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => move(sku, 'wh-1', { onHandDelta: 0, reservedDelta: 1 })),
    );
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(rejected).toHaveLength(20);
    for (const reason of rejected) expect(reason).toBeInstanceOf(StockMovementRejected);
    expect(await readBalance(sku, 'wh-1')).toMatchObject({ onHand: 10, reserved: 10, available: 0, seq: 11 });
    expect(await sequenceNumbers(sku, 'wh-1')).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
  });

  it.each([
    ['reserving more than is on hand', { onHandDelta: 0, reservedDelta: 4 }],
    ['dropping on hand below what is reserved', { onHandDelta: -4, reservedDelta: 0 }],
    ['dropping on hand below zero', { onHandDelta: -6, reservedDelta: -2 }],
    ['releasing more than is reserved', { onHandDelta: 0, reservedDelta: -3 }],
  ])('rejects %s and writes nothing', async (_what, change) => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 5);
    await move(sku, 'wh-1', { onHandDelta: 0, reservedDelta: 2 });
    const before = await readBalance(sku, 'wh-1');
    await expect(move(sku, 'wh-1', change)).rejects.toBeInstanceOf(StockMovementRejected);
    expect(await readBalance(sku, 'wh-1')).toEqual(before);
    expect(await sequenceNumbers(sku, 'wh-1')).toEqual([1, 2]);
  });

  it('rejects with the decision\'s reason when decide refuses, and writes nothing', async () => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 5);
    const error = await append(sku, 'wh-1', 'adjust', () => ({ ok: false, reason: 'not today' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StockMovementRejected);
    expect(error).toMatchObject({ sku, warehouseId: 'wh-1', reason: 'not today' });
    expect(await sequenceNumbers(sku, 'wh-1')).toEqual([1]);
  });
});

describe('a level that lags its ledger', () => {
  /** A movement appended by a writer that died before projecting it: in the ledger, not on the level. */
  async function appendUnprojected(sku: string, warehouseId: string, seq: number, balance: { onHand: number; reserved: number }, change: StockChange) {
    await StockMovementModel.create({
      _id: movementId(sku, warehouseId, seq),
      sku,
      warehouseId,
      seq,
      kind: 'receive',
      ...change,
      ...balance,
      key: `test:${randomUUID()}`,
      actor: 'test',
      at: new Date(),
    });
  }

  it('does not refuse what the head allows and the level does not show, and brings the level up to the head', async () => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 5);
    await appendUnprojected(sku, 'wh-1', 2, { onHand: 10, reserved: 0 }, { onHandDelta: 5, reservedDelta: 0 });
    const reserved = await reserve(sku, 'wh-1', 8);
    expect(reserved).toMatchObject({ seq: 3, onHand: 10, reserved: 8 });
    await expectLevelMatchesLedger(sku, 'wh-1');
  });

  it('decides again on the head when the slot after the level is taken', async () => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 5);
    await appendUnprojected(sku, 'wh-1', 2, { onHand: 3, reserved: 0 }, { onHandDelta: -2, reservedDelta: 0 });
    await expect(reserve(sku, 'wh-1', 4)).rejects.toMatchObject({ reason: 'only 3 available, 4 requested' });
    expect(await reserve(sku, 'wh-1', 3)).toMatchObject({ seq: 3, onHand: 3, reserved: 3 });
    await expectLevelMatchesLedger(sku, 'wh-1');
  });
});

describe('levels of a SKU', () => {
  it('are read from its own ids only, not from SKUs that share its beginning, by warehouse', async () => {
    const base = uniqueId('SKU');
    for (const sku of [base, `${base}-B`, `${base}.x`, `${base}0`, `${base}B`]) await ensureLocation(sku, 'wh-2');
    await ensureLocation(base, 'wh-1');
    expect((await levelsOf([base])).map((l) => l._id)).toEqual([`${base}/wh-1`, `${base}/wh-2`]);
    expect((await levelsOf([`${base}-B`, base])).map((l) => l.sku)).toEqual([base, base, `${base}-B`]);
  });
});

describe('inventory_levels projection', () => {
  it('equals the ledger head after 30 concurrent 1-unit reservations against 10 on hand, with no drift', async () => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 10);
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => reserve(sku, 'wh-1', 1)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StockMovementRejected);
    const lastSeq = (await StockMovementModel.findOne({ sku, warehouseId: 'wh-1' }).sort({ seq: -1 }).lean())!.seq;
    expect(lastSeq).toBe(11);
    expect(await level(sku, 'wh-1')).toEqual({ onHand: 10, reserved: 10, safetyStock: 0, seq: lastSeq });
    await expectLevelMatchesLedger(sku, 'wh-1');
    expect(await reconcileLevels({ sku })).toEqual({ checked: 1, drift: [] });
  });

  it('equals the ledger at every location after mixed concurrent reserves, releases and receives over 2 SKUs x 2 warehouses', async () => {
    const skus = [uniqueId('SKU'), uniqueId('SKU')];
    const warehouses = ['wh-1', 'wh-2'];
    const locations = skus.flatMap((sku) => warehouses.map((warehouseId) => ({ sku, warehouseId })));
    for (const { sku, warehouseId } of locations) await setStock(sku, warehouseId, 6);

    // A fixed mix: every location gets reserves, releases and receives of 1-3 units, all started at once.
    const operations = Array.from({ length: 64 }, (_, i) => {
      const { sku, warehouseId } = locations[i % locations.length]!;
      const quantity = 1 + (i % 3);
      switch (Math.floor(i / locations.length) % 4) {
        case 0:
        case 1:
          return reserve(sku, warehouseId, quantity);
        case 2:
          return release(sku, warehouseId, 1);
        default:
          return receive(sku, warehouseId, quantity);
      }
    });
    const results = await Promise.allSettled(operations);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StockMovementRejected);
    const written = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(written.filter((m) => m.kind === 'receive')).toHaveLength(16);
    for (const { sku, warehouseId } of locations) {
      const kinds = new Set(written.filter((m) => m.sku === sku && m.warehouseId === warehouseId).map((m) => m.kind));
      expect(kinds).toContain('reserve');
      expect(kinds).toContain('receive');
    }

    for (const { sku, warehouseId } of locations) {
      const head = await expectLevelMatchesLedger(sku, warehouseId);
      // The ledger holds exactly what the successful callers were told they wrote, on top of the initial 6.
      const mine = written.filter((m) => m.sku === sku && m.warehouseId === warehouseId);
      expect(head.seq).toBe(1 + mine.length);
      expect(head.onHand).toBe(6 + mine.reduce((sum, m) => sum + m.onHandDelta, 0));
      expect(head.reserved).toBe(mine.reduce((sum, m) => sum + m.reservedDelta, 0));
      expect(head.reserved).toBeGreaterThanOrEqual(0);
      expect(head.reserved).toBeLessThanOrEqual(head.onHand);
      // Every stored running balance is the previous one plus its deltas.
      const stream = await StockMovementModel.find({ sku, warehouseId }).sort({ seq: 1 }).lean();
      let previous = { onHand: 0, reserved: 0 };
      for (const m of stream) {
        expect({ onHand: m.onHand, reserved: m.reserved }).toEqual({ onHand: previous.onHand + m.onHandDelta, reserved: previous.reserved + m.reservedDelta });
        expect(m.reserved).toBeLessThanOrEqual(m.onHand);
        previous = m;
      }
    }
    for (const sku of skus) expect(await reconcileLevels({ sku })).toEqual({ checked: 2, drift: [] });
  });

  it('reconcileLevels reports a corrupted level, and repair rewrites it from the ledger', async () => {
    const sku = uniqueId('SKU');
    await ensureLocation(sku, 'wh-1', { safetyStock: 2 });
    await setStock(sku, 'wh-1', 10);
    await reserve(sku, 'wh-1', 3);
    await setStock(sku, 'wh-2', 4); // a healthy location of the same SKU
    const movementsBefore = await StockMovementModel.find({ sku }).sort({ warehouseId: 1, seq: 1 }).lean();

    await InventoryLevelModel.updateOne({ sku, warehouseId: 'wh-1' }, { $set: { onHand: 99, reserved: 0, seq: 1 } });

    const expectedDrift = {
      sku,
      warehouseId: 'wh-1',
      level: { onHand: 99, reserved: 0, seq: 1 },
      ledger: { onHand: 10, reserved: 3, seq: 2, movements: 2 },
      problems: ['level differs from the ledger'],
    };
    expect(await reconcileLevels({ sku })).toEqual({ checked: 2, drift: [expectedDrift] });
    expect(await level(sku, 'wh-1')).toMatchObject({ onHand: 99 }); // reporting alone changes nothing

    expect(await reconcileLevels({ sku, repair: true })).toEqual({ checked: 2, drift: [expectedDrift] });
    expect(await level(sku, 'wh-1')).toEqual({ onHand: 10, reserved: 3, safetyStock: 2, seq: 2 });
    expect(await reconcileLevels({ sku })).toEqual({ checked: 2, drift: [] });
    expect(await StockMovementModel.find({ sku }).sort({ warehouseId: 1, seq: 1 }).lean()).toEqual(movementsBefore);

    // The next movement projects from the repaired level as usual.
    await reserve(sku, 'wh-1', 5);
    expect(await level(sku, 'wh-1')).toEqual({ onHand: 10, reserved: 8, safetyStock: 2, seq: 3 });
    await expect(reserve(sku, 'wh-1', 1)).rejects.toBeInstanceOf(StockMovementRejected);
  });

  it('reconcileLevels reports a ledger whose running balance or sequence is broken, and repair never touches the ledger', async () => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 10);
    await reserve(sku, 'wh-1', 3);
    // A movement written around appendMovement: seq 5 (3 and 4 missing), a running balance that is not head + deltas.
    await StockMovementModel.create({
      _id: movementId(sku, 'wh-1', 5),
      sku,
      warehouseId: 'wh-1',
      seq: 5,
      kind: 'adjust',
      onHandDelta: 1,
      reservedDelta: 0,
      onHand: 12,
      reserved: 3,
      key: `test:${randomUUID()}`,
      actor: 'test',
      at: new Date(),
    });
    const report = await reconcileLevels({ sku });
    expect(report.drift).toEqual([
      {
        sku,
        warehouseId: 'wh-1',
        level: { onHand: 10, reserved: 3, seq: 2 },
        ledger: { onHand: 11, reserved: 3, seq: 5, movements: 3 },
        problems: ['level differs from the ledger', 'running balance differs from the sum of movements', 'sequence has gaps'],
      },
    ]);
    await reconcileLevels({ sku, repair: true });
    expect(await level(sku, 'wh-1')).toEqual({ onHand: 11, reserved: 3, safetyStock: 0, seq: 5 });
    expect(await StockMovementModel.countDocuments({ sku })).toBe(3);
    // The ledger itself stays broken, so it is still reported.
    expect((await reconcileLevels({ sku })).drift.map((d) => d.problems)).toEqual([['running balance differs from the sum of movements', 'sequence has gaps']]);
  });
});

describe('safety stock', () => {
  it('is never reserved: with 10 on hand and 3 safety stock, 30 concurrent 1-unit reservations grant exactly 7', async () => {
    const sku = uniqueId('SKU');
    await ensureLocation(sku, 'wh-1', { safetyStock: 3 });
    await setStock(sku, 'wh-1', 10);
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => reserve(sku, 'wh-1', 1)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(rejected).toHaveLength(23);
    for (const reason of rejected) {
      expect(reason).toBeInstanceOf(StockMovementRejected);
      expect(reason).toMatchObject({ reason: 'only 0 available, 1 requested' });
    }
    expect(await readBalance(sku, 'wh-1')).toEqual({ sku, warehouseId: 'wh-1', onHand: 10, reserved: 7, safetyStock: 3, available: 0, seq: 8 });
    expect(await level(sku, 'wh-1')).toEqual({ onHand: 10, reserved: 7, safetyStock: 3, seq: 8 });
    expect(await reconcileLevels({ sku })).toEqual({ checked: 1, drift: [] });
  });

  it('is kept when the location is registered again without settings, and may be changed by registering with one', async () => {
    const sku = uniqueId('SKU');
    await ensureLocation(sku, 'wh-1', { safetyStock: 4 });
    await setStock(sku, 'wh-1', 10); // registers the location again, without settings
    expect(await readBalance(sku, 'wh-1')).toMatchObject({ onHand: 10, reserved: 0, safetyStock: 4, available: 6 });
    await expect(reserve(sku, 'wh-1', 7)).rejects.toMatchObject({ reason: 'only 6 available, 7 requested' });
    await ensureLocation(sku, 'wh-1', { safetyStock: 1 });
    await reserve(sku, 'wh-1', 7);
    expect(await readBalance(sku, 'wh-1')).toMatchObject({ onHand: 10, reserved: 7, safetyStock: 1, available: 2 });
  });

  it('still lets stock that is already reserved be released and shipped when safety stock is raised above what is free', async () => {
    const sku = uniqueId('SKU');
    await setStock(sku, 'wh-1', 10);
    await reserve(sku, 'wh-1', 8);
    await ensureLocation(sku, 'wh-1', { safetyStock: 5 });
    expect(await readBalance(sku, 'wh-1')).toMatchObject({ available: 0 });
    await expect(reserve(sku, 'wh-1', 1)).rejects.toBeInstanceOf(StockMovementRejected);
    await append(sku, 'wh-1', 'ship', () => ({ ok: true, change: { onHandDelta: -3, reservedDelta: -3 } }));
    await release(sku, 'wh-1', 2);
    expect(await readBalance(sku, 'wh-1')).toMatchObject({ onHand: 7, reserved: 3, safetyStock: 5, available: 0 });
    await expectLevelMatchesLedger(sku, 'wh-1');
  });
});
