/** /v1/warehouses: where stock is kept, and whether new orders may be routed there. */
import { Router } from 'express';
import { saveWarehouse, updateWarehouse } from '../../persistence/warehouses.js';
import { requireRole } from '../auth.js';
import { problems } from '../problem.js';
import { WarehouseId } from '../schemas/common.js';
import { WarehousePatchRequest, WarehouseRequest } from '../schemas/inventory.js';
import { parseWith } from '../validation.js';

export function warehousesRouter(): Router {
  const router = Router();

  router.put('/v1/warehouses/:warehouseId', requireRole('admin'), async (req, res) => {
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const body = parseWith(WarehouseRequest, req.body, 'body');
    const { warehouse, created } = await saveWarehouse(warehouseId, body);
    res.status(created ? 201 : 200).json(warehouse);
  });

  /** Enables or disables a warehouse, or changes its priority; routing reads both for every new allocation. */
  router.patch('/v1/warehouses/:warehouseId', requireRole('admin'), async (req, res) => {
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const body = parseWith(WarehousePatchRequest, req.body, 'body');
    const warehouse = await updateWarehouse(warehouseId, body);
    if (!warehouse) throw problems.notFound(`Warehouse ${warehouseId} was not found.`);
    res.json(warehouse);
  });

  return router;
}
