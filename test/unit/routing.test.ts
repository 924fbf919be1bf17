import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GeoPoint } from '../../domain/customer.js';
import {
  distanceKm,
  EXACT_COVER_MAX_CANDIDATES,
  routeOrder,
  routeToSingleWarehouse,
  type Destination,
  type WarehouseStock,
} from '../../domain/routing.js';

const BERLIN = { lat: 52.52, lng: 13.405 };
const PARIS = { lat: 48.857, lng: 2.352 };
const MUNICH = { lat: 48.137, lng: 11.575 };
const MADRID = { lat: 40.4168, lng: -3.7038 };
const HAMBURG = { lat: 53.551, lng: 9.993 };

function warehouse(warehouseId: string, location: GeoPoint, available: Record<string, number>, extra: Partial<WarehouseStock> = {}) {
  return { warehouseId, country: 'DE', location, priority: 0, available, ...extra } satisfies WarehouseStock;
}

const chosenWarehouses = (allocations: ReturnType<typeof routeToSingleWarehouse>) =>
  [...new Set((allocations ?? []).map((a) => a.warehouseId))];

describe('routeToSingleWarehouse', () => {
  it('allocates the whole order from one warehouse that holds every line', () => {
    const warehouses = [warehouse('wh-a', BERLIN, { A: 5 }), warehouse('wh-b', PARIS, { A: 5, B: 5 })];
    const allocations = routeToSingleWarehouse([{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }], warehouses, { country: 'DE', location: BERLIN });
    expect(allocations).toEqual([
      { sku: 'A', warehouseId: 'wh-b', quantity: 2 },
      { sku: 'B', warehouseId: 'wh-b', quantity: 1 },
    ]);
  });

  it('picks the nearest capable warehouse when the destination has coordinates', () => {
    const warehouses = [warehouse('wh-paris', PARIS, { A: 9 }), warehouse('wh-munich', MUNICH, { A: 9 }), warehouse('wh-madrid', MADRID, { A: 9 })];
    expect(chosenWarehouses(routeToSingleWarehouse([{ sku: 'A', quantity: 1 }], warehouses, { country: 'FR', location: BERLIN }))).toEqual(['wh-munich']);
    expect(chosenWarehouses(routeToSingleWarehouse([{ sku: 'A', quantity: 1 }], warehouses, { country: 'DE', location: MADRID }))).toEqual(['wh-madrid']);
  });

  it('prefers a warehouse in the destination country when the destination has no coordinates', () => {
    const warehouses = [warehouse('wh-a', BERLIN, { A: 1 }, { priority: 10 }), warehouse('wh-z', PARIS, { A: 1 }, { country: 'FR' })];
    expect(chosenWarehouses(routeToSingleWarehouse([{ sku: 'A', quantity: 1 }], warehouses, { country: 'FR' }))).toEqual(['wh-z']);
  });

  it('breaks ties by higher priority, then by warehouse id', () => {
    const lines = [{ sku: 'A', quantity: 1 }];
    const tied = [warehouse('wh-b', BERLIN, { A: 1 }), warehouse('wh-a', BERLIN, { A: 1 })];
    expect(chosenWarehouses(routeToSingleWarehouse(lines, tied, { country: 'DE', location: PARIS }))).toEqual(['wh-a']);
    expect(chosenWarehouses(routeToSingleWarehouse(lines, tied, { country: 'DE' }))).toEqual(['wh-a']);
    const prioritised = [tied[0], { ...tied[1], warehouseId: 'wh-c', priority: 5 }];
    expect(chosenWarehouses(routeToSingleWarehouse(lines, prioritised, { country: 'DE' }))).toEqual(['wh-c']);
  });

  it('merges lines of the same SKU before checking availability', () => {
    const warehouses = [warehouse('wh-near', BERLIN, { A: 4 }), warehouse('wh-far', MADRID, { A: 5 })];
    const allocations = routeToSingleWarehouse([{ sku: 'A', quantity: 2 }, { sku: 'A', quantity: 3 }], warehouses, { country: 'DE', location: BERLIN });
    expect(allocations).toEqual([{ sku: 'A', warehouseId: 'wh-far', quantity: 5 }]);
  });

  it('returns undefined when no single warehouse can supply everything', () => {
    const warehouses = [warehouse('wh-a', BERLIN, { A: 5 }), warehouse('wh-b', PARIS, { B: 5 })];
    expect(routeToSingleWarehouse([{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }], warehouses, { country: 'DE' })).toBeUndefined();
    expect(routeToSingleWarehouse([{ sku: 'A', quantity: 6 }], warehouses, { country: 'DE' })).toBeUndefined();
    expect(routeToSingleWarehouse([{ sku: 'A', quantity: 1 }], [], { country: 'DE' })).toBeUndefined();
  });
});

describe('distanceKm', () => {
  it('measures Berlin to Paris as about 878 km', () => {
    expect(Math.abs(distanceKm(BERLIN, PARIS) - 878) / 878).toBeLessThan(0.01);
  });

  it('is symmetric and zero from a point to itself', () => {
    expect(distanceKm(PARIS, BERLIN)).toBeCloseTo(distanceKm(BERLIN, PARIS), 9);
    expect(distanceKm(MADRID, MADRID)).toBe(0);
  });
});

describe('routeToSingleWarehouse properties', () => {
  const SKUS = ['A', 'B', 'C', 'D'];
  const point = fc.record({ lat: fc.double({ min: -90, max: 90, noNaN: true }), lng: fc.double({ min: -180, max: 180, noNaN: true }) });
  const stock = fc.dictionary(fc.constantFrom(...SKUS), fc.integer({ min: 0, max: 8 }));
  const warehouses = fc.uniqueArray(
    fc.record({
      warehouseId: fc.constantFrom('wh-1', 'wh-2', 'wh-3', 'wh-4', 'wh-5', 'wh-6'),
      country: fc.constantFrom('DE', 'FR'),
      location: fc.oneof(point, fc.constant(BERLIN), fc.constant(PARIS)),
      priority: fc.integer({ min: 0, max: 2 }),
      available: stock,
    }),
    { selector: (w) => w.warehouseId, maxLength: 6 },
  );
  const lines = fc.array(fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 5 });
  const destination: fc.Arbitrary<Destination> = fc.record({ country: fc.constantFrom('DE', 'FR'), location: fc.option(point, { nil: undefined }) }, { requiredKeys: ['country'] });

  const wantedBySku = (ls: Array<{ sku: string; quantity: number }>) => {
    const wanted: Record<string, number> = {};
    for (const { sku, quantity } of ls) wanted[sku] = (wanted[sku] ?? 0) + quantity;
    return wanted;
  };
  const canSupply = (w: WarehouseStock, ls: Array<{ sku: string; quantity: number }>) =>
    Object.entries(wantedBySku(ls)).every(([sku, qty]) => (w.available[sku] ?? 0) >= qty);

  it('allocates exactly the ordered quantity per SKU, from one warehouse that has it available', () => {
    fc.assert(
      fc.property(lines, warehouses, destination, (ls, ws, dest) => {
        const allocations = routeToSingleWarehouse(ls, ws, dest);
        if (!allocations) return;
        const [warehouseId, ...others] = chosenWarehouses(allocations);
        expect(others).toEqual([]);
        const chosen = ws.find((w) => w.warehouseId === warehouseId)!;
        const allocated: Record<string, number> = {};
        for (const a of allocations) allocated[a.sku] = (allocated[a.sku] ?? 0) + a.quantity;
        expect(allocated).toEqual(wantedBySku(ls));
        for (const [sku, qty] of Object.entries(allocated)) expect(qty).toBeLessThanOrEqual(chosen.available[sku] ?? 0);
      }),
    );
  });

  it('returns undefined exactly when no warehouse covers every line', () => {
    fc.assert(
      fc.property(lines, warehouses, destination, (ls, ws, dest) => {
        expect(routeToSingleWarehouse(ls, ws, dest) === undefined).toBe(!ws.some((w) => canSupply(w, ls)));
      }),
    );
  });

  it('gives the same answer whatever the order of the warehouses', () => {
    const shuffled = warehouses.chain((ws) => fc.tuple(fc.constant(ws), fc.shuffledSubarray(ws, { minLength: ws.length, maxLength: ws.length })));
    fc.assert(
      fc.property(lines, shuffled, destination, (ls, [ws, reordered], dest) => {
        expect(routeToSingleWarehouse(ls, reordered, dest)).toEqual(routeToSingleWarehouse(ls, ws, dest));
      }),
      { numRuns: 500 },
    );
  });

  it('never picks a warehouse farther away than another one that could supply the whole order', () => {
    fc.assert(
      fc.property(lines, warehouses, point, fc.constantFrom('DE', 'FR'), (ls, ws, location, country) => {
        const allocations = routeToSingleWarehouse(ls, ws, { country, location });
        if (!allocations) return;
        const chosen = ws.find((w) => w.warehouseId === allocations[0].warehouseId)!;
        for (const other of ws.filter((w) => canSupply(w, ls))) {
          expect(distanceKm(chosen.location, location)).toBeLessThanOrEqual(distanceKm(other.location, location));
        }
      }),
      { numRuns: 500 },
    );
  });
});

const usedWarehouses = (result: ReturnType<typeof routeOrder>) => [...new Set(result.allocations.map((a) => a.warehouseId))].sort();

describe('routeOrder', () => {
  it('ships from one warehouse when one can serve the whole order, even if a split would be nearer', () => {
    const warehouses = [warehouse('wh-berlin', BERLIN, { A: 5 }), warehouse('wh-hamburg', HAMBURG, { B: 5 }), warehouse('wh-madrid', MADRID, { A: 5, B: 5 })];
    const result = routeOrder([{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }], warehouses, { country: 'DE', location: BERLIN });
    expect(result).toEqual({
      allocations: [
        { sku: 'A', warehouseId: 'wh-madrid', quantity: 2 },
        { sku: 'B', warehouseId: 'wh-madrid', quantity: 1 },
      ],
      unallocated: [],
    });
  });

  it('picks the same warehouse as routeToSingleWarehouse when one can serve the whole order', () => {
    const warehouses = [warehouse('wh-paris', PARIS, { A: 9 }), warehouse('wh-munich', MUNICH, { A: 9 }), warehouse('wh-madrid', MADRID, { A: 9 })];
    const lines = [{ sku: 'A', quantity: 3 }];
    for (const destination of [{ country: 'FR', location: BERLIN }, { country: 'DE', location: MADRID }, { country: 'FR' }]) {
      expect(routeOrder(lines, warehouses, destination).allocations).toEqual(routeToSingleWarehouse(lines, warehouses, destination));
    }
  });

  it('uses the fewest warehouses that cover the order, even if more warehouses would be nearer', () => {
    const warehouses = [
      warehouse('wh-berlin', BERLIN, { A: 5 }),
      warehouse('wh-hamburg', HAMBURG, { B: 5 }),
      warehouse('wh-munich', MUNICH, { C: 5 }),
      warehouse('wh-madrid', MADRID, { B: 5, C: 5 }),
    ];
    const result = routeOrder([{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }, { sku: 'C', quantity: 1 }], warehouses, { country: 'DE', location: BERLIN });
    expect(result.allocations).toEqual([
      { sku: 'A', warehouseId: 'wh-berlin', quantity: 1 },
      { sku: 'B', warehouseId: 'wh-madrid', quantity: 1 },
      { sku: 'C', warehouseId: 'wh-madrid', quantity: 1 },
    ]);
    expect(result.unallocated).toEqual([]);
  });

  it('uses as many warehouses as a single SKU needs', () => {
    const warehouses = [warehouse('wh-1', BERLIN, { A: 2 }), warehouse('wh-2', PARIS, { A: 3 }), warehouse('wh-3', MADRID, { A: 4 }), warehouse('wh-4', MUNICH, { A: 1 })];
    const result = routeOrder([{ sku: 'A', quantity: 6 }], warehouses, { country: 'DE', location: BERLIN });
    // {wh-1, wh-3} (0 + 1870 km) rather than {wh-2, wh-3} (878 + 1870 km), which would also cover it.
    expect(usedWarehouses(result)).toEqual(['wh-1', 'wh-3']);
    expect(result.unallocated).toEqual([]);
  });

  it('among sets of equal size, prefers the smallest sum of distances to the destination', () => {
    const warehouses = [
      warehouse('wh-berlin', BERLIN, { A: 1 }),
      warehouse('wh-madrid', MADRID, { B: 1, C: 1 }),
      warehouse('wh-paris', PARIS, { A: 1, B: 1 }),
      warehouse('wh-munich', MUNICH, { C: 1 }),
    ];
    const lines = [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }, { sku: 'C', quantity: 1 }];
    // {berlin, madrid} ≈ 0 + 1870 km; {paris, munich} ≈ 878 + 504 km; {paris, madrid} ≈ 878 + 1870 km.
    expect(usedWarehouses(routeOrder(lines, warehouses, { country: 'DE', location: BERLIN }))).toEqual(['wh-munich', 'wh-paris']);
    // From Madrid: {paris, madrid} ≈ 1053 + 0 km beats {berlin, madrid} ≈ 1870 + 0 km and {paris, munich} ≈ 1053 + 1487 km.
    expect(usedWarehouses(routeOrder(lines, warehouses, { country: 'ES', location: MADRID }))).toEqual(['wh-madrid', 'wh-paris']);
  });

  it('prefers the nearest warehouses for each SKU when they form a set of the same size', () => {
    const warehouses = [warehouse('wh-paris', PARIS, { A: 1 }), warehouse('wh-berlin', BERLIN, { A: 1 }), warehouse('wh-madrid', MADRID, { B: 1 }), warehouse('wh-munich', MUNICH, { B: 1 })];
    const lines = [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }];
    expect(usedWarehouses(routeOrder(lines, warehouses, { country: 'DE', location: HAMBURG }))).toEqual(['wh-berlin', 'wh-munich']);
  });

  it('without destination coordinates, prefers more warehouses in the destination country', () => {
    const lines = [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }];
    const warehouses = [
      warehouse('wh-fr-1', PARIS, { A: 1 }, { country: 'FR', priority: 9 }),
      warehouse('wh-fr-2', PARIS, { B: 1 }, { country: 'FR', priority: 9 }),
      warehouse('wh-de-1', BERLIN, { A: 1 }),
      warehouse('wh-de-2', MUNICH, { B: 1 }),
    ];
    expect(usedWarehouses(routeOrder(lines, warehouses, { country: 'DE' }))).toEqual(['wh-de-1', 'wh-de-2']);
    expect(usedWarehouses(routeOrder(lines, warehouses, { country: 'FR' }))).toEqual(['wh-fr-1', 'wh-fr-2']);
    // One German warehouse beats none, even against priority.
    expect(usedWarehouses(routeOrder(lines, warehouses.slice(0, 3), { country: 'DE' }))).toEqual(['wh-de-1', 'wh-fr-2']);
  });

  it('breaks ties by higher priority, then by warehouse ids', () => {
    const lines = [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }];
    const tied = [warehouse('wh-d', BERLIN, { B: 1 }), warehouse('wh-c', BERLIN, { A: 1 }), warehouse('wh-b', BERLIN, { B: 1 }), warehouse('wh-a', BERLIN, { A: 1 })];
    expect(usedWarehouses(routeOrder(lines, tied, { country: 'DE', location: PARIS }))).toEqual(['wh-a', 'wh-b']);
    expect(usedWarehouses(routeOrder(lines, tied, { country: 'DE' }))).toEqual(['wh-a', 'wh-b']);
    const prioritised = tied.map((w) => (w.warehouseId === 'wh-c' ? { ...w, priority: 5 } : w));
    expect(usedWarehouses(routeOrder(lines, prioritised, { country: 'DE', location: PARIS }))).toEqual(['wh-b', 'wh-c']);
    expect(usedWarehouses(routeOrder(lines, prioritised, { country: 'FR' }))).toEqual(['wh-b', 'wh-c']);
  });

  it('splits a line only when no single warehouse of the chosen set can cover it', () => {
    const warehouses = [warehouse('wh-near', BERLIN, { A: 3, B: 5 }), warehouse('wh-far', MADRID, { A: 10, C: 5 })];
    const destination = { country: 'DE', location: BERLIN };
    // wh-far holds all 4 A: A is not split, although wh-near is nearer and has 3.
    expect(routeOrder([{ sku: 'A', quantity: 4 }, { sku: 'B', quantity: 1 }, { sku: 'C', quantity: 1 }], warehouses, destination).allocations).toEqual([
      { sku: 'A', warehouseId: 'wh-far', quantity: 4 },
      { sku: 'B', warehouseId: 'wh-near', quantity: 1 },
      { sku: 'C', warehouseId: 'wh-far', quantity: 1 },
    ]);
    // Both hold 2 A: the nearer one ships them.
    expect(routeOrder([{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }, { sku: 'C', quantity: 1 }], warehouses, destination).allocations).toEqual([
      { sku: 'A', warehouseId: 'wh-near', quantity: 2 },
      { sku: 'B', warehouseId: 'wh-near', quantity: 1 },
      { sku: 'C', warehouseId: 'wh-far', quantity: 1 },
    ]);
    // Neither holds 12 A: split, filling from the nearer one first.
    expect(routeOrder([{ sku: 'A', quantity: 12 }, { sku: 'C', quantity: 1 }], warehouses, destination).allocations).toEqual([
      { sku: 'A', warehouseId: 'wh-near', quantity: 3 },
      { sku: 'A', warehouseId: 'wh-far', quantity: 9 },
      { sku: 'C', warehouseId: 'wh-far', quantity: 1 },
    ]);
  });

  it('allocates what the stock covers and returns the rest as unallocated', () => {
    const warehouses = [warehouse('wh-1', BERLIN, { A: 2 }), warehouse('wh-2', PARIS, { A: 1, B: 1 })];
    expect(routeOrder([{ sku: 'C', quantity: 1 }, { sku: 'B', quantity: 2 }, { sku: 'A', quantity: 5 }], warehouses, { country: 'DE', location: BERLIN })).toEqual({
      allocations: [
        { sku: 'A', warehouseId: 'wh-1', quantity: 2 },
        { sku: 'A', warehouseId: 'wh-2', quantity: 1 },
        { sku: 'B', warehouseId: 'wh-2', quantity: 1 },
      ],
      unallocated: [
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 1 },
        { sku: 'C', quantity: 1 },
      ],
    });
  });

  it('still minimises warehouses for the part it can cover', () => {
    const warehouses = [warehouse('wh-near-1', BERLIN, { A: 2 }), warehouse('wh-near-2', HAMBURG, { A: 2 }), warehouse('wh-far', MADRID, { A: 4 })];
    expect(routeOrder([{ sku: 'A', quantity: 3 }, { sku: 'B', quantity: 1 }], warehouses, { country: 'DE', location: BERLIN })).toEqual({
      allocations: [{ sku: 'A', warehouseId: 'wh-far', quantity: 3 }],
      unallocated: [{ sku: 'B', quantity: 1 }],
    });
  });

  it('merges repeated SKUs, ignores missing stock and non-positive quantities, and handles empty input', () => {
    const warehouses = [warehouse('wh-1', BERLIN, { A: 4, B: 0 }), warehouse('wh-2', MADRID, { A: 5 })];
    expect(routeOrder([{ sku: 'A', quantity: 2 }, { sku: 'A', quantity: 3 }, { sku: 'Z', quantity: 0 }], warehouses, { country: 'DE', location: BERLIN })).toEqual({
      allocations: [{ sku: 'A', warehouseId: 'wh-2', quantity: 5 }],
      unallocated: [],
    });
    expect(routeOrder([], warehouses, { country: 'DE' })).toEqual({ allocations: [], unallocated: [] });
    expect(routeOrder([{ sku: 'B', quantity: 1 }], warehouses, { country: 'DE' })).toEqual({ allocations: [], unallocated: [{ sku: 'B', quantity: 1 }] });
    expect(routeOrder([{ sku: 'A', quantity: 1 }], [], { country: 'DE' })).toEqual({ allocations: [], unallocated: [{ sku: 'A', quantity: 1 }] });
    // A SKU named like an Object.prototype member is just a SKU nobody stocks.
    expect(routeOrder([{ sku: 'constructor', quantity: 1 }], warehouses, { country: 'DE' }).unallocated).toEqual([{ sku: 'constructor', quantity: 1 }]);
  });

  it(`falls back to a greedy cover above ${EXACT_COVER_MAX_CANDIDATES} candidates`, () => {
    const skus = Array.from({ length: 30 }, (_, i) => `SKU-${String(i).padStart(2, '0')}`);
    const singles = skus.map((sku, i) => warehouse(`wh-single-${String(i).padStart(2, '0')}`, BERLIN, { [sku]: 1 }));
    const halves = [
      warehouse('wh-half-1', MADRID, Object.fromEntries(skus.slice(0, 15).map((sku) => [sku, 1]))),
      warehouse('wh-half-2', MADRID, Object.fromEntries(skus.slice(15).map((sku) => [sku, 1]))),
    ];
    const result = routeOrder(skus.map((sku) => ({ sku, quantity: 1 })), [...singles, ...halves], { country: 'DE', location: BERLIN });
    expect(usedWarehouses(result)).toEqual(['wh-half-1', 'wh-half-2']);
    expect(result.unallocated).toEqual([]);
  });

  it(`searches ${EXACT_COVER_MAX_CANDIDATES} candidates exactly, within a workflow task's budget`, () => {
    // 20 warehouses of 1 unit each, 10 wanted: C(20, 10) = 184,756 sets of the minimum size.
    const warehouses = Array.from({ length: EXACT_COVER_MAX_CANDIDATES }, (_, i) =>
      warehouse(`wh-${String(i).padStart(2, '0')}`, { lat: 40 + i / 2, lng: i / 3 }, { A: 1, B: i % 2 }),
    );
    const result = routeOrder([{ sku: 'A', quantity: 10 }, { sku: 'B', quantity: 5 }], warehouses, { country: 'DE' });
    expect(usedWarehouses(result)).toHaveLength(10);
    expect(result.unallocated).toEqual([]);
  });
});

describe('routeOrder properties', () => {
  const SKUS = ['A', 'B', 'C', 'D'];
  const point = fc.record({ lat: fc.double({ min: -90, max: 90, noNaN: true }), lng: fc.double({ min: -180, max: 180, noNaN: true }) });
  const warehouses = fc.uniqueArray(
    fc.record({
      warehouseId: fc.constantFrom('wh-1', 'wh-2', 'wh-3', 'wh-4', 'wh-5'),
      country: fc.constantFrom('DE', 'FR'),
      location: fc.oneof(point, fc.constant(BERLIN), fc.constant(PARIS)),
      priority: fc.integer({ min: 0, max: 2 }),
      available: fc.dictionary(fc.constantFrom(...SKUS), fc.integer({ min: 0, max: 6 })),
    }),
    { selector: (w) => w.warehouseId, maxLength: 5 },
  );
  const lines = fc.array(fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 6 });
  const destination: fc.Arbitrary<Destination> = fc.record({ country: fc.constantFrom('DE', 'FR'), location: fc.option(point, { nil: undefined }) }, { requiredKeys: ['country'] });

  const sumBySku = (items: ReadonlyArray<{ sku: string; quantity: number }>) => {
    const sums: Record<string, number> = {};
    for (const { sku, quantity } of items) sums[sku] = (sums[sku] ?? 0) + quantity;
    return sums;
  };
  const stockOf = (ws: readonly WarehouseStock[], sku: string) => ws.reduce((sum, w) => sum + (w.available[sku] ?? 0), 0);
  /** What can be covered per SKU: the ordered quantity, capped by the stock of all warehouses. */
  const coverable = (ls: Array<{ sku: string; quantity: number }>, ws: readonly WarehouseStock[]) =>
    Object.fromEntries(Object.entries(sumBySku(ls)).map(([sku, qty]) => [sku, Math.min(qty, stockOf(ws, sku))]));
  const subsets = <T>(items: readonly T[]): T[][] => items.reduce<T[][]>((acc, item) => [...acc, ...acc.map((s) => [...s, item])], [[]]);
  /** Brute force: every smallest set of warehouses covering what can be covered. */
  const smallestCovers = (ls: Array<{ sku: string; quantity: number }>, ws: readonly WarehouseStock[]) => {
    const need = coverable(ls, ws);
    const covering = subsets(ws).filter((set) => Object.entries(need).every(([sku, qty]) => stockOf(set, sku) >= qty));
    const size = Math.min(...covering.map((set) => set.length));
    return covering.filter((set) => set.length === size);
  };

  it('never allocates more than available per (SKU, warehouse), nor zero, nor twice the same pair', () => {
    fc.assert(
      fc.property(lines, warehouses, destination, (ls, ws, dest) => {
        const { allocations } = routeOrder(ls, ws, dest);
        const pairs = allocations.map((a) => `${a.sku}@${a.warehouseId}`);
        expect(new Set(pairs).size).toBe(pairs.length);
        for (const a of allocations) {
          expect(a.quantity).toBeGreaterThan(0);
          expect(a.quantity).toBeLessThanOrEqual(ws.find((w) => w.warehouseId === a.warehouseId)!.available[a.sku] ?? 0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('allocates plus leaves unallocated exactly the ordered quantity per SKU, sorted by SKU', () => {
    fc.assert(
      fc.property(lines, warehouses, destination, (ls, ws, dest) => {
        const { allocations, unallocated } = routeOrder(ls, ws, dest);
        expect(sumBySku([...allocations, ...unallocated])).toEqual(sumBySku(ls));
        for (const list of [allocations.map((a) => a.sku), unallocated.map((u) => u.sku)]) expect(list).toEqual([...list].sort());
        expect(new Set(unallocated.map((u) => u.sku)).size).toBe(unallocated.length);
        for (const u of unallocated) expect(u.quantity).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves nothing unallocated whenever the stock of all warehouses covers the order', () => {
    fc.assert(
      fc.property(lines, warehouses, destination, (ls, ws, dest) => {
        const { unallocated } = routeOrder(ls, ws, dest);
        const coverable = Object.entries(sumBySku(ls)).every(([sku, qty]) => stockOf(ws, sku) >= qty);
        expect(unallocated.length === 0).toBe(coverable);
        for (const u of unallocated) expect(u.quantity).toBe(sumBySku(ls)[u.sku] - Math.min(sumBySku(ls)[u.sku], stockOf(ws, u.sku)));
      }),
      { numRuns: 500 },
    );
  });

  it('uses no more warehouses than the smallest covering set found by brute force', () => {
    fc.assert(
      fc.property(lines, warehouses, destination, (ls, ws, dest) => {
        const used = usedWarehouses(routeOrder(ls, ws, dest));
        const covers = smallestCovers(ls, ws);
        expect(used).toHaveLength(covers[0].length);
        expect(covers.map((set) => set.map((w) => w.warehouseId).sort())).toContainEqual(used);
      }),
      { numRuns: 1000 },
    );
  });

  it('among the smallest covering sets, picks one with the least total distance to the destination', () => {
    fc.assert(
      fc.property(lines, warehouses, point, fc.constantFrom('DE', 'FR'), (ls, ws, location, country) => {
        const used = usedWarehouses(routeOrder(ls, ws, { country, location }));
        const total = (ids: string[]) => ids.reduce((sum, id) => sum + distanceKm(ws.find((w) => w.warehouseId === id)!.location, location), 0);
        for (const set of smallestCovers(ls, ws)) expect(total(used)).toBeLessThanOrEqual(total(set.map((w) => w.warehouseId)) + 1e-6);
      }),
      { numRuns: 500 },
    );
  });

  it('allocates from the single warehouse routeToSingleWarehouse picks, whenever there is one', () => {
    fc.assert(
      fc.property(lines, warehouses, destination, (ls, ws, dest) => {
        const single = routeToSingleWarehouse(ls, ws, dest);
        if (!single) return;
        expect(usedWarehouses(routeOrder(ls, ws, dest))).toEqual([single[0].warehouseId]);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same answer whatever the order of the warehouses and of the lines', () => {
    const reorderings = fc
      .tuple(lines, warehouses)
      .chain(([ls, ws]) =>
        fc.tuple(
          fc.constant(ls),
          fc.constant(ws),
          fc.shuffledSubarray(ls, { minLength: ls.length, maxLength: ls.length }),
          fc.shuffledSubarray(ws, { minLength: ws.length, maxLength: ws.length }),
        ),
      );
    fc.assert(
      fc.property(reorderings, destination, ([ls, ws, reorderedLines, reorderedWarehouses], dest) => {
        expect(routeOrder(reorderedLines, reorderedWarehouses, dest)).toEqual(routeOrder(ls, ws, dest));
      }),
      { numRuns: 500 },
    );
  });
});
