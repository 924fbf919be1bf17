import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activeQuantity, type OrderLine, type OrderReturn, type ReturnLine, type Shipment } from '../../domain/order.js';
import type { LineQuantity, OrderQuantity } from '../../domain/quantities.js';
import { valueOfUnits } from '../../domain/payments.js';
import {
  linesToReturn,
  orderStatusWithReturns,
  receiptLinesProblem,
  receivedLines,
  refundForReceipt,
  returnLinesProblem,
} from '../../domain/returns.js';
import { quantitiesBySku, sumQuantities } from '../../domain/routing.js';

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

const aReturn = (status: OrderReturn['status'], returnLines: LineQuantity[], received?: OrderQuantity[]): OrderReturn => ({
  returnId: `ord-${status}`,
  lines: linesToReturn(lines, returnLines),
  reason: 'does not fit',
  requestedBy: 'channel:web',
  status,
  requestedAt: '2026-01-01T00:00:00.000Z',
  receiptDeadline: '2026-01-15T00:00:00.000Z',
  ...(received ? { receipt: { warehouseId: 'wh-berlin', lines: received, receivedAt: '2026-01-03T00:00:00.000Z', recordedBy: 'warehouse' } } : {}),
});

/** Every TEE and one MUG delivered; two MUGs still on their way. */
const delivered = [shipment('delivered', [{ sku: 'TEE', quantity: 3 }, { sku: 'MUG', quantity: 1 }]), shipment('shipped', [{ sku: 'MUG', quantity: 2 }])];
const everythingDelivered = [shipment('delivered', [{ sku: 'TEE', quantity: 3 }, { sku: 'MUG', quantity: 3 }])];

describe('returnLinesProblem', () => {
  it('accepts delivered units of the order lines that are not on a return', () => {
    expect(returnLinesProblem(lines, delivered, [], [{ lineId: 'L2', quantity: 3 }, { lineId: 'L1', quantity: 1 }])).toBeUndefined();
  });

  it("gives a SKU's delivered units to its lines in line order, so a later line of the SKU may have none", () => {
    expect(returnLinesProblem(lines, delivered, [], [{ lineId: 'L1', quantity: 2 }])).toBe(
      'only 1 of the 1 delivered units of line L1 (MUG) can still be returned',
    );
    expect(returnLinesProblem(lines, delivered, [], [{ lineId: 'L3', quantity: 1 }])).toBe('no unit of line L3 (MUG) was delivered');
    expect(returnLinesProblem(lines, everythingDelivered, [], [{ lineId: 'L3', quantity: 1 }])).toBeUndefined();
  });

  it('takes cancelled units out of their line first', () => {
    const oneMugCancelled = [{ ...lines[0], cancelledQuantity: 1 }, lines[1], lines[2]];
    const twoMugsDelivered = [shipment('delivered', [{ sku: 'MUG', quantity: 2 }])];
    expect(returnLinesProblem(oneMugCancelled, twoMugsDelivered, [], [{ lineId: 'L3', quantity: 1 }])).toBeUndefined();
    expect(returnLinesProblem(oneMugCancelled, twoMugsDelivered, [], [{ lineId: 'L1', quantity: 2 }])).toBe(
      'only 1 of the 1 delivered units of line L1 (MUG) can still be returned',
    );
  });

  it('refuses unknown lines and a line listed twice', () => {
    expect(returnLinesProblem(lines, delivered, [], [{ lineId: 'L9', quantity: 1 }])).toBe('the order has no line L9');
    expect(returnLinesProblem(lines, delivered, [], [{ lineId: 'L2', quantity: 1 }, { lineId: 'L2', quantity: 1 }])).toBe('line L2 is listed twice');
  });

  it('refuses units already on a return, but frees those of an expired return and those that never arrived', () => {
    const open = aReturn('requested', [{ lineId: 'L2', quantity: 2 }]);
    expect(returnLinesProblem(lines, delivered, [open], [{ lineId: 'L2', quantity: 2 }])).toBe(
      'only 1 of the 3 delivered units of line L2 (TEE) can still be returned',
    );
    const expired = aReturn('expired', [{ lineId: 'L2', quantity: 2 }]);
    const partlyArrived = aReturn('refunded', [{ lineId: 'L2', quantity: 3 }], [{ sku: 'TEE', quantity: 1 }]);
    expect(returnLinesProblem(lines, delivered, [expired, partlyArrived], [{ lineId: 'L2', quantity: 2 }])).toBeUndefined();
  });

  it("counts a partial receipt against the return's lines of the SKU in the return's line order", () => {
    const laterLineFirst = aReturn('refunded', [{ lineId: 'L3', quantity: 1 }, { lineId: 'L1', quantity: 2 }], [{ sku: 'MUG', quantity: 1 }]);
    expect(returnLinesProblem(lines, everythingDelivered, [laterLineFirst], [{ lineId: 'L3', quantity: 1 }])).toBe(
      'only 0 of the 1 delivered units of line L3 (MUG) can still be returned',
    );
    expect(returnLinesProblem(lines, everythingDelivered, [laterLineFirst], [{ lineId: 'L1', quantity: 2 }])).toBeUndefined();
  });

  it('refuses an empty return and quantities that are not positive integers', () => {
    expect(returnLinesProblem(lines, delivered, [], [])).toBe('a return needs at least one line');
    expect(returnLinesProblem(lines, delivered, [], [{ lineId: 'L2', quantity: 0 }])).toBe('cannot return 0 units of line L2');
    expect(returnLinesProblem(lines, delivered, [], [{ lineId: 'L2', quantity: 1.5 }])).toBe('cannot return 1.5 units of line L2');
  });
});

describe('linesToReturn', () => {
  it('names each requested line with its SKU, in the order requested', () => {
    expect(linesToReturn(lines, [{ lineId: 'L3', quantity: 1 }, { lineId: 'L2', quantity: 2 }])).toEqual([
      { lineId: 'L3', sku: 'MUG', quantity: 1 },
      { lineId: 'L2', sku: 'TEE', quantity: 2 },
    ]);
  });
});

describe('receiptLinesProblem', () => {
  const announced = linesToReturn(lines, [{ lineId: 'L1', quantity: 2 }, { lineId: 'L3', quantity: 1 }]);
  it("accepts up to what was announced of each SKU, over the return's lines of that SKU", () => {
    expect(receiptLinesProblem(announced, [{ sku: 'MUG', quantity: 3 }])).toBeUndefined();
    expect(receiptLinesProblem(announced, [{ sku: 'MUG', quantity: 1 }])).toBeUndefined();
  });
  it('refuses more than announced, other SKUs and empty receipts', () => {
    expect(receiptLinesProblem(announced, [{ sku: 'MUG', quantity: 2 }, { sku: 'MUG', quantity: 2 }])).toBe('the return announced only 3 units of MUG');
    expect(receiptLinesProblem(announced, [{ sku: 'TEE', quantity: 1 }])).toBe('TEE is not part of this return');
    expect(receiptLinesProblem(announced, [])).toBe('a receipt needs at least one line');
  });
});

describe('receivedLines', () => {
  it("gives the received units of a SKU to the return's lines of that SKU in the return's line order", () => {
    const announced = linesToReturn(lines, [{ lineId: 'L3', quantity: 1 }, { lineId: 'L2', quantity: 1 }, { lineId: 'L1', quantity: 2 }]);
    expect(receivedLines(announced, [{ sku: 'MUG', quantity: 2 }])).toEqual([
      { lineId: 'L3', sku: 'MUG', quantity: 1 },
      { lineId: 'L1', sku: 'MUG', quantity: 1 },
    ]);
  });
});

describe('refundForReceipt', () => {
  it("refunds each received unit at its own line's price, whatever other lines hold the same SKU", () => {
    expect(refundForReceipt(lines, linesToReturn(lines, [{ lineId: 'L2', quantity: 2 }]), [{ sku: 'TEE', quantity: 2 }])).toBe(3998);
    expect(refundForReceipt(lines, linesToReturn(lines, [{ lineId: 'L3', quantity: 1 }]), [{ sku: 'MUG', quantity: 1 }])).toBe(500);
    expect(refundForReceipt(lines, linesToReturn(lines, [{ lineId: 'L1', quantity: 1 }]), [{ sku: 'MUG', quantity: 1 }])).toBe(900);
  });

  it('refunds only what arrived of a partial receipt', () => {
    const announced = linesToReturn(lines, [{ lineId: 'L3', quantity: 1 }, { lineId: 'L1', quantity: 2 }]);
    expect(refundForReceipt(lines, announced, [{ sku: 'MUG', quantity: 2 }])).toBe(500 + 900);
  });
});

describe('returns of any order', () => {
  const skus = ['MUG', 'TEE', 'CAP'];
  const anOrder = fc
    .array(
      fc.record({
        sku: fc.constantFrom(...skus),
        quantity: fc.integer({ min: 1, max: 4 }),
        unitPrice: fc.integer({ min: 0, max: 5000 }),
        cancelled: fc.integer({ min: 0, max: 4 }),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .map((drafts): OrderLine[] =>
      drafts.map(({ cancelled, ...line }, i) => ({ ...line, lineId: `L${i + 1}`, cancelledQuantity: Math.min(cancelled, line.quantity) })),
    );
  /** Each return: some lines (by index) and units, then how many units of each SKU arrive (none: it expires). */
  const aReturnAttempt = fc.record({
    picks: fc.array(fc.record({ line: fc.nat(), quantity: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3 }),
    arriving: fc.array(fc.nat({ max: 4 }), { minLength: skus.length, maxLength: skus.length }),
  });

  /** Per SKU: how many of its units not cancelled were delivered (taken modulo them). */
  const deliveredSeeds = fc.array(fc.nat(), { minLength: skus.length, maxLength: skus.length });

  it('never refund more than the value of the delivered units, and refund exactly that once every line is returned in full', () => {
    fc.assert(
      fc.property(anOrder, deliveredSeeds, fc.array(aReturnAttempt, { maxLength: 6 }), (orderLines, seeds, attempts) => {
        const activeLines = orderLines.map((line) => ({ ...line, quantity: activeQuantity(line) }));
        const deliveredOfSku = skus.map((sku, i) => {
          const active = activeLines.filter((l) => l.sku === sku).reduce((sum, l) => sum + l.quantity, 0);
          return { sku, quantity: seeds[i] % (active + 1) };
        });
        const shipments = [shipment('delivered', deliveredOfSku.filter((q) => q.quantity > 0))];
        const deliveredValue = valueOfUnits(activeLines, quantitiesBySku(deliveredOfSku));
        const returns: OrderReturn[] = [];
        let refunded = 0;

        /** Opens the return when the order takes it, and receives `arriving` of its units (capped at what it announced). */
        const tryReturn = (requested: LineQuantity[], arriving: (announced: ReturnLine[]) => OrderQuantity[]) => {
          if (returnLinesProblem(orderLines, shipments, returns, requested)) return;
          const announced = linesToReturn(orderLines, requested);
          const received = arriving(announced).filter((q) => q.quantity > 0);
          const base = { returnId: `r${returns.length + 1}`, lines: announced, reason: 'x', requestedBy: 'x', requestedAt: '', receiptDeadline: '' };
          if (received.length === 0) {
            returns.push({ ...base, status: 'expired' });
            return;
          }
          expect(receiptLinesProblem(announced, received)).toBeUndefined();
          const amount = refundForReceipt(orderLines, announced, received);
          refunded += amount;
          returns.push({ ...base, status: 'refunded', amount, receipt: { warehouseId: 'w', lines: received, receivedAt: '', recordedBy: 'x' } });
        };

        for (const { picks, arriving } of attempts) {
          const requested = picks.map(({ line, quantity }) => ({ lineId: orderLines[line % orderLines.length].lineId, quantity }));
          tryReturn(requested, (announced) =>
            sumQuantities(announced).map(({ sku, quantity }) => ({ sku, quantity: Math.min(quantity, arriving[skus.indexOf(sku)]) })),
          );
          expect(refunded).toBeLessThanOrEqual(deliveredValue);
        }

        // Then the customer returns every unit still returnable, and all of it arrives.
        for (const line of orderLines) {
          for (let quantity = activeQuantity(line); quantity > 0; quantity--) {
            const before = returns.length;
            tryReturn([{ lineId: line.lineId, quantity }], sumQuantities);
            if (returns.length > before) break;
          }
        }
        expect(refunded).toBe(deliveredValue);
        const anythingDelivered = deliveredOfSku.some((q) => q.quantity > 0);
        expect(orderStatusWithReturns(shipments, returns)).toBe(anythingDelivered ? 'returned' : 'delivered');
      }),
    );
  });
});

describe('orderStatusWithReturns', () => {
  const shipments = [shipment('delivered', [{ sku: 'TEE', quantity: 3 }])];
  it('is delivered while nothing is being returned, partially_returned for some units, returned for all', () => {
    expect(orderStatusWithReturns(shipments, [])).toBe('delivered');
    expect(orderStatusWithReturns(shipments, [aReturn('expired', [{ lineId: 'L2', quantity: 3 }])])).toBe('delivered');
    expect(orderStatusWithReturns(shipments, [aReturn('requested', [{ lineId: 'L2', quantity: 1 }])])).toBe('partially_returned');
    expect(orderStatusWithReturns(shipments, [aReturn('requested', [{ lineId: 'L2', quantity: 3 }])])).toBe('returned');
  });
  it('follows what arrived, not what was announced', () => {
    expect(orderStatusWithReturns(shipments, [aReturn('refunded', [{ lineId: 'L2', quantity: 3 }], [{ sku: 'TEE', quantity: 2 }])])).toBe(
      'partially_returned',
    );
  });
});
