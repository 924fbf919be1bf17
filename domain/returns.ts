/**
 * Returns after delivery: which units may still be returned, what a receipt may hold, what a return refunds
 * and what the order's status becomes. Pure, so the workflows stay deterministic and this is tested alone.
 */
import { formatMoney, type Money } from './money.js';
import { describeQuantities, type OrderLine, type OrderQuantity, type OrderReturn, type OrderStatus, type PaymentStatus, type Shipment } from './order.js';
import { valueOfUnits } from './payments.js';
import { quantitiesBySku, sumQuantities } from './routing.js';

/** Returns that are over: nothing more happens to them. */
export function isSettled(orderReturn: Pick<OrderReturn, 'status'>): boolean {
  return orderReturn.status !== 'requested' && orderReturn.status !== 'received';
}

/**
 * The units a return takes back: what is on its way while it waits, what arrived once received, and nothing
 * when nothing arrived (expired), so those units may be returned again while the window is open.
 */
export function unitsOfReturn(orderReturn: Pick<OrderReturn, 'status' | 'lines' | 'receipt'>): OrderQuantity[] {
  if (orderReturn.receipt) return orderReturn.receipt.lines;
  return orderReturn.status === 'requested' ? orderReturn.lines : [];
}

function deliveredUnits(shipments: readonly Shipment[]): Map<string, number> {
  return quantitiesBySku(shipments.filter((s) => s.status === 'delivered').flatMap((s) => s.lines));
}

function returnedUnits(returns: readonly OrderReturn[]): Map<string, number> {
  return quantitiesBySku(returns.flatMap(unitsOfReturn));
}

/** Why these units cannot be returned (not delivered, already on a return), or undefined when they can. */
export function returnLinesProblem(shipments: readonly Shipment[], returns: readonly OrderReturn[], lines: readonly OrderQuantity[]): string | undefined {
  if (lines.length === 0) return 'a return needs at least one line';
  const invalid = lines.find((l) => !Number.isSafeInteger(l.quantity) || l.quantity <= 0);
  if (invalid) return `cannot return ${invalid.quantity} units of ${invalid.sku}`;
  const delivered = deliveredUnits(shipments);
  const returned = returnedUnits(returns);
  for (const { sku, quantity } of sumQuantities(lines)) {
    const deliveredOfSku = delivered.get(sku) ?? 0;
    if (deliveredOfSku === 0) return `no ${sku} was delivered with this order`;
    const returnable = deliveredOfSku - (returned.get(sku) ?? 0);
    if (quantity > returnable) return `only ${returnable} of the ${deliveredOfSku} delivered units of ${sku} can still be returned`;
  }
  return undefined;
}

/** Why a receipt does not fit its return (other SKUs, more units than announced), or undefined when it does. */
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
 * The refund for a return: the value of its units priced after the units returned before it, the way each
 * capture is priced after the shipments before it, so the refunds of an order add up to no more than the
 * value of what it delivered.
 */
export function refundForReturn(lines: readonly OrderLine[], returnedBefore: readonly OrderQuantity[], returned: readonly OrderQuantity[]): number {
  return valueOfUnits(lines, quantitiesBySku([...returnedBefore, ...returned])) - valueOfUnits(lines, quantitiesBySku(returnedBefore));
}

/** `delivered` while nothing is being returned, `returned` once every delivered unit is, else `partially_returned`. */
export function orderStatusWithReturns(shipments: readonly Shipment[], returns: readonly OrderReturn[]): OrderStatus {
  const returned = returnedUnits(returns);
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
