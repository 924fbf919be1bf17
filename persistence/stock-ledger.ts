/**
 * The stock ledger. FerretDB v1 applies conditional updates non-atomically, so instead of `$inc` with a
 * `$gte` guard, each movement is appended with its stream's next sequence number and the balances after
 * it, under the `_id` `<sku>/<warehouse>/<seq>`: exactly one of two racing writers can insert that slot,
 * and the loser re-reads the new head and decides again. The unique `key` index makes a retried movement
 * (a retried activity) fail to insert a second time, and it gets the first one back instead.
 * The ledger head is the truth; `inventory_levels` is a projection of it for lists and alerts.
 *
 * Every hot-path read is by `_id` (the level, which carries the balance at its seq, then the slots after
 * it), because FerretDB v1's SQLite handler answers other filters by scanning the collection.
 */
import { applyStockChange, availableToPromise, type StockDecision, type StockMovementKind } from '../domain/stock.js';
import { ignoreDuplicateKey, isDuplicateKeyError } from './duplicate-key.js';
import { InventoryLevelModel, LocationSettingModel, locationId, skuIdRange, StockMovementModel, type StockMovementDoc } from './stock-models.js';

export interface LedgerBalance {
  sku: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
  available: number;
  seq: number;
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
  /** The change to make given the current balance, or why it cannot be made. */
  decide: (current: LedgerBalance) => StockDecision;
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

type StreamBalance = Pick<LedgerBalance, 'onHand' | 'reserved' | 'seq'>;

/**
 * The stream's head balance, and the seq its level projection shows: the level carries the balance at its
 * seq (a lower bound on the head), then forward slot by slot; normally one probe that finds nothing.
 */
async function streamHead(sku: string, warehouseId: string): Promise<{ levelSeq: number; head: StreamBalance }> {
  const balance = { onHand: 1, reserved: 1, seq: 1 } as const;
  const level = await InventoryLevelModel.findById(locationId(sku, warehouseId), balance).lean();
  const levelSeq = level?.seq ?? 0;
  let head: StreamBalance = { onHand: level?.onHand ?? 0, reserved: level?.reserved ?? 0, seq: levelSeq };
  for (;;) {
    const next = await StockMovementModel.findById(movementId(sku, warehouseId, head.seq + 1), balance).lean();
    if (!next) return { levelSeq, head };
    head = next;
  }
}

export async function readBalance(sku: string, warehouseId: string): Promise<LedgerBalance> {
  const [{ head }, settings] = await Promise.all([
    streamHead(sku, warehouseId),
    LocationSettingModel.findById(locationId(sku, warehouseId)).lean(),
  ]);
  const balance = { onHand: head.onHand, reserved: head.reserved, safetyStock: settings?.safetyStock ?? 0 };
  return { sku, warehouseId, ...balance, available: availableToPromise(balance), seq: head.seq };
}

/**
 * Appends one movement and returns it, or returns the movement already recorded under the same key.
 * Throws StockMovementRejected when `decide` refuses or the change would break 0 <= reserved <= onHand.
 */
export async function appendMovement(request: MovementRequest): Promise<StockMovementDoc> {
  const { sku, warehouseId, key } = request;
  for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
    const current = await readBalance(sku, warehouseId);
    const decision = request.decide(current);
    const next = decision.ok ? applyStockChange(current, decision.change) : decision;
    if (!decision.ok || !next.ok) {
      // A retry whose first attempt went through may be refused now; the first movement is its answer.
      const earlier = await recordedUnder(key, sku, warehouseId);
      if (earlier) return earlier;
      throw new StockMovementRejected(sku, warehouseId, next.ok ? 'refused' : next.reason);
    }
    const seq = current.seq + 1;
    const slot = movementId(sku, warehouseId, seq);
    try {
      const created = await StockMovementModel.create({
        _id: slot,
        sku,
        warehouseId,
        seq,
        kind: request.kind,
        ...decision.change,
        onHand: next.balance.onHand,
        reserved: next.balance.reserved,
        key,
        orderId: request.orderId,
        reason: request.reason,
        actor: request.actor,
        at: new Date(),
      });
      await projectLevel(sku, warehouseId, { onHand: next.balance.onHand, reserved: next.balance.reserved, seq });
      return created.toObject();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Either another writer took the slot (re-read and decide again), or this key was recorded before.
      const taken = await StockMovementModel.findById(slot, { key: 1 }).lean();
      if (!taken || taken.key === key) {
        const earlier = await recordedUnder(key, sku, warehouseId);
        if (earlier) return earlier;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
    }
  }
  throw new Error(`stock ledger for ${sku} at ${warehouseId} is too contended; gave up after ${MAX_APPEND_ATTEMPTS} attempts`);
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
 * Brings the level up to the ledger head, starting from `appended` (the movement just written) when given.
 * Writes are not atomic on FerretDB, so a slow writer may overwrite a newer projection with an older one
 * despite the `seq` guard; every writer therefore re-reads level and head after its write and goes again
 * until it sees them agree. The last writer always sees its own write, so the projection converges on the head.
 */
export async function projectLevel(sku: string, warehouseId: string, appended?: StreamBalance): Promise<void> {
  const _id = locationId(sku, warehouseId);
  if (appended) await InventoryLevelModel.updateOne({ _id, seq: { $lt: appended.seq } }, { $set: appended });
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

/** Levels with their safety stock, for lists and alerts. */
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
