/**
 * Business keys: one per side effect, stored under a unique index and passed to providers as the
 * idempotency key, so a retried activity finds its first run instead of acting twice. The formats are
 * stored data: changing one would make running orders repeat their side effects.
 */

/** The keys of one order's side effects, `order:<orderId>:...`. */
export function orderKeys(orderId: string) {
  const key = (...parts: Array<string | number>) => ['order', orderId, ...parts].join(':');
  return {
    /** The first authorization, or the n-th renewal of it. */
    authorization: (reauthorization?: number) => (reauthorization ? key('authorize', reauthorization) : key('authorize')),
    capture: (shipmentId: string) => key('capture', shipmentId),
    /** A void for `purpose` (`cancel:2`, `reauthorization:1`); without one, the order's final void. */
    void: (purpose?: string) => (purpose ? key(purpose, 'void') : key('void')),
    refund: (returnId: string) => key('refund', returnId),
    /** What reservation round `round` routed (persistence/reservation-rounds.ts). */
    reservationRound: (round: number) => key('round', round),
    reservation: (round: number, sku: string, warehouseId: string) => key('reserve', round, sku, warehouseId),
    /** A release of named allocations, once per `releaseKey` (`cancel-2`, `reroute-3`). */
    release: (releaseKey: string, sku: string, warehouseId: string) => key('release', releaseKey, sku, warehouseId),
    /** The release of all the order holds at a location, after its movement `lastSeq` there. */
    releaseOfHeld: (sku: string, warehouseId: string, lastSeq: number) => key('release', sku, warehouseId, lastSeq),
    shipment: (round: number, warehouseId: string) => key('shipment', round, warehouseId),
    /** The stock of one shipment line leaving the ledger. */
    shippedStock: (shipmentId: string, sku: string) => key('ship', shipmentId, sku),
    /** A customer email; `subjectId` tells repeated events apart (one "shipped" per shipment). */
    notification: (event: string, subjectId?: string) => (subjectId ? key('notify', event, subjectId) : key('notify', event)),
    lateAlert: () => key('late'),
  };
}

/** A return's units back on hand at the warehouse that received them. */
export function returnRestockKey(returnId: string, sku: string, warehouseId: string): string {
  return `return:${returnId}:restock:${sku}:${warehouseId}`;
}

/** The email to operations for one low-stock alert. */
export function lowStockAlertKey(sku: string, alertId: string): string {
  return `stock:${sku}:low:${alertId}`;
}

/** A stock adjustment through the API: `<principal>:<Idempotency-Key>` when the client sent one, else a fresh id. */
export function adjustmentKey(id: string): string {
  return `adjust:${id}`;
}
