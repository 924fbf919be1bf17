/** /v1/warehouses: where stock is kept, and whether new orders may be routed there (api/actions/warehouses.ts). */
import { Router } from 'express';
import { MAY } from '../actions/permissions.js';
import { changeWarehouse, putWarehouse } from '../actions/warehouses.js';
import { requireRole } from '../auth.js';
import { WarehouseId } from '../schemas/common.js';
import { WarehousePatchRequest, WarehouseRequest } from '../schemas/inventory.js';
import { parseWith } from '../validation.js';

export function warehousesRouter(): Router {
  const router = Router();

  router.put('/v1/warehouses/:warehouseId', requireRole(...MAY.manageWarehouses), async (req, res) => {
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const body = parseWith(WarehouseRequest, req.body, 'body');
    const { warehouse, created } = await putWarehouse(warehouseId, body);
    res.status(created ? 201 : 200).json(warehouse);
  });

  router.patch('/v1/warehouses/:warehouseId', requireRole(...MAY.manageWarehouses), async (req, res) => {
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const body = parseWith(WarehousePatchRequest, req.body, 'body');
    res.json(await changeWarehouse(warehouseId, body));
  });

  return router;
}
