import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyStockChange, availableToPromise, type StockBalance } from '../../domain/stock.js';

const change = (onHandDelta: number, reservedDelta: number) => ({ onHandDelta, reservedDelta });

describe('applyStockChange', () => {
  it('applies a change that keeps 0 <= reserved <= onHand', () => {
    expect(applyStockChange({ onHand: 10, reserved: 2 }, change(0, 8))).toEqual({ ok: true, balance: { onHand: 10, reserved: 10 } });
    expect(applyStockChange({ onHand: 10, reserved: 4 }, change(-4, -4))).toEqual({ ok: true, balance: { onHand: 6, reserved: 0 } });
  });

  it('rejects reserving more than is available, saying how much is', () => {
    expect(applyStockChange({ onHand: 10, reserved: 7 }, change(0, 4))).toEqual({ ok: false, reason: 'only 3 available, 4 requested' });
  });

  it('rejects dropping on hand below zero or below what is reserved', () => {
    expect(applyStockChange({ onHand: 3, reserved: 0 }, change(-4, 0)).ok).toBe(false);
    expect(applyStockChange({ onHand: 5, reserved: 5 }, change(-1, 0)).ok).toBe(false);
  });

  it('rejects releasing more than is reserved', () => {
    expect(applyStockChange({ onHand: 5, reserved: 1 }, change(0, -2)).ok).toBe(false);
  });

  it('keeps 0 <= reserved <= onHand and a non-negative availability through any sequence of changes', () => {
    const changes = fc.array(fc.record({ onHandDelta: fc.integer({ min: -20, max: 20 }), reservedDelta: fc.integer({ min: -20, max: 20 }) }), { maxLength: 60 });
    fc.assert(
      fc.property(changes, (steps) => {
        let balance: StockBalance = { onHand: 0, reserved: 0 };
        for (const step of steps) {
          const onHand = balance.onHand + step.onHandDelta;
          const reserved = balance.reserved + step.reservedDelta;
          const result = applyStockChange(balance, step);
          expect(result.ok).toBe(0 <= reserved && reserved <= onHand);
          if (result.ok) balance = result.balance;
          expect(balance.reserved).toBeGreaterThanOrEqual(0);
          expect(balance.reserved).toBeLessThanOrEqual(balance.onHand);
          expect(availableToPromise(balance)).toBe(balance.onHand - balance.reserved);
        }
      }),
    );
  });
});
