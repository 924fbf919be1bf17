import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderLine, OrderReturn, Shipment } from '../../domain/order.js';
import { orderStatusWithReturns, receiptLinesProblem, refundForReturn, returnLinesProblem } from '../../domain/returns.js';

const lines: OrderLine[] = [
  { lineId: 'L1', sku: 'MUG', quantity: 2, unitPrice: 900 },
  { lineId: 'L2', sku: 'TEE', quantity: 3, unitPrice: 1999 },
  { lineId: 'L3', sku: 'MUG', quantity: 1, unitPrice: 500 }, // the same SKU again, at another price
];

const shipment = (status: Shipment['status'], shipmentLines: Shipment['lines']): Shipment => ({
  shipmentId: `shp-${status}`,
  warehouseId: 'wh-berlin',
  status,
  carrier: 'sandbox',
  trackingNumber: 'SBX000000000001',
  lines: shipmentLines,
});

const aReturn = (status: OrderReturn['status'], returnLines: OrderReturn['lines'], received?: OrderReturn['lines']): OrderReturn => ({
  returnId: `ord-${status}`,
  lines: returnLines,
  reason: 'does not fit',
  requestedBy: 'channel:web',
  status,
  requestedAt: '2026-01-01T00:00:00.000Z',
  receiptDeadline: '2026-01-15T00:00:00.000Z',
  ...(received ? { receipt: { warehouseId: 'wh-berlin', lines: received, receivedAt: '2026-01-03T00:00:00.000Z', recordedBy: 'warehouse' } } : {}),
});

const delivered = [shipment('delivered', [{ sku: 'TEE', quantity: 3 }, { sku: 'MUG', quantity: 1 }]), shipment('shipped', [{ sku: 'MUG', quantity: 2 }])];

describe('returnLinesProblem', () => {
  it('accepts delivered units that are not on a return', () => {
    expect(returnLinesProblem(delivered, [], [{ sku: 'TEE', quantity: 3 }, { sku: 'MUG', quantity: 1 }])).toBeUndefined();
  });

  it('refuses units that were not delivered (still in transit, or never ordered)', () => {
    expect(returnLinesProblem(delivered, [], [{ sku: 'MUG', quantity: 2 }])).toBe('only 1 of the 1 delivered units of MUG can still be returned');
    expect(returnLinesProblem(delivered, [], [{ sku: 'CAP', quantity: 1 }])).toBe('no CAP was delivered with this order');
  });

  it('counts the same SKU named twice together', () => {
    expect(returnLinesProblem(delivered, [], [{ sku: 'TEE', quantity: 2 }, { sku: 'TEE', quantity: 2 }])).toMatch(/only 3 of the 3/);
  });

  it('refuses units already on a return, but frees those of an expired return and those that never arrived', () => {
    const open = aReturn('requested', [{ sku: 'TEE', quantity: 2 }]);
    expect(returnLinesProblem(delivered, [open], [{ sku: 'TEE', quantity: 2 }])).toBe('only 1 of the 3 delivered units of TEE can still be returned');
    const expired = aReturn('expired', [{ sku: 'TEE', quantity: 2 }]);
    const partlyArrived = aReturn('refunded', [{ sku: 'TEE', quantity: 3 }], [{ sku: 'TEE', quantity: 1 }]);
    expect(returnLinesProblem(delivered, [expired, partlyArrived], [{ sku: 'TEE', quantity: 2 }])).toBeUndefined();
  });

  it('refuses an empty return and quantities that are not positive integers', () => {
    expect(returnLinesProblem(delivered, [], [])).toBe('a return needs at least one line');
    expect(returnLinesProblem(delivered, [], [{ sku: 'TEE', quantity: 0 }])).toBe('cannot return 0 units of TEE');
    expect(returnLinesProblem(delivered, [], [{ sku: 'TEE', quantity: 1.5 }])).toBe('cannot return 1.5 units of TEE');
  });
});

describe('receiptLinesProblem', () => {
  const announced = [{ sku: 'TEE', quantity: 2 }];
  it('accepts what was announced, or less of it', () => {
    expect(receiptLinesProblem(announced, [{ sku: 'TEE', quantity: 2 }])).toBeUndefined();
    expect(receiptLinesProblem(announced, [{ sku: 'TEE', quantity: 1 }])).toBeUndefined();
  });
  it('refuses more than announced, other SKUs and empty receipts', () => {
    expect(receiptLinesProblem(announced, [{ sku: 'TEE', quantity: 1 }, { sku: 'TEE', quantity: 2 }])).toBe('the return announced only 2 units of TEE');
    expect(receiptLinesProblem(announced, [{ sku: 'MUG', quantity: 1 }])).toBe('MUG is not part of this return');
    expect(receiptLinesProblem(announced, [])).toBe('a receipt needs at least one line');
  });
});

describe('refundForReturn', () => {
  it('refunds the value of the returned units', () => {
    expect(refundForReturn(lines, [], [{ sku: 'TEE', quantity: 2 }])).toBe(3998);
  });

  it('prices a return after the units returned before it, as captures are priced after earlier shipments', () => {
    expect(refundForReturn(lines, [], [{ sku: 'MUG', quantity: 2 }])).toBe(1800);
    expect(refundForReturn(lines, [{ sku: 'MUG', quantity: 2 }], [{ sku: 'MUG', quantity: 1 }])).toBe(500);
  });

  it('never adds up to more than the order is worth, however the units are split into returns', () => {
    const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
    const units = lines.flatMap((l) => Array.from({ length: l.quantity }, () => ({ sku: l.sku, quantity: 1 })));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: units.length, maxLength: units.length }), (returnOfUnit) => {
        const returned: typeof units = [];
        let refunded = 0;
        for (let r = 0; r <= 3; r++) {
          const thisReturn = units.filter((_, i) => returnOfUnit[i] === r);
          refunded += refundForReturn(lines, returned, thisReturn);
          returned.push(...thisReturn);
        }
        expect(refunded).toBe(total);
      }),
    );
  });
});

describe('orderStatusWithReturns', () => {
  const shipments = [shipment('delivered', [{ sku: 'TEE', quantity: 3 }])];
  it('is delivered while nothing is being returned, partially_returned for some units, returned for all', () => {
    expect(orderStatusWithReturns(shipments, [])).toBe('delivered');
    expect(orderStatusWithReturns(shipments, [aReturn('expired', [{ sku: 'TEE', quantity: 3 }])])).toBe('delivered');
    expect(orderStatusWithReturns(shipments, [aReturn('requested', [{ sku: 'TEE', quantity: 1 }])])).toBe('partially_returned');
    expect(orderStatusWithReturns(shipments, [aReturn('requested', [{ sku: 'TEE', quantity: 3 }])])).toBe('returned');
  });
  it('follows what arrived, not what was announced', () => {
    expect(orderStatusWithReturns(shipments, [aReturn('refunded', [{ sku: 'TEE', quantity: 3 }], [{ sku: 'TEE', quantity: 2 }])])).toBe('partially_returned');
  });
});
