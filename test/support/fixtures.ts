/** Shared test fixtures: a database of the suite's FerretDB per test file, and realistic orders and stock. */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { inject } from 'vitest';
import { orderTotal } from '../../domain/money.js';
import type { OrderInput } from '../../domain/order.js';
import type { Address } from '../../domain/customer.js';
import { connectMongo, disconnectMongo, ensureIndexes } from '../../persistence/connection.js';
import { appendMovement, ensureLocation } from '../../persistence/stock-ledger.js';
import { WarehouseModel } from '../../persistence/warehouses.js';

/** Connects mongoose to a fresh database named after the test file, on the suite's FerretDB. */
export async function useTestDatabase(name: string, server = inject('mongoUri')): Promise<{ uri: string; close: () => Promise<void> }> {
  const base = new URL(server);
  base.pathname = `/oms_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const uri = base.toString();
  await connectMongo(uri);
  await mongoose.connection.dropDatabase();
  await ensureIndexes();
  return { uri, close: disconnectMongo };
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export const PLACES = {
  berlin: { country: 'DE', location: { lat: 52.52, lng: 13.405 } },
  munich: { country: 'DE', location: { lat: 48.137, lng: 11.575 } },
  paris: { country: 'FR', location: { lat: 48.857, lng: 2.352 } },
} as const;

export async function seedWarehouse(warehouseId: string, place: (typeof PLACES)[keyof typeof PLACES]): Promise<void> {
  await WarehouseModel.updateOne(
    { _id: warehouseId },
    { $set: { name: warehouseId, country: place.country, location: place.location, active: true, priority: 0 } },
    { upsert: true },
  );
}

/** Sets on-hand stock through the ledger, as the API does. */
export async function setStock(sku: string, warehouseId: string, onHand: number): Promise<void> {
  await ensureLocation(sku, warehouseId);
  await appendMovement({
    sku,
    warehouseId,
    kind: 'adjust',
    key: `test-adjust:${randomUUID()}`,
    actor: 'test',
    decide: (current) => ({ ok: true, change: { onHandDelta: onHand - current.onHand, reservedDelta: 0 } }),
  });
}

export const BERLIN_ADDRESS: Address = {
  name: 'Erika Mustermann',
  line1: 'Unter den Linden 1',
  city: 'Berlin',
  postalCode: '10117',
  country: 'DE',
  location: { lat: 52.517, lng: 13.389 },
};

/** A workflow input as the API would build it. */
export function orderInput(
  lines: Array<{ sku: string; quantity: number; unitPrice?: number }>,
  overrides: Partial<Omit<OrderInput, 'lines' | 'total'>> = {},
): OrderInput {
  const orderId = overrides.orderId ?? `ord_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  const fullLines = lines.map((line, index) => ({ lineId: `L${index + 1}`, unitPrice: 1250, ...line }));
  return {
    orderId,
    externalId: `ext-${orderId}`,
    channel: 'web',
    customer: { id: 'cust-1', email: 'erika@example.com', name: 'Erika' },
    shippingAddress: BERLIN_ADDRESS,
    paymentToken: 'tok_ok',
    policy: { allowPartialShipment: false, ...TEST_ORDER_POLICY },
    requestHash: 'test',
    receivedAt: new Date().toISOString(),
    ...overrides,
    lines: fullLines,
    total: orderTotal(fullLines, 'EUR'),
  };
}

/** Order policy for tests: long timeouts, and a review threshold ordinary test orders stay under. */
export const TEST_ORDER_POLICY = {
  backorderTimeoutMs: 14 * 86_400_000,
  reviewAboveAmount: 1_000_000,
  reviewTimeoutMs: 2 * 86_400_000,
  shipWithinMs: 14 * 86_400_000,
  // No return window: the order's workflow ends at delivery unless a test opens one.
  returnWindowMs: 0,
  returnReceiptTimeoutMs: 14 * 86_400_000,
  authorizationValidityMs: 30 * 86_400_000,
};

/** How long the tests' APIs keep order changes for their event streams: ORDER_EVENTS_RETENTION's default. */
export const TEST_ORDER_EVENTS_RETENTION_MS = 86_400_000;

/** Inventory settings for tests: a threshold low enough that ordinary test stock never alerts. */
export const TEST_INVENTORY = { lowStockThreshold: 0, operationsEmail: 'ops@example.com' };
