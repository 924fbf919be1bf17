/**
 * The stock ledger. FerretDB v1 applies conditional updates non-atomically, so instead of `$inc` with a
 * `$gte` guard, each movement is appended with its stream's next sequence number and the balances after
 * it, under the `_id` `<sku>/<warehouse>/<seq>`: exactly one of two racing writers can insert that slot,
 * and the loser re-reads the new head and decides again. The unique `key` index makes a retried movement
 * (a retried activity) fail to insert a second time, and it gets the first one back instead.
 * The ledger head is the truth; `inventory_levels` is a projection of it for routing, lists and alerts.
 *
 * Every hot-path read is by `_id` (the level, which carries the balance at its seq, then the slots after
 * it), because FerretDB v1's SQLite handler answers other filters by scanning the collection.
 */
import { applyStockChange, availableToPromise, reservation, type StockDecision, type StockMovementKind } from '../domain/stock.js';
import { ignoreDuplicateKey, isDuplicateKeyError } from './duplicate-key.js';
import { InventoryLevelModel, LocationSettingModel, locationId, skuIdRange, StockMovementModel, type StockMovementDoc } from './stock-models.js';

/** A stream's head: its balance after its last movement, at that movement's seq. */
export interface LedgerHead {
  sku: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
  seq: number;
}

/** The head with the location's safety stock, and what is available to promise from it. */
export interface LedgerBalance extends LedgerHead {
  safetyStock: number;
  available: number;
}

export interface MovementRequest {
  sku: string;
  warehouseId: string;
  kind: StockMovementKind;
  /** Business key, unique across the ledger: the same key never moves stock twice. */
  key: string;
  actor: string;
  orderId?: string;
  reason?: string;
  /** The change to make given the head, or why it cannot be made. */
  decide: (current: LedgerHead) => StockDecision;
}

export class StockMovementRejected extends Error {
  constructor(
    readonly sku: string,
    readonly warehouseId: string,
    readonly reason: string,
  ) {
    super(`${sku} at ${warehouseId}: ${reason}`);
  }
}

const MAX_APPEND_ATTEMPTS = 200;
const MAX_PROJECTION_ROUNDS = 50;

export function movementId(sku: string, warehouseId: string, seq: number): string {
  return `${locationId(sku, warehouseId)}/${String(seq).padStart(12, '0')}`;
}

type StreamBalance = Pick<LedgerHead, 'onHand' | 'reserved' | 'seq'>;
const BALANCE_FIELDS = { onHand: 1, reserved: 1, seq: 1 } as const;

/** The balance the level projection shows: the head, unless a movement was appended and not yet projected. */
async function projectedBalance(sku: string, warehouseId: string): Promise<StreamBalance> {
  const level = await InventoryLevelModel.findById(locationId(sku, warehouseId), BALANCE_FIELDS).lean();
  return { onHand: level?.onHand ?? 0, reserved: level?.reserved ?? 0, seq: level?.seq ?? 0 };
}

/** The head at or after `from`, slot by slot; normally one probe that finds nothing. */
async function headFrom(sku: string, warehouseId: string, from: StreamBalance): Promise<StreamBalance> {
  let head = from;
  for (;;) {
    const next = await StockMovementModel.findById(movementId(sku, warehouseId, head.seq + 1), BALANCE_FIELDS).lean();
    if (!next) return { onHand: head.onHand, reserved: head.reserved, seq: head.seq };
    head = next;
  }
}

/** The stream's head, and the seq its level projection shows: the level (a lower bound on the head), then forward. */
async function streamHead(sku: string, warehouseId: string): Promise<{ levelSeq: number; head: StreamBalance }> {
  const level = await projectedBalance(sku, warehouseId);
  return { levelSeq: level.seq, head: await headFrom(sku, warehouseId, level) };
}

async function safetyStockAt(sku: string, warehouseId: string): Promise<number> {
  return (await LocationSettingModel.findById(locationId(sku, warehouseId)).lean())?.safetyStock ?? 0;
}

export async function readBalance(sku: string, warehouseId: string): Promise<LedgerBalance> {
  const [{ head }, safetyStock] = await Promise.all([streamHead(sku, warehouseId), safetyStockAt(sku, warehouseId)]);
  const balance = { onHand: head.onHand, reserved: head.reserved, safetyStock };
  return { sku, warehouseId, ...balance, available: availableToPromise(balance), seq: head.seq };
}

/**
 * Appends one movement and returns it, or returns the movement already recorded under the same key.
 * Throws StockMovementRejected when `decide` refuses or the change would break 0 <= reserved <= onHand.
 *
 * The first attempt decides on the level alone and inserts into the slot after it: the insert succeeds
 * only if that slot is free, that is if the level was the head, so the probe for a later slot is left to
 * the insert; when it fails, the writer decides again on the head after the slot it found taken. A
 * refusal, though, must be of the head itself, so one decided on the level is checked against the slots after it.
 */
export async function appendMovement(request: MovementRequest): Promise<StockMovementDoc> {
  const { sku, warehouseId, key } = request;
  let current = await projectedBalance(sku, warehouseId);
  let atHead = false;
  for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
    const decision = request.decide({ sku, warehouseId, ...current });
    const next = decision.ok ? applyStockChange(current, decision.change) : decision;
    if (!decision.ok || !next.ok) {
      if (!atHead) {
        [current, atHead] = [await headFrom(sku, warehouseId, current), true];
        continue;
      }
      // A retry whose first attempt went through may be refused now; the first movement is its answer.
      const earlier = await recordedUnder(key, sku, warehouseId);
      if (earlier) return earlier;
      throw new StockMovementRejected(sku, warehouseId, next.ok ? 'refused' : next.reason);
    }
    const seq = current.seq + 1;
    const slot = movementId(sku, warehouseId, seq);
    const balance = { onHand: next.balance.onHand, reserved: next.balance.reserved, seq };
    try {
      const created = await StockMovementModel.create({
        _id: slot,
        sku,
        warehouseId,
        kind: request.kind,
        ...decision.change,
        ...balance,
        key,
        orderId: request.orderId,
        reason: request.reason,
        actor: request.actor,
        at: new Date(),
      });
      await projectAppended(sku, warehouseId, balance);
      return created.toObject();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Either another writer took the slot (decide again on the head after it), or this key was recorded before.
      const taken = await StockMovementModel.findById(slot, { key: 1, ...BALANCE_FIELDS }).lean();
      if (!taken || taken.key === key) {
        const earlier = await recordedUnder(key, sku, warehouseId);
        if (earlier) return earlier;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
      [current, atHead] = [await headFrom(sku, warehouseId, taken ?? current), true];
    }
  }
  throw new Error(`stock ledger for ${sku} at ${warehouseId} is too contended; gave up after ${MAX_APPEND_ATTEMPTS} attempts`);
}

/**
 * Reserves `quantity` at the location, once per key as appendMovement does, only from what is available
 * to promise there: its safety stock is never reserved. Returns the movement and what the location had
 * available right after it.
 */
export async function appendReservation(
  request: Omit<MovementRequest, 'kind' | 'decide'> & { quantity: number },
): Promise<{ movement: StockMovementDoc; availableAfter: number }> {
  const { quantity, ...movement } = request;
  const safetyStock = await safetyStockAt(request.sku, request.warehouseId);
  const appended = await appendMovement({ ...movement, kind: 'reserve', decide: (current) => reservation({ ...current, safetyStock }, quantity) });
  return { movement: appended, availableAfter: availableToPromise({ onHand: appended.onHand, reserved: appended.reserved, safetyStock }) };
}

/** The movement recorded under a business key, if any (a collection scan on FerretDB, so only on the rare paths). */
export async function movementByKey(key: string): Promise<StockMovementDoc | null> {
  return StockMovementModel.findOne({ key }).lean();
}

async function recordedUnder(key: string, sku: string, warehouseId: string): Promise<StockMovementDoc | null> {
  const earlier = await movementByKey(key);
  // An earlier attempt may have appended and then died before projecting.
  if (earlier) await projectLevel(sku, warehouseId);
  return earlier;
}

/**
 * Projects the movement just appended (at `appended.seq`) onto the level. Writes are not atomic on
 * FerretDB, so a slower writer of an older movement may overwrite this projection despite the `seq`
 * guard; but every writer checks after its own write whether a movement follows the one it wrote, and if
 * one does, brings the level up to the head (projectLevel). So the last writer always repairs what it
 * wrote, and the projection converges on the head. Normally: one write and one probe that finds nothing.
 */
async function projectAppended(sku: string, warehouseId: string, appended: StreamBalance): Promise<void> {
  const written = await InventoryLevelModel.updateOne({ _id: locationId(sku, warehouseId), seq: { $lt: appended.seq } }, { $set: appended });
  // Not written: the level is already at or past it (that writer checks after itself), or there is no level yet.
  if (written.matchedCount === 1 && (await headFrom(sku, warehouseId, appended)).seq === appended.seq) return;
  await projectLevel(sku, warehouseId);
}

/**
 * Brings the level up to the ledger head. Writes are not atomic on FerretDB, so a slow writer may
 * overwrite a newer projection with an older one; every writer therefore re-reads level and head after
 * its write and goes again until it sees them agree.
 */
export async function projectLevel(sku: string, warehouseId: string): Promise<void> {
  const _id = locationId(sku, warehouseId);
  for (let round = 0; round < MAX_PROJECTION_ROUNDS; round++) {
    const { levelSeq, head } = await streamHead(sku, warehouseId);
    if (levelSeq === head.seq) return;
    await InventoryLevelModel.updateOne(
      { _id },
      { $set: { onHand: head.onHand, reserved: head.reserved, seq: head.seq }, $setOnInsert: { sku, warehouseId } },
      { upsert: true },
    ).catch(ignoreDuplicateKey); // a concurrent first projection created it: the next round sees it
  }
  console.warn(`inventory level of ${sku} at ${warehouseId} still lags its ledger after ${MAX_PROJECTION_ROUNDS} rounds; reconciliation will repair it`);
}

/** Registers a (sku, warehouse) location, and optionally its safety stock, before any movement names it. */
export async function ensureLocation(sku: string, warehouseId: string, settings: { safetyStock?: number } = {}): Promise<void> {
  const _id = locationId(sku, warehouseId);
  // FerretDB does not retry an upsert that loses the race to insert: the other writer created it, fine.
  await InventoryLevelModel.updateOne({ _id }, { $setOnInsert: { sku, warehouseId, onHand: 0, reserved: 0, seq: 0 } }, { upsert: true }).catch(
    ignoreDuplicateKey,
  );
  if (settings.safetyStock === undefined) return;
  const update = { $set: { safetyStock: settings.safetyStock } };
  await LocationSettingModel.updateOne({ _id }, update, { upsert: true }).catch(async (error: unknown) => {
    ignoreDuplicateKey(error);
    await LocationSettingModel.updateOne({ _id }, update);
  });
}

/** The levels of these SKUs at every location, by SKU and then warehouse (each SKU's read from the `_id` index). */
export async function levelsOf(skus: string[]) {
  const perSku = await Promise.all([...new Set(skus)].sort().map((sku) => InventoryLevelModel.find({ _id: skuIdRange(sku) }).sort({ _id: 1 }).lean()));
  return perSku.flat();
}

/** Levels with their safety stock, for routing, lists and alerts. */
export async function levelsWithSettings(skus: string[]) {
  const levels = await levelsOf(skus);
  const settings = await LocationSettingModel.find({ _id: { $in: levels.map((l) => l._id) } }).lean();
  const safety = new Map(settings.map((s) => [s._id, s.safetyStock]));
  return levels.map((level) => ({ ...level, safetyStock: safety.get(level._id) ?? 0 }));
}

/** Movements recorded for an order, oldest first. */
export async function movementsForOrder(orderId: string): Promise<StockMovementDoc[]> {
  return StockMovementModel.find({ orderId }).sort({ at: 1, seq: 1 }).lean();
}
