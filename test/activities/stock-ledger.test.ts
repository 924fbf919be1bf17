import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StockChange } from '../../domain/stock.js';
import { StockMovementModel } from '../../persistence/models.js';
import { appendMovement, readBalance, StockMovementRejected } from '../../persistence/stock-ledger.js';
import { setStock, uniqueId, useTestDatabase } from '../support/fixtures.js';

let close: () => Promise<void>;
beforeAll(async () => ({ close } = await useTestDatabase('activities_stock_ledger')));
afterAll(() => close?.());

function move(sku: string, warehouseId: string, change: StockChange, key = `test:${randomUUID()}`) {
  return appendMovement({ sku, warehouseId, kind: 'reserve', key, actor: 'test', change: () => change });
}

const sequenceNumbers = async (sku: string, warehouseId: string) =>
  (await StockMovementModel.find({ sku, warehouseId }).sort({ seq: 1 }).lean()).map((m) => m.seq);

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
});
