/**
 * Orders driven through the HTTP API the way a channel and a warehouse drive them, each request timed by
 * kind: POST /v1/orders; followed until allocated (GET /v1/orders/{id} every 100 ms, or its changes on the
 * order stream); a `shipped` and then a `delivered` event for each shipment; followed until delivered. And
 * the reader that lists orders meanwhile.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RUN_ID } from './harness.js';
import { GaveUpError } from './open-loop.js';
import type { RequestKind, RequestTimes } from './order-report.js';
import type { Stack } from './order-stack.js';
import type { OrderFeed } from './order-stream.js';

export const POLL_MS = 100;
export const WAREHOUSE = 'wh-bench';
const SKUS = Array.from({ length: 8 }, (_, i) => `BENCH-SKU-${i + 1}`);
/** Statuses from which an order does not go on to the one the benchmark waits for. */
const DEAD_ENDS = ['payment_declined', 'cancelled', 'failed', 'backordered', 'awaiting_review'];

/** The stack a run drives, and what it records of its requests. */
export interface Driver {
  stack: Stack;
  times: RequestTimes;
  /** What the list reader's failed requests answered. */
  listFailures: string[];
}

/** How a run follows each order: polling its lookup, or waiting for its changes on one stream. */
export type Follow = { by: 'poll' } | { by: 'stream'; feed: OrderFeed };

/** Intake answered 503: the stack refuses new orders for now. */
export class RefusedError extends Error {
  constructor(readonly retryAfter: string | null) {
    super('POST /v1/orders refused (503)');
  }
}

export function recordTime(times: RequestTimes, kind: RequestKind, ms: number): void {
  const list = times.get(kind) ?? [];
  list.push(ms);
  times.set(kind, list);
}

/** One request, timed as `kind` (unless undefined); throws on any answer but a 2xx, a 503 at intake as a RefusedError. */
export async function call(driver: Driver, kind: RequestKind | undefined, method: string, url: string, key: string, body?: unknown) {
  const t0 = performance.now();
  const response = await fetch(`${driver.stack.apiUrl}${url}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const refused = kind === 'POST /v1/orders' && response.status === 503;
  if (kind) recordTime(driver.times, refused ? 'POST /v1/orders refused' : kind, performance.now() - t0);
  if (refused) throw new RefusedError(response.headers.get('retry-after'));
  if (!response.ok) throw new Error(`${method} ${url.replace(/ord_\w+|shp_\w+/g, '#')} answered ${response.status}: ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

export interface OrderView {
  orderId: string;
  status: string;
  shipments: Array<{ shipmentId: string; status: string }>;
  total: { amount: number };
}

/** Enough of each SKU for `orders` orders (each takes at most one unit of a SKU). */
export async function seedStock(driver: Driver, orders: number): Promise<void> {
  await call(driver, undefined, 'PUT', `/v1/warehouses/${WAREHOUSE}`, 'dev-admin', { name: 'Bench', country: 'DE', location: { lat: 52.52, lng: 13.405 } });
  for (const sku of SKUS) await call(driver, undefined, 'PUT', `/v1/inventory/${sku}/${WAREHOUSE}`, 'dev-admin', { onHand: orders + 100 });
}

/** The two SKUs of the index-th order (one when they coincide). */
export function skusOf(index: number): string[] {
  return [...new Set([SKUS[index % SKUS.length], SKUS[(index * 3 + 1) % SKUS.length]])];
}

/** Whether `status` is the one wanted; throws on a status the order does not leave for it. */
function reached(status: string, wanted: string): boolean {
  if (status === wanted) return true;
  if (DEAD_ENDS.includes(status)) throw new Error(`an order became ${status}`);
  return false;
}

async function pollUntil(driver: Driver, orderId: string, wanted: string, giveUpAt: number): Promise<OrderView> {
  for (;;) {
    const order: OrderView = await call(driver, 'GET /v1/orders/{id}', 'GET', `/v1/orders/${orderId}`, 'dev-support');
    if (reached(order.status, wanted)) return order;
    if (Date.now() > giveUpAt) throw new GaveUpError(`an order was stuck in ${order.status}`);
    await sleep(POLL_MS);
  }
}

async function streamUntil(feed: OrderFeed, orderId: string, wanted: string, giveUpAt: number) {
  let revision = -1;
  let status = 'no event';
  for (;;) {
    const event = await feed.next(orderId, revision, giveUpAt);
    if (!event) throw new GaveUpError(`an order was stuck in ${status} (its events)`);
    if (reached(event.status, wanted)) return event;
    ({ revision, status } = event);
  }
}

/**
 * One order from intake to delivered; its id joins `orderIds` once accepted. Throws a RefusedError when
 * intake refuses it (not retried), a GaveUpError when it is not delivered by `giveUpAt` (epoch ms).
 */
export async function runOrder(driver: Driver, follow: Follow, name: string, index: number, orderIds: string[], giveUpAt: number): Promise<void> {
  const lines = skusOf(index).map((sku) => ({ sku, quantity: 1, unitPrice: 1250 }));
  const { orderId } = await call(driver, 'POST /v1/orders', 'POST', '/v1/orders', 'dev-channel-web', {
    externalId: `bench-${RUN_ID}-${name}-${index}`,
    customer: { id: `cust-${index % 100}`, email: `bench-${index % 100}@example.com` },
    shippingAddress: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
    lines,
    currency: 'EUR',
    payment: { token: 'tok_ok' },
  });
  orderIds.push(orderId);
  const until = (wanted: string) =>
    follow.by === 'poll' ? pollUntil(driver, orderId, wanted, giveUpAt) : streamUntil(follow.feed, orderId, wanted, giveUpAt);
  try {
    const allocated = await until('allocated');
    for (const type of ['shipped', 'delivered']) {
      for (const { shipmentId } of allocated.shipments) {
        await call(driver, 'POST /v1/shipments/{id}/events', 'POST', `/v1/shipments/${shipmentId}/events`, 'dev-warehouse', { type });
      }
    }
    await until('delivered');
  } finally {
    if (follow.by === 'stream') follow.feed.forget(orderId);
  }
}

/** Lists orders every 250 ms until `done`, 50 a page, with and without filters. */
export const LIST_FILTERS = ['', '&status=allocated', '&channel=web', '&customerId=cust-7', '&status=delivered'];

export async function listWhile(driver: Driver, done: () => boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    try {
      await call(driver, 'GET /v1/orders (50 a page)', 'GET', `/v1/orders?limit=50${LIST_FILTERS[i % LIST_FILTERS.length]}`, 'dev-support');
    } catch (error) {
      driver.listFailures.push(error instanceof Error ? error.message : String(error));
    }
    await sleep(250);
  }
}
