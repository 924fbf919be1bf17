/** Stock activities: reading availability for routing, and reserving / releasing through the ledger. */
import { orderKeys } from '../contracts/keys.js';
import type { Allocation, OrderQuantity } from '../domain/quantities.js';
import { routeOrder, type Destination, type WarehouseStock } from '../domain/routing.js';
import { stockForRouting } from '../persistence/inventory.js';
import { findReservationRound, recordRefusal, recordReservationRoundOnce } from '../persistence/reservation-rounds.js';
import { appendMovement, appendReservation, movementsForOrder, StockMovementRejected } from '../persistence/stock-ledger.js';
import type { StockEffects } from '../services/stock-effects.js';
import { countReservations } from './metrics.js';

/** Named allocations (cancelled lines, a re-route), released once per `releaseKey`; or, without them, all the order holds. */
export type ReleaseRequest = { orderId: string; reason: string } & ({ allocations: Allocation[]; releaseKey: string } | { allocations?: undefined });

export function stockActivities(effects: StockEffects) {
  return {
    /** Availability (net of reservations and safety stock) of the SKUs in every active warehouse that stocks them. */
    async loadStock(input: { skus: string[] }): Promise<WarehouseStock[]> {
      return stockForRouting(input.skus);
    },

    /**
     * Reserves each allocation once per (order, round) however often this runs. An allocation whose stock
     * went to another order meanwhile comes back in `short`, for the workflow to route again.
     */
    async reserveStock(input: { orderId: string; round: number; allocations: Allocation[] }): Promise<{ reserved: Allocation[]; short: Allocation[] }> {
      return reserveAllocations(effects, input);
    },

    /**
     * Routes what the order wants over the current stock and reserves it, as round `round` of the order:
     * the round's routing is recorded before any stock moves, so when this runs again (a retry, or the
     * re-run of a lost workflow task) it reserves and reports what the first run routed, reserved and was
     * refused, however the stock has changed since (the first run's own reservations included).
     * `short`: allocations whose stock went to another order, for the workflow to route again.
     */
    async reserveRound(input: {
      orderId: string;
      round: number;
      wanted: OrderQuantity[];
      destination: Destination;
    }): Promise<{ reserved: Allocation[]; short: Allocation[]; unallocated: OrderQuantity[] }> {
      const key = orderKeys(input.orderId).reservationRound(input.round);
      const routed = routeOrder(input.wanted, await stockForRouting(input.wanted.map((q) => q.sku)), input.destination);
      // Nothing routable now: a round recorded by an earlier run still holds what it reserved then.
      const round =
        routed.allocations.length > 0
          ? await recordReservationRoundOnce(key, input.orderId, routed)
          : ((await findReservationRound(key)) ?? { ...routed, refused: [] });
      const refusedBefore = (a: Allocation) => round.refused.some((r) => r.sku === a.sku && r.warehouseId === a.warehouseId);
      const { reserved, short } = await reserveAllocations(
        effects,
        { orderId: input.orderId, round: input.round, allocations: round.allocations },
        { refusedBefore, recordRefusal: (a) => recordRefusal(key, a) },
      );
      return { reserved, short, unallocated: round.unallocated };
    },

    /**
     * Releases stock the order holds reserved: the given allocations, once per `releaseKey`; or, without
     * them, whatever it still holds at every location (nothing, if it holds nothing).
     */
    async releaseStock(input: ReleaseRequest): Promise<Allocation[]> {
      const keys = orderKeys(input.orderId);
      const held = new Map<string, Allocation & { lastSeq: number }>();
      for (const movement of await movementsForOrder(input.orderId)) {
        const id = `${movement.sku}\u0000${movement.warehouseId}`;
        const entry = held.get(id) ?? { sku: movement.sku, warehouseId: movement.warehouseId, quantity: 0, lastSeq: 0 };
        entry.quantity += movement.reservedDelta;
        entry.lastSeq = Math.max(entry.lastSeq, movement.seq);
        held.set(id, entry);
      }
      const toRelease = input.allocations
        ? input.allocations.map((a) => ({ ...a, key: keys.release(input.releaseKey, a.sku, a.warehouseId) }))
        : [...held.values()].map((h) => ({
            ...h,
            // Keyed by the order's last movement here: a retry releases once, a later release is a new one.
            key: keys.releaseOfHeld(h.sku, h.warehouseId, h.lastSeq),
          }));
      const released: Allocation[] = [];
      for (const { sku, warehouseId, quantity, key } of toRelease) {
        if (quantity <= 0) continue;
        await appendMovement({
          sku,
          warehouseId,
          kind: 'release',
          key,
          orderId: input.orderId,
          reason: input.reason,
          actor: 'order-workflow',
          // Never more than the order holds there, so a wrong request cannot free another order's stock.
          decide: () => {
            const holding = held.get(`${sku}\u0000${warehouseId}`)?.quantity ?? 0;
            return holding >= quantity
              ? { ok: true, change: { onHandDelta: 0, reservedDelta: -quantity } }
              : { ok: false, reason: `order ${input.orderId} holds only ${holding} of ${sku} at ${warehouseId}` };
          },
        });
        released.push({ sku, warehouseId, quantity });
      }
      await effects.afterStockChange(released.map((a) => a.sku), { increased: true });
      return released;
    },
  };
}

/**
 * Reserves each allocation once per (order, round), in the given order. One the ledger refuses (its stock
 * went to another order) comes back in `short`; with `refusals`, so does one refused by an earlier run,
 * without asking the ledger again, and each refusal is recorded before this returns.
 */
async function reserveAllocations(
  effects: StockEffects,
  input: { orderId: string; round: number; allocations: Allocation[] },
  refusals?: { refusedBefore: (allocation: Allocation) => boolean; recordRefusal: (allocation: Allocation) => Promise<void> },
): Promise<{ reserved: Allocation[]; short: Allocation[] }> {
  const reserved: Allocation[] = [];
  const short: Allocation[] = [];
  const availableAtLeast = new Map<string, number>();
  for (const allocation of input.allocations) {
    if (refusals?.refusedBefore(allocation)) {
      short.push(allocation);
      continue;
    }
    const { sku, warehouseId, quantity } = allocation;
    try {
      const { availableAfter } = await appendReservation({
        sku,
        warehouseId,
        quantity,
        key: orderKeys(input.orderId).reservation(input.round, sku, warehouseId),
        orderId: input.orderId,
        actor: 'order-workflow',
      });
      reserved.push(allocation);
      availableAtLeast.set(sku, Math.max(availableAfter, availableAtLeast.get(sku) ?? 0));
    } catch (error) {
      if (!(error instanceof StockMovementRejected)) throw error;
      await refusals?.recordRefusal(allocation);
      short.push(allocation);
    }
  }
  await effects.afterStockChange(reserved.map((a) => a.sku), { increased: false, availableAtLeast });
  countReservations('reserved', reserved.length);
  countReservations('short', short.length);
  return { reserved, short };
}
