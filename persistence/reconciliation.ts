/**
 * Reconciliation for operators (POST /v1/admin/reconciliation, `npm run reconcile`): `reconcileLevels`,
 * keeping only drift that stays. Under live traffic a level is briefly behind the ledger between a
 * movement's append and its projection, and a one-pass check reports that as drift; repairing it would
 * roll the level back to an older (consistent) head for a moment, for nothing. So each finding is checked
 * again until the location stops moving: gone means it was in flight; the same level against the same
 * ledger head means it is real. Only real drift is reported, and only its SKUs are repaired.
 */
import { reconcileLevels, type LevelDrift } from './stock-ledger.js';

const SETTLE_ATTEMPTS = 8;

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
