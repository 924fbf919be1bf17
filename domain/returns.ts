/**
 * Returns after delivery, per order line: which units of a line may still be returned, what a receipt may
 * hold, what a return refunds and what the order's status becomes. Pure, so the workflows stay deterministic
 * and this is tested alone.
 */
import { lineReferenceProblem, shipmentUnitsPerLine } from './line-changes.js';
import { formatMoney, type Money } from './money.js';
import type { OrderLine, OrderReturn, OrderStatus, PaymentStatus, ReturnLine, Shipment } from './order.js';
import { describeQuantities, type LineQuantity, type OrderQuantity } from './quantities.js';
import { unitsPerLine } from './payments.js';
import { quantitiesBySku, sumQuantities } from './routing.js';

/** Returns that are over: nothing more happens to them. */
export function isSettled(orderReturn: Pick<OrderReturn, 'status'>): boolean {
  return orderReturn.status !== 'requested' && orderReturn.status !== 'received';
}

/** The lines of a new return: the requested units with their lines' SKUs, in the order requested. */
export function linesToReturn(lines: readonly OrderLine[], requested: readonly LineQuantity[]): ReturnLine[] {
  return requested.map(({ lineId, quantity }) => ({ lineId, sku: lines.find((l) => l.lineId === lineId)!.sku, quantity }));
}

/**
 * What arrived of a return, per return line. The warehouse counts SKUs, so the received units of a SKU go to
 * the return's lines of that SKU in the return's line order.
 */
export function receivedLines(announced: readonly ReturnLine[], received: readonly OrderQuantity[]): ReturnLine[] {
  const taken = unitsPerLine(announced, quantitiesBySku(received));
  return announced.map((line, i) => ({ ...line, quantity: taken[i] })).filter((line) => line.quantity > 0);
}

/**
 * The units a return takes back: what is on its way while it waits, what arrived once received, and nothing
 * when nothing arrived (expired), so those units may be returned again while the window is open.
 */
export function unitsOfReturn(orderReturn: Pick<OrderReturn, 'status' | 'lines' | 'receipt'>): ReturnLine[] {
  if (orderReturn.receipt) return receivedLines(orderReturn.lines, orderReturn.receipt.lines);
  return orderReturn.status === 'requested' ? orderReturn.lines : [];
}

function deliveredUnits(shipments: readonly Shipment[]): Map<string, number> {
  return quantitiesBySku(shipments.filter((s) => s.status === 'delivered').flatMap((s) => s.lines));
}

/** Delivered units per order line id. */
function deliveredUnitsByLine(lines: readonly OrderLine[], shipments: readonly Shipment[]): Map<string, number> {
  const taken = shipmentUnitsPerLine(lines, shipments.filter((s) => s.status === 'delivered'));
  return new Map(lines.map((line, i) => [line.lineId, taken[i]]));
}

/** Units per order line id that the returns take back. */
function returnedUnitsByLine(returns: readonly OrderReturn[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const { lineId, quantity } of returns.flatMap(unitsOfReturn)) units.set(lineId, (units.get(lineId) ?? 0) + quantity);
  return units;
}

/**
 * Why these units of the order's lines cannot be returned (an unknown line, a line listed twice, units not
 * delivered or already on a return), or undefined when they can.
 */
export function returnLinesProblem(
  lines: readonly OrderLine[],
  shipments: readonly Shipment[],
  returns: readonly OrderReturn[],
  requested: readonly LineQuantity[],
): string | undefined {
  if (requested.length === 0) return 'a return needs at least one line';
  const referenceProblem = lineReferenceProblem(lines, requested);
  if (referenceProblem) return referenceProblem;
  const delivered = deliveredUnitsByLine(lines, shipments);
  const returned = returnedUnitsByLine(returns);
  for (const { lineId, sku, quantity } of linesToReturn(lines, requested)) {
    if (!Number.isSafeInteger(quantity) || quantity <= 0) return `cannot return ${quantity} units of line ${lineId}`;
    const deliveredOfLine = delivered.get(lineId) ?? 0;
    if (deliveredOfLine === 0) return `no unit of line ${lineId} (${sku}) was delivered`;
    const returnable = deliveredOfLine - (returned.get(lineId) ?? 0);
    if (quantity > returnable) return `only ${returnable} of the ${deliveredOfLine} delivered units of line ${lineId} (${sku}) can still be returned`;
  }
  return undefined;
}

/** Why a receipt (per SKU) does not fit its return (other SKUs, more units than announced), or undefined when it does. */
export function receiptLinesProblem(announced: readonly OrderQuantity[], received: readonly OrderQuantity[]): string | undefined {
  if (received.length === 0) return 'a receipt needs at least one line';
  const invalid = received.find((l) => !Number.isSafeInteger(l.quantity) || l.quantity <= 0);
  if (invalid) return `cannot receive ${invalid.quantity} units of ${invalid.sku}`;
  const expected = quantitiesBySku(announced);
  for (const { sku, quantity } of sumQuantities(received)) {
    const expectedOfSku = expected.get(sku) ?? 0;
    if (expectedOfSku === 0) return `${sku} is not part of this return`;
    if (quantity > expectedOfSku) return `the return announced only ${expectedOfSku} units of ${sku}`;
  }
  return undefined;
}

/**
 * The refund for what arrived of a return: each unit at the unit price of the order line it came back from.
 * A line is returned at most as often as it was delivered, so an order's refunds never add up to more than
 * the value of what it delivered.
 */
export function refundForReceipt(lines: readonly OrderLine[], announced: readonly ReturnLine[], received: readonly OrderQuantity[]): number {
  return receivedLines(announced, received).reduce((sum, { lineId, quantity }) => sum + quantity * lines.find((l) => l.lineId === lineId)!.unitPrice, 0);
}

/** `delivered` while nothing is being returned, `returned` once every delivered unit is, else `partially_returned`. */
export function orderStatusWithReturns(shipments: readonly Shipment[], returns: readonly OrderReturn[]): OrderStatus {
  // Per SKU: no line is returned beyond its delivered units, so every SKU fully returned means every line is.
  const returned = quantitiesBySku(returns.flatMap(unitsOfReturn));
  if (returned.size === 0) return 'delivered';
  const delivered = deliveredUnits(shipments);
  const everything = [...delivered].every(([sku, quantity]) => (returned.get(sku) ?? 0) >= quantity);
  return everything ? 'returned' : 'partially_returned';
}

export function paymentStatusAfterRefund(refunded: number, captured: number): PaymentStatus {
  return refunded >= captured ? 'refunded' : 'partially_refunded';
}

/** The timeline message for a settled return. */
export function describeSettledReturn(orderReturn: OrderReturn, currency: string): string {
  const refund: Money = { amount: orderReturn.amount ?? 0, currency };
  switch (orderReturn.status) {
    case 'refunded':
      return `Return ${orderReturn.returnId}: refunded ${formatMoney(refund)} for ${describeQuantities(orderReturn.receipt?.lines ?? [])}`;
    case 'refund_failed':
      return `Return ${orderReturn.returnId}: the refund failed (${orderReturn.detail}); support settles it by hand`;
    case 'expired':
      return `Return ${orderReturn.returnId} expired: nothing arrived by ${orderReturn.receiptDeadline}; nothing restocked or refunded`;
    default:
      return `Return ${orderReturn.returnId} ended unexpectedly (${orderReturn.detail}); support settles it by hand`;
  }
}
