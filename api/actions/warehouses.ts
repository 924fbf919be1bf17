/** Warehouses: where stock is kept, and whether new orders may be routed there (admin). */
import { saveWarehouse, updateWarehouse, type Warehouse } from '../../persistence/warehouses.js';
import { problems } from '../problem.js';

/** Creates or replaces a warehouse, keeping an existing one's `active` and `priority`. */
export function putWarehouse(warehouseId: string, fields: Pick<Warehouse, 'name' | 'country' | 'location'>): Promise<{ warehouse: Warehouse; created: boolean }> {
  return saveWarehouse(warehouseId, fields);
}

/** Enables or disables a warehouse, or changes its priority; routing reads both for every new allocation. */
export async function changeWarehouse(warehouseId: string, change: { active?: boolean; priority?: number }): Promise<Warehouse> {
  const warehouse = await updateWarehouse(warehouseId, change);
  if (!warehouse) throw problems.notFound(`Warehouse ${warehouseId} was not found.`);
  return warehouse;
}
