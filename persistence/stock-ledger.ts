/**
 * The stock ledger's write path. FerretDB v1 applies conditional updates non-atomically, so instead of
 * `$inc` with a `$gte` guard, each movement is appended with the stream's next sequence number and the
 * balances after it. The unique (sku, warehouseId, seq) index lets exactly one of two racing writers win;
 * the loser re-reads the new head and checks the invariant again. The unique `key` makes a retried
 * movement (a retried activity) find the first one instead of applying twice.
 */
import { applyStockChange, availableToPromise, type StockChange } from '../domain/stock.js';
import { isDuplicateKeyError } from './connection.js';
import { StockMovementModel, type StockMovementDoc, type StockMovementKind } from './models.js';

export interface LedgerBalance {
  sku: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
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
  /** The change to make, given the current balance (so "set on hand to N" can be expressed). */
  change: (current: LedgerBalance) => StockChange;
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

const MAX_APPEND_ATTEMPTS = 100;

export async function readBalance(sku: string, warehouseId: string): Promise<LedgerBalance> {
  const head = await StockMovementModel.findOne({ sku, warehouseId }).sort({ seq: -1 }).lean();
  const onHand = head?.onHand ?? 0;
  const reserved = head?.reserved ?? 0;
  return { sku, warehouseId, onHand, reserved, available: availableToPromise({ onHand, reserved }), seq: head?.seq ?? 0 };
}

/**
 * Appends one movement and returns it, or returns the movement already recorded under the same key.
 * Throws StockMovementRejected when the change would break 0 <= reserved <= onHand.
 */
export async function appendMovement(request: MovementRequest): Promise<StockMovementDoc> {
  const { sku, warehouseId, key } = request;
  for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
    const existing = await StockMovementModel.findOne({ key }).lean();
    if (existing) return existing;

    const current = await readBalance(sku, warehouseId);
    const change = request.change(current);
    const next = applyStockChange(current, change);
    if (!next.ok) throw new StockMovementRejected(sku, warehouseId, next.reason);

    try {
      const created = await StockMovementModel.create({
        sku,
        warehouseId,
        seq: current.seq + 1,
        kind: request.kind,
        ...change,
        ...next.balance,
        key,
        orderId: request.orderId,
        reason: request.reason,
        actor: request.actor,
        at: new Date(),
      });
      return created.toObject();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Another writer took this sequence number (or this key): re-read and decide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
    }
  }
  throw new Error(`stock ledger for ${sku} at ${warehouseId} is too contended; gave up after ${MAX_APPEND_ATTEMPTS} attempts`);
}

/** Movements recorded for an order, oldest first. */
export async function movementsForOrder(orderId: string): Promise<StockMovementDoc[]> {
  return StockMovementModel.find({ orderId }).sort({ at: 1, seq: 1 }).lean();
}
