/** /v1/warehouses and /v1/inventory: where stock is, and how much. */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { SetStockRequest, Sku, WarehouseId, WarehouseRequest } from '../../domain/schemas.js';
import { StockLocationModel, WarehouseModel } from '../../persistence/models.js';
import { appendMovement, readBalance, StockMovementRejected } from '../../persistence/stock-ledger.js';
import { principalOf, requireRole } from '../auth.js';
import { problems } from '../problem.js';
import { parseWith } from '../validation.js';

export function catalogRouter(): Router {
  const router = Router();

  router.put('/v1/warehouses/:warehouseId', requireRole('admin'), async (req, res) => {
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const body = parseWith(WarehouseRequest, req.body, 'body');
    const existed = await WarehouseModel.exists({ _id: warehouseId });
    const saved = await WarehouseModel.findOneAndUpdate({ _id: warehouseId }, { $set: body }, { upsert: true, new: true }).lean();
    res.status(existed ? 200 : 201).json({
      warehouseId,
      name: saved!.name,
      country: saved!.country,
      location: { lat: saved!.location.lat, lng: saved!.location.lng },
      active: saved!.active ?? true,
      priority: saved!.priority ?? 0,
    });
  });

  router.put('/v1/inventory/:sku/:warehouseId', requireRole('admin', 'warehouse'), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const { onHand } = parseWith(SetStockRequest, req.body, 'body');
    if (!(await WarehouseModel.exists({ _id: warehouseId }))) throw problems.notFound(`Warehouse ${warehouseId} was not found.`);
    await StockLocationModel.updateOne({ sku, warehouseId }, { $setOnInsert: { sku, warehouseId } }, { upsert: true });
    try {
      await appendMovement({
        sku,
        warehouseId,
        kind: 'adjust',
        key: `adjust:${randomUUID()}`,
        actor: principalOf(req).label,
        reason: 'stock count set through the API',
        change: (current) => ({ onHandDelta: onHand - current.onHand, reservedDelta: 0 }),
      });
    } catch (error) {
      if (error instanceof StockMovementRejected) {
        throw problems.conflict(`onHand cannot be set to ${onHand} for ${sku} at ${warehouseId}: ${error.reason}.`);
      }
      throw error;
    }
    const { seq: _seq, ...level } = await readBalance(sku, warehouseId);
    res.json(level);
  });

  router.get('/v1/inventory/:sku', async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const locations = await StockLocationModel.find({ sku }).sort({ warehouseId: 1 }).lean();
    if (locations.length === 0) throw problems.notFound(`SKU ${sku} is not stocked anywhere.`);
    const balances = await Promise.all(locations.map((l) => readBalance(sku, l.warehouseId)));
    res.json({
      sku,
      available: balances.reduce((sum, b) => sum + b.available, 0),
      locations: balances.map(({ warehouseId, onHand, reserved, available }) => ({ warehouseId, onHand, reserved, available })),
    });
  });

  return router;
}
