import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney, orderTotal } from '../../domain/money.js';

describe('orderTotal', () => {
  it('sums quantity times unit price over the lines, in the given currency', () => {
    expect(orderTotal([{ quantity: 2, unitPrice: 1250 }, { quantity: 1, unitPrice: 999 }], 'EUR')).toEqual({ amount: 3499, currency: 'EUR' });
    expect(orderTotal([], 'JPY')).toEqual({ amount: 0, currency: 'JPY' });
  });

  it('rejects quantities and prices that are not integers', () => {
    expect(() => orderTotal([{ quantity: 1.5, unitPrice: 100 }], 'EUR')).toThrow(RangeError);
    expect(() => orderTotal([{ quantity: 1, unitPrice: 19.99 }], 'EUR')).toThrow(RangeError);
    expect(() => orderTotal([{ quantity: Number.NaN, unitPrice: 100 }], 'EUR')).toThrow(RangeError);
  });

  it('rejects a total beyond Number.MAX_SAFE_INTEGER instead of losing precision', () => {
    const half = Math.ceil(Number.MAX_SAFE_INTEGER / 2);
    expect(() => orderTotal([{ quantity: 1, unitPrice: half }, { quantity: 1, unitPrice: half }], 'EUR')).toThrow(/too large/);
    expect(() => orderTotal([{ quantity: 3, unitPrice: half }], 'EUR')).toThrow(/too large/);
    expect(orderTotal([{ quantity: 1, unitPrice: Number.MAX_SAFE_INTEGER }], 'EUR').amount).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('equals the sum of quantity x unit price for any small integer lines', () => {
    const line = fc.record({ quantity: fc.integer({ min: 0, max: 10_000 }), unitPrice: fc.integer({ min: 0, max: 100_000_000 }) });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 100 }), (lines) => {
        const expected = lines.reduce((sum, l) => sum + BigInt(l.quantity) * BigInt(l.unitPrice), 0n);
        expect(BigInt(orderTotal(lines, 'EUR').amount)).toBe(expected);
      }),
    );
  });
});

describe('formatMoney', () => {
  it('shows two minor digits for EUR', () => {
    expect(formatMoney({ amount: 123456, currency: 'EUR' })).toBe('1234.56 EUR');
    expect(formatMoney({ amount: 5, currency: 'EUR' })).toBe('0.05 EUR');
  });

  it('shows no minor digits for JPY', () => {
    expect(formatMoney({ amount: 1500, currency: 'JPY' })).toBe('1500 JPY');
  });

  it('shows three minor digits for KWD', () => {
    expect(formatMoney({ amount: 1005, currency: 'KWD' })).toBe('1.005 KWD');
    expect(formatMoney({ amount: 7, currency: 'KWD' })).toBe('0.007 KWD');
  });

  // Known bug (see report): amount / 10 ** digits is floating point, so the last digit can be off above ~4.5e15
  // minor units, which orderTotal and the Money schema both accept. Turn into a plain `it` once fixed.
  it('formats amounts near MAX_SAFE_INTEGER digit for digit', () => {
    expect(formatMoney({ amount: 7_287_902_454_782_671, currency: 'EUR' })).toBe('72879024547826.71 EUR');
  });
});
