/** Payment arithmetic: what each shipment captures, so partial captures add up exactly to the total. */
import type { OrderLine, PaymentStatus, ShipmentLine } from './order.js';
import { quantitiesBySku } from './routing.js';

/**
 * How many of `units` (per SKU) each line takes, index by index: a SKU's units go to its lines in line order,
 * each line taking up to its `quantity`. This is how units of a SKU ordered on several lines are priced,
 * and which order lines delivered units, or which return lines received units, belong to.
 */
export function unitsPerLine(lines: ReadonlyArray<{ sku: string; quantity: number }>, units: ReadonlyMap<string, number>): number[] {
  const taken = lines.map(() => 0);
  for (const [sku, quantity] of units) {
    let left = quantity;
    lines.forEach((line, i) => {
      if (line.sku !== sku || left <= 0) return;
      taken[i] = Math.min(left, line.quantity);
      left -= taken[i];
    });
    if (left > 0) throw new RangeError(`${quantity} units of ${sku} exceed the lines`);
  }
  return taken;
}

/** The value of the first `units` of each SKU, priced by the order's lines in order (minor units). */
export function valueOfUnits(lines: readonly OrderLine[], units: ReadonlyMap<string, number>): number {
  const taken = unitsPerLine(lines, units);
  return lines.reduce((value, line, i) => value + taken[i] * line.unitPrice, 0);
}

/**
 * The amount to capture when a shipment ships: the value of everything shipped so far including it,
 * minus the value shipped before. Capturing by cumulative value means no rounding drifts, and the last
 * shipment brings the captures to the order total exactly.
 */
export function captureForShipment(lines: readonly OrderLine[], shippedBefore: readonly ShipmentLine[], shipment: readonly ShipmentLine[]): number {
  const before = quantitiesBySku(shippedBefore);
  const after = quantitiesBySku([...shippedBefore, ...shipment]);
  return valueOfUnits(lines, after) - valueOfUnits(lines, before);
}

export function paymentStatusAfterCapture(captured: number, total: number): PaymentStatus {
  return captured >= total ? 'captured' : 'partially_captured';
}
