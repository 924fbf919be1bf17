import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { captureForShipment, paymentStatusAfterCapture, valueOfUnits } from '../../domain/payments.js';
import type { OrderLine, ShipmentLine } from '../../domain/order.js';

const lines: OrderLine[] = [
  { lineId: 'L1', sku: 'MUG', quantity: 2, unitPrice: 900 },
  { lineId: 'L2', sku: 'TEE', quantity: 3, unitPrice: 1999 },
  { lineId: 'L3', sku: 'MUG', quantity: 1, unitPrice: 500 }, // the same SKU again, at another price
];

describe('captureForShipment', () => {
  it('captures the value of what a shipment carries', () => {
    expect(captureForShipment(lines, [], [{ sku: 'TEE', quantity: 2 }])).toBe(3998);
  });

  it('prices a SKU ordered on several lines by those lines in order', () => {
    expect(captureForShipment(lines, [], [{ sku: 'MUG', quantity: 2 }])).toBe(1800);
    expect(captureForShipment(lines, [{ sku: 'MUG', quantity: 2 }], [{ sku: 'MUG', quantity: 1 }])).toBe(500);
  });

  it('refuses units the order does not have', () => {
    expect(() => valueOfUnits(lines, new Map([['MUG', 4]]))).toThrow(RangeError);
  });

  it('adds up to the order total exactly, however the units are split into shipments', () => {
    const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
    const units: ShipmentLine[] = lines.flatMap((l) => Array.from({ length: l.quantity }, () => ({ sku: l.sku, quantity: 1 })));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: units.length, maxLength: units.length }), (shipmentOfUnit) => {
        let shipped: ShipmentLine[] = [];
        let captured = 0;
        for (let shipment = 0; shipment <= 3; shipment++) {
          const carried = units.filter((_, i) => shipmentOfUnit[i] === shipment);
          captured += captureForShipment(lines, shipped, carried);
          shipped = [...shipped, ...carried];
        }
        expect(captured).toBe(total);
      }),
    );
  });
});

describe('paymentStatusAfterCapture', () => {
  it('is partially captured until the total is captured', () => {
    expect(paymentStatusAfterCapture(100, 300)).toBe('partially_captured');
    expect(paymentStatusAfterCapture(300, 300)).toBe('captured');
  });
});
