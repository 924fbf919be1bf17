/** Stock activities: reading availability for routing, and reserving / releasing through the ledger. */
import { orderKeys } from '../contracts/keys.js';
import type { Allocation } from '../domain/quantities.js';
import type { WarehouseStock } from '../domain/routing.js';
import { stockForRouting } from '../persistence/inventory.js';
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
      const reserved: Allocation[] = [];
      const short: Allocation[] = [];
      const availableAtLeast = new Map<string, number>();
      for (const allocation of input.allocations) {
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
          short.push(allocation);
        }
      }
      await effects.afterStockChange(reserved.map((a) => a.sku), { increased: false, availableAtLeast });
      countReservations('reserved', reserved.length);
      countReservations('short', short.length);
      return { reserved, short };
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
