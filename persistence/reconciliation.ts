/**
 * Reconciliation of the levels projection with the stock ledger. `reconcileLevels` compares them once.
 * `reconcileStock`, for operators (POST /v1/admin/reconciliation, `npm run reconcile`), keeps only drift
 * that stays: under live traffic a level is briefly behind the ledger between a movement's append and its
 * projection, and a one-pass check reports that as drift; repairing it would roll the level back to an
 * older (consistent) head for a moment, for nothing. So each finding is checked again until the location
 * stops moving: gone means it was in flight; the same level against the same ledger head means it is real.
 * Only real drift is reported, and only its SKUs are repaired.
 */
import { projectLevel } from './stock-ledger.js';
import { InventoryLevelModel, StockMovementModel } from './stock-models.js';

const SETTLE_ATTEMPTS = 8;

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

export interface ReconciliationResult {
  checked: number;
  drift: LevelDrift[];
}

export async function reconcileStock(options: { repair?: boolean; sku?: string } = {}): Promise<ReconciliationResult> {
  const first = await reconcileLevels({ sku: options.sku });
  const settled: LevelDrift[] = [];
  for (const found of first.drift) {
    const real = await settle(found);
    if (real) settled.push(real);
  }
  if (!options.repair || settled.length === 0) return { checked: first.checked, drift: settled };
  const repaired: LevelDrift[] = [];
  for (const sku of new Set(settled.map((d) => d.sku))) repaired.push(...(await reconcileLevels({ sku, repair: true })).drift);
  return { checked: first.checked, drift: repaired };
}

/** The location's drift once it stops changing, or undefined when it went away (a projection in flight). */
async function settle(found: LevelDrift): Promise<LevelDrift | undefined> {
  let last = found;
  for (let attempt = 1; attempt <= SETTLE_ATTEMPTS; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    const again = (await reconcileLevels({ sku: found.sku })).drift.find((d) => d.warehouseId === found.warehouseId);
    if (!again) return undefined;
    if (sameState(again, last)) return again;
    last = again;
  }
  return last;
}

const sameState = (a: LevelDrift, b: LevelDrift) =>
  a.level.seq === b.level.seq &&
  a.level.onHand === b.level.onHand &&
  a.level.reserved === b.level.reserved &&
  a.ledger.seq === b.ledger.seq &&
  a.ledger.movements === b.ledger.movements;
