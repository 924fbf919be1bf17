/**
 * The stock ledger. FerretDB v1 applies conditional updates non-atomically, so instead of `$inc` with a
 * `$gte` guard, each movement is appended with its stream's next sequence number and the balances after
 * it, under the `_id` `<sku>/<warehouse>/<seq>`: exactly one of two racing writers can insert that slot,
 * and the loser re-reads the new head and decides again. The unique `key` index makes a retried movement
 * (a retried activity) fail to insert a second time, and it gets the first one back instead.
 * The ledger head is the truth; `inventory_levels` is a projection of it for lists and alerts.
 *
 * Every hot-path read is by `_id` (the level, then the slots after the level's seq), because a filter on
 * `_id` alone is the only one FerretDB v1's SQLite handler does not answer by scanning the collection.
 */
import { applyStockChange, availableToPromise, type StockDecision } from '../domain/stock.js';
import { isDuplicateKeyError } from './connection.js';
import {
  InventoryLevelModel,
  LocationSettingModel,
  locationId,
  StockMovementModel,
  type StockMovementDoc,
  type StockMovementKind,
} from './models.js';

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

/**
 * The stream's latest movement and the seq its level projection shows: from the level's seq (a lower bound
 * on the head), forward slot by slot.
 */
async function streamPosition(sku: string, warehouseId: string): Promise<{ levelSeq: number; head: StockMovementDoc | null }> {
  const level = await InventoryLevelModel.findById(locationId(sku, warehouseId), { seq: 1 }).lean();
  const levelSeq = level?.seq ?? 0;
  let head = levelSeq > 0 ? await StockMovementModel.findById(movementId(sku, warehouseId, levelSeq)).lean() : null;
  for (let seq = (head?.seq ?? 0) + 1; ; seq++) {
    const next = await StockMovementModel.findById(movementId(sku, warehouseId, seq)).lean();
    if (!next) return { levelSeq, head };
    head = next;
  }
}

export async function readBalance(sku: string, warehouseId: string): Promise<LedgerBalance> {
  const [{ head }, settings] = await Promise.all([
    streamPosition(sku, warehouseId),
    LocationSettingModel.findById(locationId(sku, warehouseId)).lean(),
  ]);
  const balance = { onHand: head?.onHand ?? 0, reserved: head?.reserved ?? 0, safetyStock: settings?.safetyStock ?? 0 };
  return { sku, warehouseId, ...balance, available: availableToPromise(balance), seq: head?.seq ?? 0 };
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
    const slot = movementId(sku, warehouseId, current.seq + 1);
    try {
      const created = await StockMovementModel.create({
        _id: slot,
        sku,
        warehouseId,
        seq: current.seq + 1,
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
      await projectLevel(sku, warehouseId);
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

/** The movement recorded under a key, if any (a collection scan on FerretDB, so only on the rare paths). */
async function recordedUnder(key: string, sku: string, warehouseId: string): Promise<StockMovementDoc | null> {
  const earlier = await StockMovementModel.findOne({ key }).lean();
  // An earlier attempt may have appended and then died before projecting.
  if (earlier) await projectLevel(sku, warehouseId);
  return earlier;
}

/**
 * Brings the level up to the ledger head. Writes are not atomic on FerretDB, so a slow writer may overwrite
 * a newer projection with an older one; every writer therefore re-reads level and head after its write and
 * goes again until it sees them agree. The last writer always sees its own write, so the projection
 * converges on the head.
 */
async function projectLevel(sku: string, warehouseId: string): Promise<void> {
  for (let round = 0; round < MAX_PROJECTION_ROUNDS; round++) {
    const { levelSeq, head } = await streamPosition(sku, warehouseId);
    if (!head || levelSeq === head.seq) return;
    await InventoryLevelModel.updateOne(
      { _id: locationId(sku, warehouseId) },
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

function ignoreDuplicateKey(error: unknown): void {
  if (!isDuplicateKeyError(error)) throw error;
}

/** Levels with their safety stock, for lists and alerts. */
export async function levelsWithSettings(filter: { sku: string | { $in: string[] } }) {
  const levels = await InventoryLevelModel.find(filter).sort({ sku: 1, warehouseId: 1 }).lean();
  const settings = await LocationSettingModel.find({ _id: { $in: levels.map((l) => l._id) } }).lean();
  const safety = new Map(settings.map((s) => [s._id, s.safetyStock]));
  return levels.map((level) => ({ ...level, safetyStock: safety.get(level._id) ?? 0 }));
}

/** Movements recorded for an order, oldest first. */
export async function movementsForOrder(orderId: string): Promise<StockMovementDoc[]> {
  return StockMovementModel.find({ orderId }).sort({ at: 1, seq: 1 }).lean();
}

export interface LevelDrift {
  sku: string;
  warehouseId: string;
  level: { onHand: number; reserved: number; seq: number };
  ledger: { onHand: number; reserved: number; seq: number; movements: number };
  problems: string[];
}

/**
 * Recomputes every level from the ledger (the sum of all deltas of its stream, read movement by movement)
 * and reports each location where the projection, the stored running balances or the sequence disagree.
 * With `repair`, levels are rewritten from the ledger (the ledger itself is never changed).
 * It streams the movements rather than `$group`ing them: FerretDB v1.24 computes only the first `$sum`
 * accumulator of a `$group` correctly (the others come back 0).
 */
export async function reconcileLevels(options: { repair?: boolean; sku?: string } = {}): Promise<{ checked: number; drift: LevelDrift[] }> {
  const match = options.sku ? { sku: options.sku } : {};
  const ledger = new Map<string, { onHand: number; reserved: number; seq: number; movements: number; gapFree: boolean; runningOk: boolean }>();
  const movements = StockMovementModel.find(match, { sku: 1, warehouseId: 1, seq: 1, onHandDelta: 1, reservedDelta: 1, onHand: 1, reserved: 1 })
    .sort({ sku: 1, warehouseId: 1, seq: 1 })
    .lean()
    .cursor();
  for await (const m of movements) {
    const id = `${m.sku}\u0000${m.warehouseId}`;
    const sum = ledger.get(id) ?? { onHand: 0, reserved: 0, seq: 0, movements: 0, gapFree: true, runningOk: true };
    sum.onHand += m.onHandDelta;
    sum.reserved += m.reservedDelta;
    sum.movements += 1;
    sum.gapFree &&= m.seq === sum.seq + 1;
    sum.runningOk &&= m.onHand === sum.onHand && m.reserved === sum.reserved;
    sum.seq = m.seq;
    ledger.set(id, sum);
  }
  const levels = await InventoryLevelModel.find(match).lean();
  const drift: LevelDrift[] = [];
  for (const level of levels) {
    const sum = ledger.get(`${level.sku}\u0000${level.warehouseId}`);
    const computed = { onHand: sum?.onHand ?? 0, reserved: sum?.reserved ?? 0, seq: sum?.seq ?? 0, movements: sum?.movements ?? 0 };
    const problems: string[] = [];
    if (level.onHand !== computed.onHand || level.reserved !== computed.reserved || level.seq !== computed.seq) {
      problems.push('level differs from the ledger');
    }
    if (sum && !sum.runningOk) problems.push('running balance differs from the sum of movements');
    if (sum && !sum.gapFree) problems.push('sequence has gaps');
    if (problems.length === 0) continue;
    drift.push({ sku: level.sku, warehouseId: level.warehouseId, level: { onHand: level.onHand, reserved: level.reserved, seq: level.seq }, ledger: computed, problems });
    if (options.repair) {
      await InventoryLevelModel.updateOne(
        { _id: level._id },
        { $set: { onHand: computed.onHand, reserved: computed.reserved, seq: computed.seq } },
      );
      // Movements appended while we read the ledger must not be rolled back by the repair (a broken
      // ledger has no head to trust: its level keeps the sums, and the report says why).
      if (sum?.runningOk && sum.gapFree) await projectLevel(level.sku, level.warehouseId);
    }
  }
  return { checked: levels.length, drift };
}
