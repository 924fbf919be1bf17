/** A stock adjustment (goods received, damage, count corrections) as people ask for it, through the v1 API or the console. */
import { warehouseExists } from '../../persistence/warehouses.js';
import type { StockEffects } from '../../services/stock-effects.js';
import { mayHandleWarehouse, type Principal, type Role } from '../auth.js';
import { problems } from '../problem.js';
import { Sku, WarehouseId } from '../schemas/common.js';
import { StockAdjustmentRequest } from '../schemas/inventory.js';
import { adjustStock } from '../stock-changes.js';
import { parseWith } from '../validation.js';

/** Who may adjust stock, in the API and in the console. */
export const ADJUSTMENT_ROLES = ['admin', 'warehouse'] as const satisfies readonly Role[];

export async function adjustInventory(
  effects: StockEffects,
  principal: Principal,
  location: { sku: unknown; warehouseId: unknown },
  rawBody: unknown,
  idempotencyKey: string | undefined,
) {
  const sku = parseWith(Sku, location.sku, 'path');
  const warehouseId = parseWith(WarehouseId, location.warehouseId, 'path');
  const { delta, reason, kind = delta > 0 ? 'receive' : 'adjust' } = parseWith(StockAdjustmentRequest, rawBody, 'body');
  if (!mayHandleWarehouse(principal, warehouseId) || !(await warehouseExists(warehouseId))) throw problems.notFound(`Warehouse ${warehouseId} was not found.`);
  return adjustStock(effects, { sku, warehouseId, delta, reason, kind }, { actor: principal.label, idempotencyKey });
}
