/**
 * Where the order's units come from: routing over the current stock, reserving it through the ledger and
 * booking one shipment per warehouse, with the compensations that release the stock and cancel the
 * shipments. The rest of the order changes its allocations only through these functions: moving it to a
 * new address, and giving back units of cancelled lines. The bookkeeping behind them (rounds, held units,
 * reservation attempts, the SLA watch) is kept here; backorder.ts asks for what it needs through functions.
 */
import { condition, patched, upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import { orderKeys } from '../../contracts/keys.js';
import { LateKey } from '../../contracts/search-attributes.js';
import { allocationDifference, mergeAllocations, subtractAllocations, takeBackCancelledUnits } from '../../domain/line-changes.js';
import type { Address } from '../../domain/customer.js';
import type { Allocation, OrderQuantity } from '../../domain/quantities.js';
import { routeOrder, sumQuantities } from '../../domain/routing.js';
import { hasLeftWarehouse } from '../../domain/shipment-events.js';
import { bookShipment, db, external, localDb } from '../activity-steps.js';
import { describeShipments, stepState, type OrderRun } from './run.js';

/** How often one reservation attempt re-routes what it lost to a concurrent order before backordering it. */
const MAX_ROUTING_ROUNDS = 3;

const allocationOf = stepState(() => ({
  /** Numbers each reservation and shipment round, so their business keys stay unique across rounds. */
  rounds: 0,
  /** Allocations reserved but not yet on a shipment (held while the order waits to ship complete). */
  unshipped: [] as Allocation[],
  /** Whether the shipping SLA is being watched (from the first shipment on). */
  shippingSlaWatched: false,
  /** Reservation attempts so far; the retryReservation Update waits for the next one. */
  reservationAttempts: 0,
}));

function nextRound(order: OrderRun): number {
  return ++allocationOf(order).rounds;
}

/** Whether units are reserved that are not on a shipment yet. */
export function holdsUnshippedUnits(order: OrderRun): boolean {
  return allocationOf(order).unshipped.length > 0;
}

/** How many times the order tried to reserve what it wants (`reserveWhatIsAvailable`). */
export function reservationAttempts(order: OrderRun): number {
  return allocationOf(order).reservationAttempts;
}

/**
 * Reserves what the order's lines need and books its shipments, or leaves it waiting for what is missing
 * (true when everything was reserved). The release of its stock is registered first, since a reservation
 * may be partial.
 */
export async function reserveAndShip(order: OrderRun): Promise<boolean> {
  const { state } = order;
  order.onFailureUndo('releaseStock', () => db.releaseStock({ orderId: state.orderId, reason: 'order not fulfilled' }));
  order.onFailureUndo('cancelPendingShipments', () => cancelPendingShipments(order));
  return order.exclusively(async () => {
    order.checkNotCancelled();
    await reserveWhatIsAvailable(order, sumQuantities(order.activeLines()));
    order.checkNotCancelled();
    if (state.unallocated.length > 0) return false;
    await shipReserved(order);
    await order.record('allocated', `Allocated to ${describeShipments(state.shipments)}`, 'allocated');
    return true;
  });
}

async function cancelPendingShipments(order: OrderRun): Promise<void> {
  await db.cancelPendingShipments({ orderId: order.state.orderId });
  for (const shipment of order.state.shipments) if (shipment.status === 'pending') shipment.status = 'cancelled';
}

/**
 * Routes what is wanted over the current stock and reserves it. A reservation that loses a race to another
 * order is routed again with fresh stock (bounded); what still cannot be reserved stays in `unallocated`.
 */
export async function reserveWhatIsAvailable(order: OrderRun, wanted: OrderQuantity[]): Promise<void> {
  const { state } = order;
  const own = allocationOf(order);
  let remaining = wanted;
  for (let attempt = 0; attempt < MAX_ROUTING_ROUNDS && remaining.length > 0; attempt++) {
    const round = await routeAndReserve(order, remaining);
    if (!round) break;
    const { reserved, short, unallocated } = round;
    state.allocations = mergeAllocations(state.allocations, reserved);
    own.unshipped = mergeAllocations(own.unshipped, reserved);
    remaining = sumQuantities([...unallocated, ...short]);
    if (short.length === 0) break; // nothing was lost to a race: the rest is simply not in stock
  }
  setUnallocated(order, remaining);
  own.reservationAttempts += 1;
}

/**
 * Orders started before reservation rounds were recorded route in the workflow, over a stock read that the
 * re-run of a lost workflow task makes again after the lost run's reservations (see reserveRound).
 */
const RECORDED_RESERVATION_ROUNDS_PATCH = 'recorded-reservation-rounds';

/** One reservation round over the current stock; undefined when no warehouse has any of what is wanted. */
async function routeAndReserve(
  order: OrderRun,
  wanted: OrderQuantity[],
): Promise<{ reserved: Allocation[]; short: Allocation[]; unallocated: OrderQuantity[] } | undefined> {
  const { state } = order;
  if (patched(RECORDED_RESERVATION_ROUNDS_PATCH)) {
    const round = await localDb().reserveRound({ orderId: state.orderId, round: nextRound(order), wanted, destination: state.shippingAddress });
    return round.reserved.length + round.short.length > 0 ? round : undefined;
  }
  const stock = await localDb().loadStock({ skus: wanted.map((q) => q.sku) });
  const { allocations, unallocated } = routeOrder(wanted, stock, state.shippingAddress);
  if (allocations.length === 0) return undefined;
  const { reserved, short } = await localDb().reserveStock({ orderId: state.orderId, round: nextRound(order), allocations });
  return { reserved, short, unallocated };
}

function setUnallocated(order: OrderRun, unallocated: OrderQuantity[]): void {
  order.state.unallocated = unallocated;
  order.state.waitingSkus = unallocated.map((q) => q.sku);
}

/** One shipment per warehouse for everything reserved and not yet on a shipment. */
export async function shipReserved(order: OrderRun): Promise<void> {
  const { state } = order;
  const own = allocationOf(order);
  const byWarehouse = new Map<string, Allocation[]>();
  for (const allocation of own.unshipped) {
    byWarehouse.set(allocation.warehouseId, [...(byWarehouse.get(allocation.warehouseId) ?? []), allocation]);
  }
  for (const [warehouseId, allocations] of byWarehouse) {
    state.shipments.push(
      await bookShipment({
        orderId: state.orderId,
        shipmentId: `shp_${uuid4().replace(/-/g, '').slice(0, 20)}`,
        shipmentKey: orderKeys(state.orderId).shipment(own.rounds, warehouseId),
        warehouseId,
        lines: allocations.map(({ sku, quantity }) => ({ sku, quantity })),
        shippingAddress: state.shippingAddress,
      }),
    );
  }
  own.unshipped = [];
  if (state.shipments.length > 0) watchShippingSla(order);
}

/** From the first shipment on: if nothing ships within the SLA, the order is marked late (once). */
function watchShippingSla(order: OrderRun): void {
  const { state } = order;
  const own = allocationOf(order);
  if (own.shippingSlaWatched) return;
  own.shippingSlaWatched = true;
  const shippedOrEnded = () => order.isFinal() || state.shipments.some(hasLeftWarehouse);
  // A durable timer beside the order's own steps, which must not wait for it. Not caught on purpose: a
  // rejection here is a bug, and the SDK fails the workflow task on it, so it shows and is retried.
  // eslint-disable-next-line @typescript-eslint/no-floating-promises -- a background watch, see above
  void condition(shippedOrEnded, state.policy.shipWithinMs).then(async (inTime) => {
    if (inTime) return;
    state.lateSince = new Date().toISOString();
    upsertSearchAttributes([{ key: LateKey, value: true }]);
    const message = `Not shipped within ${Math.round(state.policy.shipWithinMs / 3_600_000)}h of allocation`;
    await order.record('late', message);
    await external.notifyOperations({
      key: orderKeys(state.orderId).lateAlert(),
      orderId: state.orderId,
      event: 'order_late',
      subject: `Late: order ${state.externalId} (${state.orderId}) has not shipped`,
      body: `${message}. Warehouses: ${describeShipments(state.shipments)}.`,
    });
  });
}

/**
 * Moves a reserved order to a new address (already set on the order): routed again with its own
 * reservations counted as available to it; when other warehouses serve it better, the difference is
 * reserved first and only then released where it was (so a concurrent order cannot take the stock in
 * between). Pending shipments are booked anew. True when the order moved to other warehouses.
 */
export async function moveToAddress(order: OrderRun, address: Address): Promise<boolean> {
  const { state } = order;
  let rerouted = false;
  const stock = (await localDb().loadStock({ skus: [...new Set(state.allocations.map((a) => a.sku))] })).map((warehouse) => {
    const available = { ...warehouse.available };
    for (const { sku, warehouseId, quantity } of state.allocations) {
      if (warehouseId === warehouse.warehouseId) available[sku] = (available[sku] ?? 0) + quantity;
    }
    return { ...warehouse, available };
  });
  const plan = routeOrder(sumQuantities(state.allocations), stock, address);
  const { reserve, release } = allocationDifference(state.allocations, plan.allocations);
  if (plan.unallocated.length === 0 && reserve.length > 0) {
    const round = nextRound(order);
    const { reserved, short } = await localDb().reserveStock({ orderId: state.orderId, round, allocations: reserve });
    const releaseKey = `reroute-${round}`;
    if (short.length === 0) {
      await db.releaseStock({ orderId: state.orderId, reason: 'shipping address changed', allocations: release, releaseKey });
      state.allocations = plan.allocations;
      rerouted = true;
    } else if (reserved.length > 0) {
      await db.releaseStock({ orderId: state.orderId, reason: 'the re-route lost stock to another order', allocations: reserved, releaseKey });
    }
  }
  // Nothing has shipped, so every allocation is held or on a pending shipment: book those anew.
  allocationOf(order).unshipped = state.allocations;
  if (state.shipments.some((s) => s.status === 'pending')) {
    await cancelPendingShipments(order);
    nextRound(order);
    await shipReserved(order);
  }
  return rerouted;
}

/**
 * Gives back the units of cancelled lines from where that costs least (backorder, reserved stock, pending
 * shipments: see takeBackCancelledUnits), amending those shipments and releasing that stock once per `releaseKey`.
 */
export async function giveBackUnits(order: OrderRun, cancelled: OrderQuantity[], release: { releaseKey: string; reason: string }): Promise<void> {
  const { state } = order;
  const own = allocationOf(order);
  const taken = takeBackCancelledUnits({ unallocated: state.unallocated, held: own.unshipped, shipments: state.shipments }, cancelled);
  setUnallocated(order, taken.unallocated);
  state.shipments = taken.shipments;
  state.allocations = subtractAllocations(state.allocations, taken.released);
  own.unshipped = taken.held;
  for (const { shipmentId, lines } of taken.amendedShipments) {
    await db.amendPendingShipment({ orderId: state.orderId, shipmentId, lines });
  }
  if (taken.released.length > 0) {
    await db.releaseStock({ orderId: state.orderId, allocations: taken.released, ...release });
  }
}
