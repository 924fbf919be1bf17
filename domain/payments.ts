/** Payment arithmetic: what each shipment captures, so partial captures add up exactly to the total. */
import type { OrderLine, PaymentStatus, ShipmentLine } from './order.js';

/** The value of the first `units` of each SKU, priced by the order's lines in order (minor units). */
export function valueOfUnits(lines: readonly OrderLine[], units: ReadonlyMap<string, number>): number {
  let value = 0;
  for (const [sku, quantity] of units) {
    let left = quantity;
    for (const line of lines) {
      if (line.sku !== sku || left <= 0) continue;
      const taken = Math.min(left, line.quantity);
      value += taken * line.unitPrice;
      left -= taken;
    }
    if (left > 0) throw new RangeError(`${quantity} units of ${sku} exceed the order`);
  }
  return value;
}

/**
 * The amount to capture when a shipment ships: the value of everything shipped so far including it,
 * minus the value shipped before. Capturing by cumulative value means no rounding drifts, and the last
 * shipment brings the captures to the order total exactly.
 */
export function captureForShipment(lines: readonly OrderLine[], shippedBefore: readonly ShipmentLine[], shipment: readonly ShipmentLine[]): number {
  const before = sumBySku(shippedBefore);
  const after = sumBySku([...shippedBefore, ...shipment]);
  return valueOfUnits(lines, after) - valueOfUnits(lines, before);
}

export function paymentStatusAfterCapture(captured: number, total: number): PaymentStatus {
  return captured >= total ? 'captured' : 'partially_captured';
}

function sumBySku(lines: readonly ShipmentLine[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const { sku, quantity } of lines) units.set(sku, (units.get(sku) ?? 0) + quantity);
  return units;
}
