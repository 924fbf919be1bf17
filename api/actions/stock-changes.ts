/**
 * Stock changes people ask for, through the v1 API or the inventory screen, each one a ledger movement
 * followed by its effects (alerts, waking backordered orders): setting a location's count, adjusting it by
 * a delta exactly once per Idempotency-Key, and a SKU's low-stock threshold. A refused change is a 409 and
 * changes nothing; a warehouse key bound to other warehouses finds no warehouse here (404).
 */
import { randomUUID } from 'node:crypto';
import { adjustmentKey } from '../../contracts/keys.js';
import type { StockMovementKind } from '../../domain/stock.js';
import { setLowStockThreshold } from '../../persistence/inventory.js';
import { appendMovement, ensureLocation, movementByKey, readBalance, StockMovementRejected, type LedgerBalance, type MovementRequest } from '../../persistence/stock-ledger.js';
import type { StockMovementDoc } from '../../persistence/stock-models.js';
import { warehouseExists } from '../../persistence/warehouses.js';
import type { StockEffects } from '../../services/stock-effects.js';
import { mayHandleWarehouse, type Principal } from '../auth.js';
import { problems } from '../problem.js';
import type { StockAdjustmentRequest } from '../schemas/inventory.js';
import { requireStockedSku } from './inventory.js';

interface Location {
  sku: string;
  warehouseId: string;
}

/** 404 for a warehouse that does not exist, or that the caller's key is not bound to. */
async function requireWarehouse(caller: Principal, warehouseId: string): Promise<void> {
  if (!mayHandleWarehouse(caller, warehouseId) || !(await warehouseExists(warehouseId))) throw problems.notFound(`Warehouse ${warehouseId} was not found.`);
}

/** Appends the movement; a refusal by the ledger becomes a 409 that says `what` could not be done. */
async function appendOrConflict(request: MovementRequest, what: string): Promise<StockMovementDoc> {
  try {
    return await appendMovement(request);
  } catch (error) {
    if (error instanceof StockMovementRejected) throw problems.conflict(`${what}: ${error.reason}.`);
    throw error;
  }
}

/** Sets the on-hand count (a movement of the difference) and, optionally, the location's safety stock. */
export async function setStockCount(
  effects: StockEffects,
  caller: Principal,
  { sku, warehouseId }: Location,
  { onHand, safetyStock }: { onHand: number; safetyStock?: number },
): Promise<LedgerBalance> {
  await requireWarehouse(caller, warehouseId);
  const before = await readBalance(sku, warehouseId);
  await ensureLocation(sku, warehouseId);
  const movement = await appendOrConflict(
    {
      sku,
      warehouseId,
      kind: 'adjust',
      key: adjustmentKey(randomUUID()),
      actor: caller.label,
      reason: 'stock count set through the API',
      decide: (current) => ({ ok: true, change: { onHandDelta: onHand - current.onHand, reservedDelta: 0 } }),
    },
    `onHand cannot be set to ${onHand} for ${sku} at ${warehouseId}`,
  );
  // Only once the count is accepted, so a refused request changes nothing.
  if (safetyStock !== undefined) await ensureLocation(sku, warehouseId, { safetyStock });
  const safetyLowered = safetyStock !== undefined && safetyStock < before.safetyStock;
  await effects.afterStockChange([sku], { increased: movement.onHandDelta > 0 || safetyLowered });
  return readBalance(sku, warehouseId);
}

/**
 * Adds or removes stock by a delta (goods received, damage, count corrections); `kind` is `receive` for an
 * increase and `adjust` otherwise, unless named. With an Idempotency-Key the movement's key is
 * `adjust:<principal>:<Idempotency-Key>`, so a retry applies once and gets the first movement back
 * (`repeated`); the same key with another request is a 409.
 */
export async function adjustStock(
  effects: StockEffects,
  caller: Principal,
  { sku, warehouseId }: Location,
  adjustment: StockAdjustmentRequest,
  idempotencyKey: string | undefined,
): Promise<{ movement: StockMovementDoc; level: LedgerBalance; repeated: boolean }> {
  const { delta, reason } = adjustment;
  const kind: StockMovementKind = adjustment.kind ?? (delta > 0 ? 'receive' : 'adjust');
  await requireWarehouse(caller, warehouseId);
  const key = adjustmentKey(idempotencyKey ? `${caller.label}:${idempotencyKey}` : randomUUID());
  const sameRequest = (doc: StockMovementDoc) =>
    doc.sku === sku && doc.warehouseId === warehouseId && doc.kind === kind && doc.onHandDelta === delta && doc.reservedDelta === 0 && doc.reason === reason;
  const reused = () => problems.conflict(`Idempotency-Key ${idempotencyKey} was already used for a different request; use a new key for a new adjustment.`);

  const earlier = idempotencyKey ? await movementByKey(key) : null;
  if (earlier && !sameRequest(earlier)) throw reused();
  let movement = earlier;
  if (!movement) {
    // A negative delta needs stock that is already there; it never creates a location.
    if (delta > 0) await ensureLocation(sku, warehouseId);
    movement = await appendOrConflict(
      { sku, warehouseId, kind, key, actor: caller.label, reason, decide: () => ({ ok: true, change: { onHandDelta: delta, reservedDelta: 0 } }) },
      `${sku} at ${warehouseId} cannot be adjusted by ${delta}`,
    );
    // A concurrent request with the same key won the race: it must have been this request too.
    if (!sameRequest(movement)) throw reused();
  }
  // Also on a retry: if the first attempt failed after its movement, the effects still happen.
  await effects.afterStockChange([sku], { increased: movement.onHandDelta > 0 });
  return { movement, level: await readBalance(sku, warehouseId), repeated: earlier !== null };
}

/** Sets a SKU's low-stock threshold; its alert is evaluated again at once (it may open or close). */
export async function setSkuThreshold(effects: StockEffects, sku: string, lowStockThreshold: number): Promise<{ sku: string; lowStockThreshold: number }> {
  await requireStockedSku(sku);
  await setLowStockThreshold(sku, lowStockThreshold);
  await effects.afterStockChange([sku], { increased: false });
  return { sku, lowStockThreshold };
}
