/** Stock balances and the rule every movement must keep: never reserve or ship what is not on hand. */

export interface StockBalance {
  onHand: number;
  reserved: number;
}

export interface StockChange {
  onHandDelta: number;
  reservedDelta: number;
}

export function availableToPromise({ onHand, reserved }: StockBalance): number {
  return Math.max(0, onHand - reserved);
}

/** The balance after a change, or why the change would break the invariant 0 <= reserved <= onHand. */
export function applyStockChange(
  balance: StockBalance,
  change: StockChange,
): { ok: true; balance: StockBalance } | { ok: false; reason: string } {
  const onHand = balance.onHand + change.onHandDelta;
  const reserved = balance.reserved + change.reservedDelta;
  if (onHand < 0) return { ok: false, reason: `on hand would drop to ${onHand}` };
  if (reserved < 0) return { ok: false, reason: `reserved would drop to ${reserved}` };
  if (reserved > onHand) {
    return { ok: false, reason: `only ${availableToPromise(balance)} available, ${change.reservedDelta} requested` };
  }
  return { ok: true, balance: { onHand, reserved } };
}
