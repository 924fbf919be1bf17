/** Stock activities: reading availability for routing, and reserving / releasing through the ledger. */
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../domain/failures.js';
import type { Allocation } from '../domain/order.js';
import type { WarehouseStock } from '../domain/routing.js';
import { StockLocationModel, WarehouseModel } from '../persistence/models.js';
import { appendMovement, movementsForOrder, readBalance, StockMovementRejected } from '../persistence/stock-ledger.js';

export const stockActivities = {
  /** Availability of the given SKUs in every active warehouse that stocks any of them. */
  async loadStock(input: { skus: string[] }): Promise<WarehouseStock[]> {
    const locations = await StockLocationModel.find({ sku: { $in: input.skus } }).lean();
    const warehouseIds = [...new Set(locations.map((l) => l.warehouseId))];
    const warehouses = await WarehouseModel.find({ _id: { $in: warehouseIds }, active: true }).lean();
    return Promise.all(
      warehouses.map(async (w) => {
        const available: Record<string, number> = {};
        for (const location of locations.filter((l) => l.warehouseId === w._id)) {
          available[location.sku] = (await readBalance(location.sku, w._id)).available;
        }
        return { warehouseId: w._id, country: w.country, location: w.location, priority: w.priority ?? 0, available };
      }),
    );
  },

  /**
   * Reserves every allocation, each once per order however often this runs. Fails with a non-retryable
   * `InsufficientStock` when a location no longer has the stock; what was reserved stays for the
   * caller's compensation (releaseStock) to undo.
   */
  async reserveStock(input: { orderId: string; allocations: Allocation[] }): Promise<void> {
    for (const { sku, warehouseId, quantity } of input.allocations) {
      try {
        await appendMovement({
          sku,
          warehouseId,
          kind: 'reserve',
          key: `order:${input.orderId}:reserve:${sku}:${warehouseId}`,
          orderId: input.orderId,
          actor: 'order-workflow',
          change: () => ({ onHandDelta: 0, reservedDelta: quantity }),
        });
      } catch (error) {
        if (!(error instanceof StockMovementRejected)) throw error;
        throw ApplicationFailure.create({
          type: FailureType.InsufficientStock,
          message: `not enough stock: ${error.message}`,
          nonRetryable: true,
          details: [{ sku, warehouseId, requested: quantity }],
        });
      }
    }
  },

  /** Releases whatever the order still holds reserved at every location (nothing, if it holds nothing). */
  async releaseStock(input: { orderId: string; reason: string }): Promise<Allocation[]> {
    const held = new Map<string, Allocation>();
    for (const movement of await movementsForOrder(input.orderId)) {
      const id = `${movement.sku}\u0000${movement.warehouseId}`;
      const entry = held.get(id) ?? { sku: movement.sku, warehouseId: movement.warehouseId, quantity: 0 };
      entry.quantity += movement.reservedDelta;
      held.set(id, entry);
    }
    const released: Allocation[] = [];
    for (const { sku, warehouseId, quantity } of held.values()) {
      if (quantity <= 0) continue;
      await appendMovement({
        sku,
        warehouseId,
        kind: 'release',
        key: `order:${input.orderId}:release:${sku}:${warehouseId}`,
        orderId: input.orderId,
        reason: input.reason,
        actor: 'order-workflow',
        change: () => ({ onHandDelta: 0, reservedDelta: -quantity }),
      });
      released.push({ sku, warehouseId, quantity });
    }
    return released;
  },
};
