/** Opaque page cursors for newest-first lists: the (createdAt, id) of the last item seen. */
import { problems } from './problem.js';

export function encodeCursor(position: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through to the problem below
  }
  throw problems.validation([{ path: 'query.cursor', message: 'not a cursor this API returned' }]);
}

/**
 * Opaque cursors for other keyset-paginated lists: the sort-key values of the last item seen. `read`
 * checks their types and returns the position, or undefined when the cursor is not one of ours.
 */
export function encodeKeyset(values: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeKeyset<T>(cursor: string, read: (values: unknown[]) => T | undefined): T {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const position = Array.isArray(values) ? read(values) : undefined;
    if (position !== undefined) return position;
  } catch {
    // fall through to the problem below
  }
  throw problems.validation([{ path: 'query.cursor', message: 'not a cursor this API returned' }]);
}

/** A page of SKUs (ascending) continues after this SKU. */
export const skuCursor = {
  encode: (sku: string) => encodeKeyset([sku]),
  decode: (cursor: string) => decodeKeyset(cursor, ([sku, ...rest]) => (typeof sku === 'string' && rest.length === 0 ? sku : undefined)),
};

/** A page of a SKU's ledger continues after this movement: (time, warehouse, seq). */
export const movementCursor = {
  encode: (movement: { at: Date | string; warehouseId: string; seq: number }) => encodeKeyset([new Date(movement.at).toISOString(), movement.warehouseId, movement.seq]),
  decode: (cursor: string) =>
    decodeKeyset(cursor, ([at, warehouseId, seq, ...rest]) =>
      typeof at === 'string' && !Number.isNaN(Date.parse(at)) && typeof warehouseId === 'string' && Number.isSafeInteger(seq) && rest.length === 0
        ? { at: new Date(at), warehouseId, seq: seq as number }
        : undefined,
    ),
};
