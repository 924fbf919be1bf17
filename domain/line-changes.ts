/**
 * Changes to a running order's lines and allocations: what cancelling some units takes back, and how a
 * re-route differs from the current allocation. Pure, so the workflow stays deterministic and this is
 * tested on its own.
 */
import { activeQuantity, type OrderLine, type Shipment, type ShipmentLine } from './order.js';
import type { Allocation, LineQuantity, OrderQuantity } from './quantities.js';
import { unitsPerLine } from './payments.js';
import { quantitiesBySku } from './routing.js';
import { hasLeftWarehouse } from './shipment-events.js';

/** Why `requested` does not name the order's lines one by one (an unknown line, a line listed twice), or undefined. */
export function lineReferenceProblem(lines: readonly OrderLine[], requested: readonly LineQuantity[]): string | undefined {
  for (const { lineId } of requested) {
    if (!lines.some((l) => l.lineId === lineId)) return `the order has no line ${lineId}`;
    if (requested.filter((r) => r.lineId === lineId).length > 1) return `line ${lineId} is listed twice`;
  }
  return undefined;
}

/** The units of each line that can still be cancelled: those still wanted that have not left a warehouse. */
export function cancellableUnits(lines: readonly OrderLine[], shipments: readonly Shipment[]): LineQuantity[] {
  const shipped = shipmentUnitsPerLine(lines, shipments.filter(hasLeftWarehouse));
  return lines.map((line, index) => ({ lineId: line.lineId, quantity: activeQuantity(line) - shipped[index] }));
}

/**
 * Why these cancellations cannot apply (unknown line, more than is left unshipped), or undefined when they
 * can. Shipped units of a SKU belong to its lines in line order, as they are priced (`unitsPerLine`), so a
 * cancellation never takes back a unit whose value was captured.
 */
export function lineCancellationProblem(
  lines: readonly OrderLine[],
  shipments: readonly Shipment[],
  cancellations: readonly LineQuantity[],
): string | undefined {
  const referenceProblem = lineReferenceProblem(lines, cancellations);
  if (referenceProblem) return referenceProblem;
  const cancellable = cancellableUnits(lines, shipments);
  for (const { lineId, quantity } of cancellations) {
    const index = lines.findIndex((l) => l.lineId === lineId);
    const left = cancellable[index].quantity;
    const shipped = activeQuantity(lines[index]) - left;
    if (quantity > left) return `line ${lineId} has only ${left} units left to cancel${shipped > 0 ? ` (${shipped} shipped)` : ''}`;
  }
  return undefined;
}

/**
 * The units of these shipments per order line (by index). Shipments count SKUs, so a SKU's units go to its
 * lines in line order, each line holding its units not cancelled: the rule by which captures priced them.
 */
export function shipmentUnitsPerLine(lines: readonly OrderLine[], shipments: readonly Shipment[]): number[] {
  return unitsPerLine(
    lines.map((line) => ({ sku: line.sku, quantity: activeQuantity(line) })),
    quantitiesBySku(shipments.flatMap((s) => s.lines)),
  );
}

/** The order's lines after the cancellations, and the value cancelled (minor units). */
export function applyLineCancellations(
  lines: readonly OrderLine[],
  cancellations: readonly LineQuantity[],
): { lines: OrderLine[]; cancelledValue: number; cancelled: OrderQuantity[] } {
  let cancelledValue = 0;
  const cancelled: OrderQuantity[] = [];
  const updated = lines.map((line) => {
    const quantity = cancellations.find((c) => c.lineId === line.lineId)?.quantity ?? 0;
    if (quantity === 0) return line;
    cancelledValue += quantity * line.unitPrice;
    cancelled.push({ sku: line.sku, quantity });
    return { ...line, cancelledQuantity: (line.cancelledQuantity ?? 0) + quantity };
  });
  return { lines: updated, cancelledValue, cancelled };
}

export interface FulfillmentHoldings {
  /** Not reserved yet (backordered). */
  unallocated: OrderQuantity[];
  /** Reserved, not on a shipment yet (waiting to ship complete). */
  held: Allocation[];
  shipments: Shipment[];
}

/**
 * Takes cancelled units back from where they cost least to undo: first what is not reserved yet, then
 * reserved stock not on a shipment, then shipments that have not left the warehouse (newest first).
 * Returns the new holdings, the reservations to release, and the shipments whose lines changed.
 * Units found nowhere were not reserved yet at all (the order is before its reservation).
 */
export function takeBackCancelledUnits(
  holdings: FulfillmentHoldings,
  cancelled: readonly OrderQuantity[],
): FulfillmentHoldings & { released: Allocation[]; amendedShipments: Array<{ shipmentId: string; lines: ShipmentLine[] }> } {
  const unallocated = holdings.unallocated.map((q) => ({ ...q }));
  const held = holdings.held.map((a) => ({ ...a }));
  const shipments = holdings.shipments.map((s) => ({ ...s, lines: s.lines.map((l) => ({ ...l })) }));
  const released: Allocation[] = [];
  const amended = new Set<string>();

  for (const { sku, quantity } of cancelled) {
    let left = quantity;
    for (const q of unallocated.filter((u) => u.sku === sku)) {
      const taken = Math.min(left, q.quantity);
      q.quantity -= taken;
      left -= taken;
    }
    for (const a of held.filter((h) => h.sku === sku)) {
      const taken = Math.min(left, a.quantity);
      a.quantity -= taken;
      left -= taken;
      if (taken > 0) released.push({ sku, warehouseId: a.warehouseId, quantity: taken });
    }
    for (const shipment of [...shipments].reverse().filter((s) => s.status === 'pending')) {
      for (const line of shipment.lines.filter((l) => l.sku === sku)) {
        const taken = Math.min(left, line.quantity);
        line.quantity -= taken;
        left -= taken;
        if (taken > 0) {
          released.push({ sku, warehouseId: shipment.warehouseId, quantity: taken });
          amended.add(shipment.shipmentId);
        }
      }
    }
  }

  for (const shipment of shipments) {
    shipment.lines = shipment.lines.filter((l) => l.quantity > 0);
    if (amended.has(shipment.shipmentId) && shipment.lines.length === 0) shipment.status = 'cancelled';
  }
  return {
    unallocated: unallocated.filter((q) => q.quantity > 0),
    held: held.filter((a) => a.quantity > 0),
    shipments,
    released: mergeAllocations([], released),
    amendedShipments: shipments.filter((s) => amended.has(s.shipmentId)).map((s) => ({ shipmentId: s.shipmentId, lines: s.lines })),
  };
}

/** Adds allocations together per (SKU, warehouse). */
export function mergeAllocations(into: readonly Allocation[], more: readonly Allocation[]): Allocation[] {
  const merged = into.map((a) => ({ ...a }));
  for (const { sku, warehouseId, quantity } of more) {
    const existing = merged.find((a) => a.sku === sku && a.warehouseId === warehouseId);
    if (existing) existing.quantity += quantity;
    else merged.push({ sku, warehouseId, quantity });
  }
  return merged;
}

/** Takes allocations away per (SKU, warehouse); what reaches zero disappears. */
export function subtractAllocations(from: readonly Allocation[], less: readonly Allocation[]): Allocation[] {
  return mergeAllocations(
    from,
    less.map((a) => ({ ...a, quantity: -a.quantity })),
  ).filter((a) => a.quantity > 0);
}

/** What a re-route must reserve additionally and what it can release, per (SKU, warehouse). */
export function allocationDifference(current: readonly Allocation[], planned: readonly Allocation[]): { reserve: Allocation[]; release: Allocation[] } {
  const delta = mergeAllocations(
    planned,
    current.map((a) => ({ ...a, quantity: -a.quantity })),
  );
  return {
    reserve: delta.filter((a) => a.quantity > 0),
    release: delta.filter((a) => a.quantity < 0).map((a) => ({ ...a, quantity: -a.quantity })),
  };
}
