/** Return activities: goods that came back go into stock at the warehouse that received them. */
import { returnRestockKey } from '../contracts/keys.js';
import type { OrderQuantity } from '../domain/quantities.js';
import { appendMovement } from '../persistence/stock-ledger.js';
import type { StockEffects } from '../services/stock-effects.js';

export function returnActivities(effects: StockEffects) {
  return {
    /**
     * Puts a return's units back on hand, once per (return, SKU, warehouse) however often this runs, then
     * lets the stock effects wake the orders backordered on them.
     */
    async restockReturn(input: { orderId: string; returnId: string; warehouseId: string; lines: OrderQuantity[] }): Promise<void> {
      for (const { sku, quantity } of input.lines) {
        await appendMovement({
          sku,
          warehouseId: input.warehouseId,
          kind: 'restock',
          key: returnRestockKey(input.returnId, sku, input.warehouseId),
          orderId: input.orderId,
          reason: `return ${input.returnId}`,
          actor: 'return-workflow',
          decide: () => ({ ok: true, change: { onHandDelta: quantity, reservedDelta: 0 } }),
        });
      }
      await effects.afterStockChange(input.lines.map((l) => l.sku), { increased: true });
    },
  };
}
