/**
 * Stock balances and the rules every movement keeps: never reserve what is not available to promise,
 * never let reserved exceed on hand or either go below zero.
 */

/** What a ledger movement records: goods in (receive, restock of returns), counts (adjust), order effects. */
export const STOCK_MOVEMENT_KINDS = ['receive', 'adjust', 'reserve', 'release', 'ship', 'restock'] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];

export interface StockBalance {
  onHand: number;
  reserved: number;
  /** Units kept back from promising (damaged-in-transit buffer, store display stock, ...). */
  safetyStock: number;
}

export interface StockChange {
  onHandDelta: number;
  reservedDelta: number;
}

export type StockDecision = { ok: true; change: StockChange } | { ok: false; reason: string };

/** onHand - reserved - safetyStock, never below zero. */
export function availableToPromise({ onHand, reserved, safetyStock }: StockBalance): number {
  return Math.max(0, onHand - reserved - safetyStock);
}

/** The balance after a change, or why the change would break 0 <= reserved <= onHand. */
export function applyStockChange<Balance extends Pick<StockBalance, 'onHand' | 'reserved'>>(
  balance: Balance,
  change: StockChange,
): { ok: true; balance: Balance } | { ok: false; reason: string } {
  const onHand = balance.onHand + change.onHandDelta;
  const reserved = balance.reserved + change.reservedDelta;
  if (!Number.isSafeInteger(onHand) || !Number.isSafeInteger(reserved)) return { ok: false, reason: 'quantities must be integers' };
  if (onHand < 0) return { ok: false, reason: `on hand would drop to ${onHand}` };
  if (reserved < 0) return { ok: false, reason: `reserved would drop to ${reserved}` };
  if (reserved > onHand) return { ok: false, reason: `on hand (${onHand}) would fall below reserved (${reserved})` };
  return { ok: true, balance: { ...balance, onHand, reserved } };
}

/** A reservation of `quantity`, granted only from what is available to promise (safety stock is not). */
export function reservation(balance: StockBalance, quantity: number): StockDecision {
  if (!Number.isSafeInteger(quantity) || quantity <= 0) return { ok: false, reason: `cannot reserve ${quantity} units` };
  const available = availableToPromise(balance);
  if (quantity > available) return { ok: false, reason: `only ${available} available, ${quantity} requested` };
  return { ok: true, change: { onHandDelta: 0, reservedDelta: quantity } };
}
