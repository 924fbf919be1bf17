/**
 * Backorders: an order whose stock could not all be reserved waits for it until its deadline, shipping
 * what it has first when the channel allows partial shipment. The SKU's restock dispatcher wakes it with
 * the retryReservation Update when stock arrives; at the deadline the order is cancelled. Whether a retry
 * was asked for is kept here; what is held and how often the order tried to reserve, allocation.ts tells.
 */
import { condition } from '@temporalio/workflow';
import type { RetryReservationResult } from '../../contracts/messages.js';
import { describeQuantities } from '../../domain/quantities.js';
import { fulfillmentStatus } from '../../domain/shipment-events.js';
import { holdsUnshippedUnits, reservationAttempts, reserveWhatIsAvailable, shipReserved } from './allocation.js';
import { CancelRequested, describeShipments, stepState, type OrderRun } from './run.js';

const backorderOf = stepState(() => ({
  /** Stock arrived while the order waits for it (the restock dispatcher asked). */
  retryRequested: false,
}));

/** Waits for the restock dispatcher (or the deadline) until everything is reserved. */
export async function waitForStock(order: OrderRun): Promise<void> {
  const { state } = order;
  const deadline = Date.now() + state.policy.backorderTimeoutMs;
  state.backorderDeadline = new Date(deadline).toISOString();
  const partial = state.policy.allowPartialShipment && holdsUnshippedUnits(order);
  if (partial) await order.exclusively(() => shipReserved(order));
  await order.record(
    'backordered',
    `Waiting for stock of ${describeQuantities(state.unallocated)} until ${state.backorderDeadline}` +
      (partial ? `; shipping what is available now from ${describeShipments(state.shipments)}` : ''),
    fulfillmentStatus(state.shipments, state.unallocated),
  );
  await order.notify('order_backordered', { detail: describeQuantities(state.unallocated) });

  while (state.unallocated.length > 0) {
    const woken = await condition(
      () => backorderOf(order).retryRequested || order.cancelRequest !== undefined || state.unallocated.length === 0,
      Math.max(1, deadline - Date.now()),
    );
    order.checkNotCancelled();
    // A line cancellation took away what was missing (and shipped the rest).
    if (state.unallocated.length === 0) break;
    if (!woken) {
      order.cancelRequest = {
        reason: `no stock arrived for ${describeQuantities(state.unallocated)} by ${state.backorderDeadline}`,
        requestedBy: 'the backorder deadline',
      };
      throw new CancelRequested();
    }
    backorderOf(order).retryRequested = false;
    const complete = await order.exclusively(async () => {
      if (state.unallocated.length === 0 || order.cancelRequest) return false;
      const before = describeQuantities(state.unallocated);
      await reserveWhatIsAvailable(order, state.unallocated);
      const allReserved = state.unallocated.length === 0;
      if (allReserved || state.policy.allowPartialShipment) await shipReserved(order);
      await order.record(
        allReserved ? 'allocated' : 'backorder_retried',
        allReserved
          ? `Stock arrived for ${before}; allocated to ${describeShipments(state.shipments)}`
          : `Stock arrived; still waiting for ${describeQuantities(state.unallocated)}`,
        fulfillmentStatus(state.shipments, state.unallocated),
      );
      return allReserved;
    });
    if (complete) await order.notify('order_confirmed');
  }
}

/** The retryReservation Update: stock arrived; the answer comes after the order's next reservation attempt. */
export async function retryReservation(order: OrderRun): Promise<RetryReservationResult> {
  backorderOf(order).retryRequested = true;
  const attemptsBefore = reservationAttempts(order);
  await condition(() => reservationAttempts(order) > attemptsBefore || order.isFinal() || order.state.unallocated.length === 0);
  return { status: order.state.status, unallocated: order.state.unallocated };
}

export function validateRetryReservation(order: OrderRun): void {
  order.refuseUnlessActive();
  if (order.state.unallocated.length === 0) throw new Error('the order is not waiting for stock');
}
