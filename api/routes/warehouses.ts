/** /v1/warehouses: where stock is kept, and whether new orders may be routed there. */
import { Router } from 'express';
import { WarehouseId, WarehousePatchRequest, WarehouseRequest } from '../../domain/schemas.js';
import { WarehouseModel } from '../../persistence/models.js';
import { requireRole } from '../auth.js';
import { problems } from '../problem.js';
import { parseWith } from '../validation.js';

interface WarehouseDoc {
  _id: string;
  name: string;
  country: string;
  location: { lat: number; lng: number };
  active?: boolean | null;
  priority?: number | null;
}

function warehouseView(doc: WarehouseDoc) {
  return {
    warehouseId: doc._id,
    name: doc.name,
    country: doc.country,
    location: { lat: doc.location.lat, lng: doc.location.lng },
    active: doc.active ?? true,
    priority: doc.priority ?? 0,
  };
}

export function warehousesRouter(): Router {
  const router = Router();

  router.put('/v1/warehouses/:warehouseId', requireRole('admin'), async (req, res) => {
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const body = parseWith(WarehouseRequest, req.body, 'body');
    const existed = await WarehouseModel.exists({ _id: warehouseId });
    const saved = await WarehouseModel.findOneAndUpdate({ _id: warehouseId }, { $set: body }, { upsert: true, new: true }).lean();
    res.status(existed ? 200 : 201).json(warehouseView(saved!));
  });

  /** Enables or disables a warehouse, or changes its priority; routing reads both for every new allocation. */
  router.patch('/v1/warehouses/:warehouseId', requireRole('admin'), async (req, res) => {
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const body = parseWith(WarehousePatchRequest, req.body, 'body');
    const saved = await WarehouseModel.findOneAndUpdate({ _id: warehouseId }, { $set: body }, { new: true }).lean();
    if (!saved) throw problems.notFound(`Warehouse ${warehouseId} was not found.`);
    res.json(warehouseView(saved));
  });

  return router;
}
