import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyStockChange, availableToPromise, reservation, type StockBalance } from '../../domain/stock.js';

const change = (onHandDelta: number, reservedDelta: number) => ({ onHandDelta, reservedDelta });
const balance = (onHand: number, reserved: number, safetyStock = 0): StockBalance => ({ onHand, reserved, safetyStock });

describe('applyStockChange', () => {
  it('applies a change that keeps 0 <= reserved <= onHand, carrying the safety stock along', () => {
    expect(applyStockChange(balance(10, 2), change(0, 8))).toEqual({ ok: true, balance: balance(10, 10) });
    expect(applyStockChange(balance(10, 4), change(-4, -4))).toEqual({ ok: true, balance: balance(6, 0) });
    expect(applyStockChange(balance(10, 4, 3), change(5, 0))).toEqual({ ok: true, balance: balance(15, 4, 3) });
  });

  it('rejects reserving more than is on hand, saying what reserved would be', () => {
    expect(applyStockChange(balance(10, 7), change(0, 4))).toEqual({ ok: false, reason: 'on hand (10) would fall below reserved (11)' });
  });

  it('rejects dropping on hand below zero or below what is reserved', () => {
    expect(applyStockChange(balance(3, 0), change(-4, 0))).toEqual({ ok: false, reason: 'on hand would drop to -1' });
    expect(applyStockChange(balance(5, 5), change(-1, 0)).ok).toBe(false);
  });

  it('rejects releasing more than is reserved', () => {
    expect(applyStockChange(balance(5, 1), change(0, -2))).toEqual({ ok: false, reason: 'reserved would drop to -1' });
  });

  it('rejects fractional and non-finite quantities', () => {
    expect(applyStockChange(balance(5, 1), change(0, 0.5))).toEqual({ ok: false, reason: 'quantities must be integers' });
    expect(applyStockChange(balance(5, 1), change(Number.NaN, 0)).ok).toBe(false);
    expect(applyStockChange(balance(5, 1), change(Number.POSITIVE_INFINITY, 0)).ok).toBe(false);
  });

  it('does not itself guard safety stock: that is the reservation decision', () => {
    expect(applyStockChange(balance(10, 0, 3), change(0, 10))).toEqual({ ok: true, balance: balance(10, 10, 3) });
  });

  it('keeps 0 <= reserved <= onHand and a non-negative availability through any sequence of changes', () => {
    const changes = fc.array(fc.record({ onHandDelta: fc.integer({ min: -20, max: 20 }), reservedDelta: fc.integer({ min: -20, max: 20 }) }), { maxLength: 60 });
    fc.assert(
      fc.property(changes, (steps) => {
        let current = balance(0, 0);
        for (const step of steps) {
          const onHand = current.onHand + step.onHandDelta;
          const reserved = current.reserved + step.reservedDelta;
          const result = applyStockChange(current, step);
          expect(result.ok).toBe(0 <= reserved && reserved <= onHand);
          if (result.ok) current = result.balance;
          expect(current.reserved).toBeGreaterThanOrEqual(0);
          expect(current.reserved).toBeLessThanOrEqual(current.onHand);
          expect(availableToPromise(current)).toBe(current.onHand - current.reserved);
        }
      }),
    );
  });
});

describe('availableToPromise', () => {
  it('is on hand less reserved less safety stock, never below zero', () => {
    expect(availableToPromise(balance(10, 2))).toBe(8);
    expect(availableToPromise(balance(10, 2, 3))).toBe(5);
    expect(availableToPromise(balance(10, 7, 3))).toBe(0);
    // Safety stock raised above what is unreserved (or stock shrank under it): nothing to promise, not negative.
    expect(availableToPromise(balance(10, 8, 5))).toBe(0);
    expect(availableToPromise(balance(0, 0, 4))).toBe(0);
  });
});

describe('reservation', () => {
  it('grants a reservation that fits in what is available to promise', () => {
    expect(reservation(balance(10, 2), 8)).toEqual({ ok: true, change: change(0, 8) });
    expect(reservation(balance(10, 2, 3), 5)).toEqual({ ok: true, change: change(0, 5) });
  });

  it('rejects reserving more than is available, saying how much is', () => {
    expect(reservation(balance(10, 7), 4)).toEqual({ ok: false, reason: 'only 3 available, 4 requested' });
  });

  it('never promises safety stock', () => {
    expect(reservation(balance(10, 0, 3), 8)).toEqual({ ok: false, reason: 'only 7 available, 8 requested' });
    expect(reservation(balance(10, 7, 3), 1)).toEqual({ ok: false, reason: 'only 0 available, 1 requested' });
    expect(reservation(balance(3, 0, 3), 1).ok).toBe(false);
    // When safety stock exceeds what is unreserved, nothing at all is granted.
    expect(reservation(balance(10, 8, 5), 1)).toEqual({ ok: false, reason: 'only 0 available, 1 requested' });
  });

  const balances = fc
    .record({ onHand: fc.integer({ min: 0, max: 200 }), reservedShare: fc.double({ min: 0, max: 1, noNaN: true }), safetyStock: fc.integer({ min: 0, max: 60 }) })
    .map(({ onHand, reservedShare, safetyStock }) => balance(onHand, Math.floor(onHand * reservedShare), safetyStock));

  it('never leaves onHand - reserved below the safety stock when it started at or above it (property)', () => {
    fc.assert(
      fc.property(balances, fc.integer({ min: 1, max: 250 }), (start, quantity) => {
        const decision = reservation(start, quantity);
        expect(decision.ok).toBe(quantity <= availableToPromise(start));
        if (!decision.ok) return;
        const after = applyStockChange(start, decision.change);
        expect(after.ok).toBe(true);
        if (!after.ok) return;
        expect(after.balance.reserved).toBe(start.reserved + quantity);
        expect(after.balance.onHand).toBe(start.onHand);
        if (start.onHand - start.reserved >= start.safetyStock) {
          expect(after.balance.onHand - after.balance.reserved).toBeGreaterThanOrEqual(after.balance.safetyStock);
        } else {
          expect.unreachable('no reservation may be granted while safety stock is already eaten into');
        }
      }),
    );
  });

  it('grants, over any sequence of reservations and releases, at most onHand - safetyStock in total (property)', () => {
    const steps = fc.array(fc.oneof(fc.record({ reserve: fc.integer({ min: 1, max: 15 }) }), fc.record({ release: fc.integer({ min: 1, max: 15 }) })), {
      maxLength: 60,
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 30 }), steps, (onHand, safetyStock, moves) => {
        let current = balance(onHand, 0, safetyStock);
        for (const move of moves) {
          const decision: ReturnType<typeof reservation> =
            'reserve' in move ? reservation(current, move.reserve) : { ok: true, change: change(0, -Math.min(move.release, current.reserved)) };
          if (!decision.ok) continue;
          const after = applyStockChange(current, decision.change);
          expect(after.ok).toBe(true);
          if (after.ok) current = after.balance;
          expect(current.reserved).toBeLessThanOrEqual(Math.max(0, onHand - safetyStock));
          expect(availableToPromise(current)).toBe(Math.max(0, current.onHand - current.reserved - safetyStock));
        }
      }),
    );
  });
});
