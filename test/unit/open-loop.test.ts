import { describe, expect, it } from 'vitest';
import {
  HIGHEST_RATE,
  isRetryAfter,
  isSustained,
  LOWEST_RATE,
  nextRate,
  retryAfterMs,
  summariseArrivals,
  sustainableRate,
  type ArrivalOutcome,
  type CapacityStep,
} from '../../bench/open-loop.js';

const delivered = (ms: number): ArrivalOutcome => ({ kind: 'delivered', ms });

describe('a run at one rate (bench:orders --rate)', () => {
  it('counts what became of each arrival against the deadline', () => {
    const summary = summariseArrivals(
      [
        delivered(800),
        delivered(31_000),
        { kind: 'refused', retryAfter: true },
        { kind: 'refused', retryAfter: false },
        { kind: 'not delivered' },
        { kind: 'failed', reason: 'an order became failed' },
        { kind: 'failed', reason: 'an order became failed' },
        delivered(500),
      ],
      30_000,
    );
    expect(summary).toMatchObject({ arrived: 8, accepted: 6, refused: 2, refusedWithRetryAfter: 1, deliveredInTime: 2, deliveredLate: 1, notDelivered: 1 });
    expect(summary.failures).toEqual(new Map([['an order became failed', 2]]));
    expect([...summary.latencies]).toEqual([500, 800, 31_000]);
  });

  it('holds only when every arrival was delivered in time and the p99 is within bounds', () => {
    const fast = Array.from({ length: 100 }, (_, i) => delivered(500 + i));
    expect(isSustained(summariseArrivals(fast, 30_000), 2_000)).toBe(true);
    expect(isSustained(summariseArrivals([...fast, { kind: 'refused', retryAfter: true }], 30_000), 2_000)).toBe(false);
    expect(isSustained(summariseArrivals([...fast, { kind: 'not delivered' }], 30_000), 2_000)).toBe(false);
    expect(isSustained(summariseArrivals([...fast, delivered(40_000)], 30_000), 60_000)).toBe(false);
    expect(isSustained(summariseArrivals([...fast.slice(2), delivered(2_500), delivered(2_600)], 30_000), 2_000)).toBe(false);
    expect(isSustained(summariseArrivals([], 30_000), 2_000)).toBe(false);
  });
});

describe('the capacity search (bench:orders --find-capacity)', () => {
  const search = { startRate: 1, factor: 1.25, narrow: 1 };

  /** The rates the search tries when every rate up to `limit` holds. */
  function rates(limit: number, narrow = 1): CapacityStep[] {
    const steps: CapacityStep[] = [];
    for (let rate = nextRate(steps, { ...search, narrow }); rate !== undefined; rate = nextRate(steps, { ...search, narrow })) {
      steps.push({ rate, sustained: rate <= limit });
    }
    return steps;
  }

  it('grows by the factor until a rate does not hold, then tries once between the last that held and that one', () => {
    const steps = rates(2.2);
    expect(steps.map((s) => s.rate)).toEqual([1, 1.25, 1.56, 1.95, 2.44, 2.18]);
    expect(sustainableRate(steps)).toBe(2.18);
  });

  it('narrows as many times as asked, halving the gap each time', () => {
    const steps = rates(2.2, 3);
    expect(steps.map((s) => s.rate)).toEqual([1, 1.25, 1.56, 1.95, 2.44, 2.18, 2.31, 2.24]);
    expect(sustainableRate(steps)).toBe(2.18);
    expect(rates(2.2, 0).map((s) => s.rate)).toEqual([1, 1.25, 1.56, 1.95, 2.44]);
  });

  it('steps down from the first rate when it does not hold, and gives up below the lowest rate', () => {
    expect(rates(0.7).map((s) => s.rate)).toEqual([1, 0.8, 0.64, 0.72]);
    const none = rates(0);
    expect(none.at(-1)!.rate).toBeGreaterThanOrEqual(LOWEST_RATE);
    expect(none.at(-1)!.rate / search.factor).toBeLessThan(LOWEST_RATE);
    expect(sustainableRate(none)).toBe(0);
  });

  it('reports what held below the lowest rate that failed, not a noisy success above it', () => {
    const steps = [
      { rate: 2, sustained: true },
      { rate: 2.5, sustained: false },
      { rate: 2.24, sustained: false },
      { rate: 3, sustained: true },
    ];
    expect(sustainableRate(steps)).toBe(2);
  });

  it('stops at the highest rate one benchmark process can drive', () => {
    const steps = rates(Infinity);
    expect(steps.at(-1)!.rate).toBeLessThanOrEqual(HIGHEST_RATE);
    expect(steps.at(-1)!.rate * search.factor).toBeGreaterThan(HIGHEST_RATE);
  });
});

describe('Retry-After on a refusal', () => {
  it('is seconds or an HTTP date', () => {
    expect(isRetryAfter('5')).toBe(true);
    expect(isRetryAfter(' 120 ')).toBe(true);
    expect(isRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT')).toBe(true);
    expect(isRetryAfter(null)).toBe(false);
    expect(isRetryAfter('')).toBe(false);
    expect(isRetryAfter('-1')).toBe(false);
    expect(isRetryAfter('1.5')).toBe(false);
    expect(isRetryAfter('soon')).toBe(false);
    expect(isRetryAfter('2026-10-21T07:28:00Z')).toBe(false);
  });

  it('says how long to wait before sending the order again', () => {
    const now = Date.parse('2026-10-21T07:28:00Z');
    expect(retryAfterMs('5', now)).toBe(5_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:03 GMT', now)).toBe(3_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
