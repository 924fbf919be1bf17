/**
 * The inventory's collections: the stock ledger, its per-location level projection, settings and alerts.
 * Read and written through persistence/stock-ledger.ts, stock-alerts.ts, inventory.ts and reconciliation.ts.
 */
import { randomUUID } from 'node:crypto';
import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { STOCK_MOVEMENT_KINDS } from '../domain/stock.js';

/** `<sku>/<warehouseId>`: ids of the per-location documents (SKUs and warehouse ids never contain `/`). */
export function locationId(sku: string, warehouseId: string): string {
  return `${sku}/${warehouseId}`;
}

/**
 * The `_id` range of a SKU's documents, all `<sku>/...` (its locations, its alerts). `0` is the character
 * after `/`, and a SKU holds no `/`, so no other SKU's ids fall inside. Read from the `_id` index in `_id`
 * order, on MongoDB and on the embedded FerretDB (tools/ferretdb/patches/id-ranges.patch).
 */
export function skuIdRange(sku: string): { $gte: string; $lt: string } {
  return { $gte: `${sku}/`, $lt: `${sku}0` };
}

/**
 * Stock levels per (sku, warehouse): a projection of the ledger's head (onHand, reserved, seq) kept for
 * lists and alerts. Written only by persistence/stock-ledger.ts. Keyed by `locationId`, because a filter on
 * `_id` alone is the only one FerretDB v1 looks up without scanning the collection.
 */
const inventoryLevelSchema = new Schema(
  {
    _id: { type: String, required: true },
    sku: { type: String, required: true },
    warehouseId: { type: String, required: true },
    onHand: { type: Number, required: true, default: 0 },
    reserved: { type: Number, required: true, default: 0 },
    /** The ledger sequence number this projection reflects. */
    seq: { type: Number, required: true, default: 0 },
  },
  { timestamps: true, versionKey: false },
);
inventoryLevelSchema.index({ sku: 1, warehouseId: 1 }, { unique: true });
inventoryLevelSchema.index({ warehouseId: 1 });
export const InventoryLevelModel = mongoose.model('InventoryLevel', inventoryLevelSchema, 'inventory_levels');

/**
 * A location's settings, apart from its level: FerretDB v1 rewrites a whole document on update, so a
 * projection write racing a settings change on the same document could undo it.
 */
const locationSettingSchema = new Schema(
  { _id: { type: String, required: true }, safetyStock: { type: Number, required: true, default: 0 } },
  { timestamps: true, versionKey: false },
);
export const LocationSettingModel = mongoose.model('LocationSetting', locationSettingSchema, 'location_settings');

/** Per-SKU settings; a SKU without one uses the configured defaults. */
const skuSettingSchema = new Schema(
  { _id: { type: String, required: true }, lowStockThreshold: { type: Number, required: true } },
  { timestamps: true, versionKey: false },
);
export const SkuSettingModel = mongoose.model('SkuSetting', skuSettingSchema, 'sku_settings');

/**
 * Low-stock alerts. `openKey` is unique: it is the SKU while the alert is open, so however many movements
 * cross the threshold at once, one alert opens; closing it renames the key to `closed:<alert id>`,
 * freeing the SKU for the next episode. (No sparse or partial index: FerretDB v1 lacks them.) The `_id`
 * is `<sku>/<opened at>/<random>` (`alertId`), so a SKU's newest alert, the only one that may be open, is
 * read from the `_id` index (`skuIdRange`).
 */
const stockAlertSchema = new Schema(
  {
    _id: { type: String, required: true },
    sku: { type: String, required: true },
    openKey: { type: String, required: true },
    threshold: { type: Number, required: true },
    availableAtOpen: { type: Number, required: true },
    openedAt: { type: Date, required: true },
    closedAt: { type: Date },
    availableAtClose: { type: Number },
  },
  { versionKey: false },
);
stockAlertSchema.index({ openKey: 1 }, { unique: true });
stockAlertSchema.index({ sku: 1, openedAt: -1 });
export const StockAlertModel = mongoose.model('StockAlert', stockAlertSchema, 'stock_alerts');

export function alertId(sku: string, openedAt: Date, suffix = randomUUID().slice(0, 8)): string {
  return `${sku}/${openedAt.toISOString()}/${suffix}`;
}

/**
 * The stock ledger: append-only, one stream per (sku, warehouse). Each movement carries the next sequence
 * number and the balances after it; its `_id` names that slot, so two concurrent writers of the same stream
 * collide on insert and the loser re-reads and retries. See persistence/stock-ledger.ts.
 */
const stockMovementSchema = new Schema(
  {
    /** `<sku>/<warehouseId>/<seq, 12 digits>`: the slot in its stream, claimed atomically by the insert. */
    _id: { type: String, required: true },
    sku: { type: String, required: true },
    warehouseId: { type: String, required: true },
    seq: { type: Number, required: true },
    kind: { type: String, enum: STOCK_MOVEMENT_KINDS, required: true },
    /** Change in onHand and in reserved that this movement made. */
    onHandDelta: { type: Number, required: true },
    reservedDelta: { type: Number, required: true },
    onHand: { type: Number, required: true },
    reserved: { type: Number, required: true },
    key: { type: String, required: true },
    orderId: { type: String },
    reason: { type: String },
    actor: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
stockMovementSchema.index({ sku: 1, warehouseId: 1, seq: 1 }, { unique: true });
stockMovementSchema.index({ key: 1 }, { unique: true });
stockMovementSchema.index({ orderId: 1 });
stockMovementSchema.index({ sku: 1, at: -1 });
export const StockMovementModel = mongoose.model('StockMovement', stockMovementSchema, 'stock_movements');
export type StockMovementDoc = InferSchemaType<typeof stockMovementSchema>;

export const stockModels = [InventoryLevelModel, LocationSettingModel, SkuSettingModel, StockAlertModel, StockMovementModel];
