/**
 * /v1/inventory: how much of each SKU is where, stock counts and adjustments (each one a ledger movement),
 * the ledger itself, low-stock thresholds and the list of SKUs running low.
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { StockEffects } from '../../activities/stock-effects.js';
import type { InventorySettings } from '../../config.js';
import {
  IdempotencyKeyHeader,
  InventoryListQuery,
  MovementListQuery,
  SetStockRequest,
  Sku,
  SkuSettingsRequest,
  StockAdjustmentRequest,
  WarehouseId,
} from '../../domain/schemas.js';
import { availableToPromise } from '../../domain/stock.js';
import { InventoryLevelModel, SkuSettingModel, StockAlertModel, StockMovementModel, WarehouseModel, type StockMovementDoc } from '../../persistence/models.js';
import { appendMovement, ensureLocation, levelsWithSettings, readBalance, StockMovementRejected, type LedgerBalance } from '../../persistence/stock-ledger.js';
import { principalOf, requireRole } from '../auth.js';
import { decodeKeyset, encodeKeyset } from '../cursor.js';
import { problems } from '../problem.js';
import { parseWith } from '../validation.js';

type LevelFields = Pick<LedgerBalance, 'sku' | 'warehouseId' | 'onHand' | 'reserved' | 'safetyStock'>;

/** A location's level as the API shows it (PUT, adjustments, GET): available never below 0. */
export function levelView({ sku, warehouseId, onHand, reserved, safetyStock }: LevelFields) {
  return { sku, warehouseId, onHand, reserved, safetyStock, available: availableToPromise({ onHand, reserved, safetyStock }) };
}

const locationView = (level: LevelFields) => {
  const { sku: _sku, ...location } = levelView(level);
  return location;
};

export function movementView(doc: StockMovementDoc) {
  return {
    sku: doc.sku,
    warehouseId: doc.warehouseId,
    seq: doc.seq,
    kind: doc.kind,
    onHandDelta: doc.onHandDelta,
    reservedDelta: doc.reservedDelta,
    onHand: doc.onHand,
    reserved: doc.reserved,
    key: doc.key,
    ...(doc.orderId ? { orderId: doc.orderId } : {}),
    ...(doc.reason ? { reason: doc.reason } : {}),
    actor: doc.actor,
    at: new Date(doc.at).toISOString(),
  };
}

async function requireWarehouse(warehouseId: string): Promise<void> {
  if (!(await WarehouseModel.exists({ _id: warehouseId }))) throw problems.notFound(`Warehouse ${warehouseId} was not found.`);
}

async function requireStockedSku(sku: string, warehouseId?: string): Promise<void> {
  if (!(await InventoryLevelModel.exists(warehouseId ? { sku, warehouseId } : { sku }))) {
    throw problems.notFound(warehouseId ? `SKU ${sku} is not stocked at ${warehouseId}.` : `SKU ${sku} is not stocked anywhere.`);
  }
}

/** How many distinct SKUs the inventory list reads per round while it looks for a page of matches. */
const SKU_BATCH = 100;

export function inventoryRouter(effects: StockEffects, inventory: InventorySettings): Router {
  const router = Router();

  /**
   * SKUs in ascending order with their availability and low-stock state, from the levels projection
   * (the same numbers the low-stock alerts use). `belowThreshold=true` keeps those with an open alert or
   * availability at or below their threshold.
   */
  router.get('/v1/inventory', async (req, res) => {
    const query = parseWith(InventoryListQuery, req.query, 'query');
    const onlyLow = query.belowThreshold === 'true';
    let after = query.cursor
      ? decodeKeyset(query.cursor, ([sku, ...rest]) => (typeof sku === 'string' && rest.length === 0 ? sku : undefined))
      : undefined;
    const items: Array<Awaited<ReturnType<typeof summarize>>[number]> = [];
    // Unfiltered, limit + 1 SKUs make the page; filtered, read on in batches until enough match.
    const batch = onlyLow ? SKU_BATCH : query.limit + 1;
    while (items.length <= query.limit) {
      const skus = await distinctSkus(after, batch);
      for (const summary of await summarize(skus, inventory.lowStockThreshold)) {
        if (!onlyLow || summary.lowStock) items.push(summary);
        if (items.length > query.limit) break;
      }
      if (skus.length < batch) break;
      after = skus[skus.length - 1];
    }
    const page = items.slice(0, query.limit);
    res.json({ items: page, nextCursor: items.length > query.limit ? encodeKeyset([page[page.length - 1].sku]) : null });
  });

  /**
   * The ledger of a SKU, newest first: by the time each movement was recorded, then warehouse id, then
   * sequence number, all descending (a total order: (sku, warehouse, seq) is unique).
   */
  router.get('/v1/inventory/:sku/movements', requireRole('admin', 'support'), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const query = parseWith(MovementListQuery, req.query, 'query');
    await requireStockedSku(sku, query.warehouseId);
    const filter: Record<string, unknown> = { sku };
    if (query.warehouseId) filter.warehouseId = query.warehouseId;
    if (query.cursor) {
      const after = decodeKeyset(query.cursor, ([at, warehouseId, seq, ...rest]) =>
        typeof at === 'string' && !Number.isNaN(Date.parse(at)) && typeof warehouseId === 'string' && Number.isSafeInteger(seq) && rest.length === 0
          ? { at: new Date(at), warehouseId, seq: seq as number }
          : undefined,
      );
      filter.$or = [
        { at: { $lt: after.at } },
        { at: after.at, warehouseId: { $lt: after.warehouseId } },
        { at: after.at, warehouseId: after.warehouseId, seq: { $lt: after.seq } },
      ];
    }
    const docs = await StockMovementModel.find(filter).sort({ at: -1, warehouseId: -1, seq: -1 }).limit(query.limit + 1).lean();
    const page = docs.slice(0, query.limit);
    const last = page[page.length - 1];
    res.json({
      items: page.map(movementView),
      nextCursor: docs.length > query.limit && last ? encodeKeyset([new Date(last.at).toISOString(), last.warehouseId, last.seq]) : null,
    });
  });

  // Before /v1/inventory/:sku/:warehouseId, which would otherwise take "settings" for a warehouse id.
  router.put('/v1/inventory/:sku/settings', requireRole('admin'), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const { lowStockThreshold } = parseWith(SkuSettingsRequest, req.body, 'body');
    await requireStockedSku(sku);
    await SkuSettingModel.updateOne({ _id: sku }, { $set: { lowStockThreshold } }, { upsert: true });
    // The threshold moved: the alert may open or close.
    await effects.afterStockChange([sku], { increased: false });
    res.json({ sku, lowStockThreshold });
  });

  /** Sets the on-hand count (a movement of the difference) and, optionally, the location's safety stock. */
  router.put('/v1/inventory/:sku/:warehouseId', requireRole('admin', 'warehouse'), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const { onHand, safetyStock } = parseWith(SetStockRequest, req.body, 'body');
    await requireWarehouse(warehouseId);
    const before = await readBalance(sku, warehouseId);
    await ensureLocation(sku, warehouseId);
    let movement: StockMovementDoc;
    try {
      movement = await appendMovement({
        sku,
        warehouseId,
        kind: 'adjust',
        key: `adjust:${randomUUID()}`,
        actor: principalOf(req).label,
        reason: 'stock count set through the API',
        decide: (current) => ({ ok: true, change: { onHandDelta: onHand - current.onHand, reservedDelta: 0 } }),
      });
    } catch (error) {
      if (error instanceof StockMovementRejected) {
        throw problems.conflict(`onHand cannot be set to ${onHand} for ${sku} at ${warehouseId}: ${error.reason}.`);
      }
      throw error;
    }
    // Only once the count is accepted, so a refused request changes nothing.
    if (safetyStock !== undefined) await ensureLocation(sku, warehouseId, { safetyStock });
    const safetyLowered = safetyStock !== undefined && safetyStock < before.safetyStock;
    await effects.afterStockChange([sku], { increased: movement.onHandDelta > 0 || safetyLowered });
    res.json(levelView(await readBalance(sku, warehouseId)));
  });

  /**
   * Adds or removes stock by a delta (goods received, returns restocked, damage, count corrections).
   * With an Idempotency-Key header the movement's key is `adjust:<principal>:<header>`, so a retry applies
   * once and answers 200 with the first movement; the same key with another request is a 409.
   */
  router.post('/v1/inventory/:sku/:warehouseId/adjustments', requireRole('admin', 'warehouse'), async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const warehouseId = parseWith(WarehouseId, req.params.warehouseId, 'path');
    const { 'Idempotency-Key': idempotencyKey } = parseWith(IdempotencyKeyHeader, { 'Idempotency-Key': req.get('idempotency-key') }, 'header');
    const { delta, reason, kind = delta > 0 ? 'receive' : 'adjust' } = parseWith(StockAdjustmentRequest, req.body, 'body');
    const principal = principalOf(req);
    await requireWarehouse(warehouseId);

    const key = idempotencyKey ? `adjust:${principal.label}:${idempotencyKey}` : `adjust:${randomUUID()}`;
    const sameRequest = (doc: StockMovementDoc) =>
      doc.sku === sku && doc.warehouseId === warehouseId && doc.kind === kind && doc.onHandDelta === delta && doc.reservedDelta === 0 && doc.reason === reason;
    const reused = () =>
      problems.conflict(`Idempotency-Key ${idempotencyKey} was already used for a different request; use a new key for a new adjustment.`);

    const earlier: StockMovementDoc | null = idempotencyKey ? await StockMovementModel.findOne({ key }).lean() : null;
    if (earlier && !sameRequest(earlier)) throw reused();
    let movement: StockMovementDoc | null = earlier;
    if (!movement) {
      // A negative delta needs stock that is already there; it never creates a location.
      if (delta > 0) await ensureLocation(sku, warehouseId);
      try {
        movement = await appendMovement({
          sku,
          warehouseId,
          kind,
          key,
          actor: principal.label,
          reason,
          decide: () => ({ ok: true, change: { onHandDelta: delta, reservedDelta: 0 } }),
        });
      } catch (error) {
        if (error instanceof StockMovementRejected) {
          throw problems.conflict(`${sku} at ${warehouseId} cannot be adjusted by ${delta}: ${error.reason}.`);
        }
        throw error;
      }
      // A concurrent request with the same key won the race: it must have been this request too.
      if (!sameRequest(movement)) throw reused();
    }
    // Also on a retry: if the first attempt failed after its movement, the effects still happen.
    await effects.afterStockChange([sku], { increased: movement.onHandDelta > 0 });
    res.status(earlier ? 200 : 201).json({ movement: movementView(movement), level: levelView(await readBalance(sku, warehouseId)) });
  });

  router.get('/v1/inventory/:sku', async (req, res) => {
    const sku = parseWith(Sku, req.params.sku, 'path');
    const locations = await InventoryLevelModel.find({ sku }).sort({ warehouseId: 1 }).lean();
    if (locations.length === 0) throw problems.notFound(`SKU ${sku} is not stocked anywhere.`);
    const balances = await Promise.all(locations.map((l) => readBalance(sku, l.warehouseId)));
    res.json({
      sku,
      available: balances.reduce((sum, b) => sum + b.available, 0),
      // The v1 shape of this endpoint has no safetyStock (GET /v1/inventory lists it); available is net of it.
      locations: balances.map(({ warehouseId, onHand, reserved, available }) => ({ warehouseId, onHand, reserved, available })),
    });
  });

  return router;
}

/** Up to `limit` SKUs of the levels after `after`, ascending. */
async function distinctSkus(after: string | undefined, limit: number): Promise<string[]> {
  const groups = await InventoryLevelModel.aggregate<{ _id: string }>([
    { $match: after === undefined ? {} : { sku: { $gt: after } } },
    { $group: { _id: '$sku' } },
    { $sort: { _id: 1 } },
    { $limit: limit },
  ]);
  return groups.map((g) => g._id);
}

/**
 * Availability, threshold and low-stock state of each SKU, in the given order. The same rules as
 * persistence/stock-alerts.ts (skuAvailability, lowStockThreshold), read for a whole batch at once.
 */
async function summarize(skus: string[], defaultThreshold: number) {
  if (skus.length === 0) return [];
  const [levels, settings, openAlerts] = await Promise.all([
    levelsWithSettings({ sku: { $in: skus } }),
    SkuSettingModel.find({ _id: { $in: skus } }).lean(),
    // An open alert's key is its SKU (closed ones are renamed `closed:<id>`).
    StockAlertModel.find({ openKey: { $in: skus } }, { openKey: 1 }).lean(),
  ]);
  const thresholds = new Map(settings.map((s) => [s._id, s.lowStockThreshold]));
  const alerting = new Set(openAlerts.map((a) => a.openKey));
  return skus.map((sku) => {
    const locations = levels.filter((l) => l.sku === sku).map(locationView);
    const available = locations.reduce((sum, l) => sum + l.available, 0);
    const threshold = thresholds.get(sku) ?? defaultThreshold;
    return { sku, available, threshold, lowStock: alerting.has(sku) || available <= threshold, locations };
  });
}
