import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GeoPoint } from '../../domain/order.js';
import { distanceKm, routeToSingleWarehouse, type Destination, type WarehouseStock } from '../../domain/routing.js';

const BERLIN = { lat: 52.52, lng: 13.405 };
const PARIS = { lat: 48.857, lng: 2.352 };
const MUNICH = { lat: 48.137, lng: 11.575 };
const MADRID = { lat: 40.4168, lng: -3.7038 };

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
