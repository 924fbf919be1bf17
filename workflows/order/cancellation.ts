/**
 * Cancellation (the cancelOrder Update): the whole order, which the main flow unwinds (failure.ts), or some
 * units of its lines that have not shipped: their units are given back, exactly their value is voided, and
 * the rest of the order goes ahead. This file numbers the partial cancellations.
 */
import { condition } from '@temporalio/workflow';
import type { CancelOrderRequest, CancelOrderResult } from '../../contracts/messages.js';
import { applyLineCancellations, lineCancellationProblem } from '../../domain/line-changes.js';
import { formatMoney } from '../../domain/money.js';
import { activeQuantity } from '../../domain/order.js';
import { describeQuantities, type LineQuantity } from '../../domain/quantities.js';
import { fulfillmentStatus, hasLeftWarehouse } from '../../domain/shipment-events.js';
import { giveBackUnits, shipReserved } from './allocation.js';
import { voidCancelledValue } from './payment.js';
import { describeShipments, stepState, type OrderRun } from './run.js';

const cancellationOf = stepState(() => ({
  /** Numbers partial cancellations, so each releases and voids under its own key. */
  lineCancellations: 0,
}));

export async function cancelOrder(order: OrderRun, request: CancelOrderRequest): Promise<CancelOrderResult> {
  if (request.lines && !cancelsEverything(order, request.lines)) {
    await order.exclusively(() => cancelLines(order, request, request.lines!));
    return { status: order.state.status };
  }
  order.cancelRequest ??= request;
  await condition(() => order.isFinal());
  return { status: order.state.status };
}

export function validateCancellation(order: OrderRun, request: CancelOrderRequest): void {
  const { state } = order;
  if (order.isFinal()) throw new Error(`order has already ended (${state.status})`);
  if (order.cancelRequest) throw new Error('the order is already being cancelled');
  if (request.lines) {
    const problem = lineCancellationProblem(state.lines, state.shipments, request.lines);
    if (problem) throw new Error(problem);
    if (!cancelsEverything(order, request.lines)) return;
  }
  const shipped = state.shipments.find(hasLeftWarehouse);
  if (shipped) {
    throw new Error(
      `shipment ${shipped.shipmentId} has already ${shipped.status === 'shipped' ? 'shipped' : 'been delivered'}; cancel the lines that have not shipped instead`,
    );
  }
}

/** True when these cancellations take every unit still wanted and nothing has shipped: that is a whole-order cancel. */
function cancelsEverything(order: OrderRun, cancellations: LineQuantity[]): boolean {
  const { state } = order;
  if (state.shipments.some(hasLeftWarehouse)) return false;
  return state.lines.every((line) => activeQuantity(line) === (cancellations.find((c) => c.lineId === line.lineId)?.quantity ?? 0));
}

/**
 * Cancels some units that have not shipped: gives them back from the backorder, the reserved stock or the
 * pending shipments, voids exactly their value, and tells the customer.
 */
async function cancelLines(order: OrderRun, request: CancelOrderRequest, cancellations: LineQuantity[]): Promise<void> {
  const { state } = order;
  if (!order.isActive()) return;
  const number = ++cancellationOf(order).lineCancellations;
  const wasWaiting = state.unallocated.length > 0;
  const { lines, cancelledValue, cancelled } = applyLineCancellations(state.lines, cancellations);
  state.lines = lines;
  await giveBackUnits(order, cancelled, { releaseKey: `cancel-${number}`, reason: `lines cancelled: ${request.reason}` });
  await voidCancelledValue(order, cancelledValue, number);
  const what = describeQuantities(cancelled);
  await order.record(
    'lines_cancelled',
    `Cancelled ${what} (${formatMoney(order.money(cancelledValue))} released) by ${request.requestedBy}: ${request.reason}`,
    state.allocations.length + state.unallocated.length > 0 || state.shipments.some(hasLeftWarehouse)
      ? fulfillmentStatus(state.shipments, state.unallocated)
      : undefined,
  );
  await order.notify('lines_cancelled', { subjectId: `cancel-${number}`, detail: `${what}, ${formatMoney(order.money(cancelledValue))}` });
  // What was missing is no longer wanted: ship what the order holds now.
  if (wasWaiting && state.unallocated.length === 0) {
    await shipReserved(order);
    await order.record('allocated', `Nothing left to wait for; allocated to ${describeShipments(state.shipments)}`, fulfillmentStatus(state.shipments, []));
    await order.notify('order_confirmed');
  }
}
