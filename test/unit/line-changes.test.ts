import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocationDifference,
  applyLineCancellations,
  cancellableUnits,
  lineCancellationProblem,
  mergeAllocations,
  subtractAllocations,
  takeBackCancelledUnits,
} from '../../domain/line-changes.js';
import type { OrderLine, Shipment } from '../../domain/order.js';

const lines: OrderLine[] = [
  { lineId: 'L1', sku: 'MUG', quantity: 3, unitPrice: 1000 },
  { lineId: 'L2', sku: 'CAP', quantity: 1, unitPrice: 450, cancelledQuantity: 0 },
];

const shipment = (id: string, status: Shipment['status'], warehouseId: string, shipmentLines: Shipment['lines']): Shipment => ({
  shipmentId: id,
  warehouseId,
  status,
  carrier: 'SBX',
  trackingNumber: 'T',
  lines: shipmentLines,
});

describe('cancellableUnits', () => {
  it('leaves out what was cancelled before and what left a warehouse, not what waits on a pending shipment', () => {
    const shipments = [shipment('s1', 'shipped', 'w1', [{ sku: 'MUG', quantity: 2 }]), shipment('s2', 'pending', 'w2', [{ sku: 'CAP', quantity: 1 }])];
    expect(cancellableUnits([{ ...lines[0], cancelledQuantity: 1 }, lines[1]], shipments)).toEqual([
      { lineId: 'L1', quantity: 0 },
      { lineId: 'L2', quantity: 1 },
    ]);
  });

  it('offers exactly the units a cancellation may take', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), (shippedMugs, cancelled) => {
        const shipments = shippedMugs > 0 ? [shipment('s1', 'delivered', 'w1', [{ sku: 'MUG', quantity: shippedMugs }])] : [];
        const [mugs] = cancellableUnits(lines, shipments);
        expect(lineCancellationProblem(lines, shipments, [{ lineId: 'L1', quantity: cancelled }]) === undefined).toBe(cancelled <= mugs.quantity);
      }),
    );
  });
});

describe('lineCancellationProblem', () => {
  it('accepts units that have not shipped', () => {
    const shipments = [shipment('s1', 'shipped', 'w1', [{ sku: 'MUG', quantity: 1 }])];
    expect(lineCancellationProblem(lines, shipments, [{ lineId: 'L1', quantity: 2 }])).toBeUndefined();
  });

  it('refuses shipped units, unknown lines, repeated lines and more than is left', () => {
    const shipments = [shipment('s1', 'delivered', 'w1', [{ sku: 'MUG', quantity: 2 }])];
    expect(lineCancellationProblem(lines, shipments, [{ lineId: 'L1', quantity: 2 }])).toBe('line L1 has only 1 units left to cancel (2 shipped)');
    expect(lineCancellationProblem(lines, [], [{ lineId: 'L3', quantity: 1 }])).toBe('the order has no line L3');
    expect(lineCancellationProblem(lines, [], [{ lineId: 'L2', quantity: 1 }, { lineId: 'L2', quantity: 1 }])).toBe('line L2 is listed twice');
    const cancelledBefore = [{ ...lines[0], cancelledQuantity: 2 }];
    expect(lineCancellationProblem(cancelledBefore, [], [{ lineId: 'L1', quantity: 2 }])).toBe('line L1 has only 1 units left to cancel');
  });

  it('counts shipped units against the lines they were priced on, in line order', () => {
    // Two lines of the same SKU at different prices: the first unit shipped was captured at line L1's price.
    const sameSku: OrderLine[] = [
      { lineId: 'L1', sku: 'MUG', quantity: 1, unitPrice: 900 },
      { lineId: 'L2', sku: 'MUG', quantity: 1, unitPrice: 500 },
    ];
    const shipments = [shipment('s1', 'shipped', 'w1', [{ sku: 'MUG', quantity: 1 }])];
    expect(lineCancellationProblem(sameSku, shipments, [{ lineId: 'L1', quantity: 1 }])).toBe('line L1 has only 0 units left to cancel (1 shipped)');
    expect(lineCancellationProblem(sameSku, shipments, [{ lineId: 'L2', quantity: 1 }])).toBeUndefined();
  });
});

describe('applyLineCancellations', () => {
  it('adds to each line its cancelled units and prices exactly what was cancelled', () => {
    const result = applyLineCancellations(lines, [{ lineId: 'L1', quantity: 2 }, { lineId: 'L2', quantity: 1 }]);
    expect(result.lines.map((l) => l.cancelledQuantity)).toEqual([2, 1]);
    expect(result.cancelledValue).toBe(2450);
    expect(result.cancelled).toEqual([{ sku: 'MUG', quantity: 2 }, { sku: 'CAP', quantity: 1 }]);
  });
});

describe('takeBackCancelledUnits', () => {
  it('takes from the backorder first, then held stock, then the newest pending shipment; never from shipped ones', () => {
    const result = takeBackCancelledUnits(
      {
        unallocated: [{ sku: 'MUG', quantity: 1 }],
        held: [{ sku: 'MUG', warehouseId: 'w1', quantity: 1 }],
        shipments: [
          shipment('s1', 'shipped', 'w1', [{ sku: 'MUG', quantity: 5 }]),
          shipment('s2', 'pending', 'w2', [{ sku: 'MUG', quantity: 2 }, { sku: 'CAP', quantity: 1 }]),
          shipment('s3', 'pending', 'w3', [{ sku: 'MUG', quantity: 1 }]),
        ],
      },
      [{ sku: 'MUG', quantity: 4 }],
    );
    expect(result.unallocated).toEqual([]);
    expect(result.held).toEqual([]);
    expect(result.released).toEqual([
      { sku: 'MUG', warehouseId: 'w1', quantity: 1 },
      { sku: 'MUG', warehouseId: 'w3', quantity: 1 },
      { sku: 'MUG', warehouseId: 'w2', quantity: 1 },
    ]);
    expect(result.shipments.map((s) => [s.shipmentId, s.status, s.lines])).toEqual([
      ['s1', 'shipped', [{ sku: 'MUG', quantity: 5 }]],
      ['s2', 'pending', [{ sku: 'MUG', quantity: 1 }, { sku: 'CAP', quantity: 1 }]],
      ['s3', 'cancelled', []],
    ]);
    expect(result.amendedShipments).toEqual([
      { shipmentId: 's2', lines: [{ sku: 'MUG', quantity: 1 }, { sku: 'CAP', quantity: 1 }] },
      { shipmentId: 's3', lines: [] },
    ]);
  });

  it('conserves units: what is left plus what was taken equals what there was', () => {
    const holding = fc.record({
      unallocated: fc.nat(5),
      held: fc.array(fc.record({ warehouseId: fc.constantFrom('w1', 'w2'), quantity: fc.integer({ min: 1, max: 4 }) }), { maxLength: 2 }),
      pending: fc.array(fc.record({ warehouseId: fc.constantFrom('w1', 'w2', 'w3'), quantity: fc.integer({ min: 1, max: 4 }) }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(holding, fc.nat(20), ({ unallocated, held, pending }, wanted) => {
        const before = {
          unallocated: unallocated > 0 ? [{ sku: 'X', quantity: unallocated }] : [],
          held: held.map((h) => ({ sku: 'X', ...h })),
          shipments: pending.map((p, i) => shipment(`s${i}`, 'pending', p.warehouseId, [{ sku: 'X', quantity: p.quantity }])),
        };
        const total = unallocated + held.reduce((s, h) => s + h.quantity, 0) + pending.reduce((s, p) => s + p.quantity, 0);
        const cancel = Math.min(wanted, total);
        const after = takeBackCancelledUnits(before, [{ sku: 'X', quantity: cancel }]);
        const left =
          after.unallocated.reduce((s, q) => s + q.quantity, 0) +
          after.held.reduce((s, h) => s + h.quantity, 0) +
          after.shipments.flatMap((s) => s.lines).reduce((s, l) => s + l.quantity, 0);
        const released = after.released.reduce((s, r) => s + r.quantity, 0);
        expect(left).toBe(total - cancel);
        // Released is what was reserved (held or on a shipment), never what was only backordered.
        expect(released).toBe(cancel - Math.min(cancel, unallocated));
      }),
    );
  });
});

describe('allocation arithmetic', () => {
  it('tells a re-route what to reserve additionally and what to release', () => {
    const current = [
      { sku: 'A', warehouseId: 'w1', quantity: 2 },
      { sku: 'B', warehouseId: 'w1', quantity: 1 },
    ];
    const planned = [
      { sku: 'A', warehouseId: 'w2', quantity: 2 },
      { sku: 'B', warehouseId: 'w1', quantity: 1 },
    ];
    expect(allocationDifference(current, planned)).toEqual({
      reserve: [{ sku: 'A', warehouseId: 'w2', quantity: 2 }],
      release: [{ sku: 'A', warehouseId: 'w1', quantity: 2 }],
    });
    expect(allocationDifference(current, current)).toEqual({ reserve: [], release: [] });
  });

  it('merges and subtracts per SKU and warehouse', () => {
    const merged = mergeAllocations([{ sku: 'A', warehouseId: 'w1', quantity: 1 }], [
      { sku: 'A', warehouseId: 'w1', quantity: 2 },
      { sku: 'A', warehouseId: 'w2', quantity: 1 },
    ]);
    expect(merged).toEqual([
      { sku: 'A', warehouseId: 'w1', quantity: 3 },
      { sku: 'A', warehouseId: 'w2', quantity: 1 },
    ]);
    expect(subtractAllocations(merged, [{ sku: 'A', warehouseId: 'w2', quantity: 1 }])).toEqual([{ sku: 'A', warehouseId: 'w1', quantity: 3 }]);
  });
});
