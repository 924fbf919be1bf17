/**
 * Following orders by their events instead of polling them (`bench:orders --follow stream`): ONE stream of
 * a channel's order events (`GET /v1/order-events`), held by the benchmark, on which each order's follower
 * waits for the order's next change.
 */
import { holdEventStream } from './event-stream.js';

/** The `data` of an `order` event: the order as the change left it. */
export interface OrderEvent {
  orderId: string;
  channel: string;
  externalId: string;
  revision: number;
  status: string;
  updatedAt: string;
  shipments: Array<{ shipmentId: string; warehouseId: string; status: string; carrier?: string; trackingNumber?: string }>;
  timeline: unknown[];
}

export interface OrderFeed {
  /** The order's latest change after `revision` (-1 for any), once the stream has one; undefined if none came by `giveUpAt` (epoch ms). */
  next(orderId: string, revision: number, giveUpAt: number): Promise<OrderEvent | undefined>;
  /** Drops what the feed keeps of an order nobody follows any more. */
  forget(orderId: string): void;
  readonly reconnects: number;
  close(): Promise<void>;
}

/** Silence longer than three of the server's heartbeats (about 15 s apart) means the connection is gone. */
const IDLE_MS = 45_000;

/** Opens the stream of the orders `key` may see; resolves once it is open, so no later change is missed. */
export async function openOrderFeed(apiUrl: string, key: string): Promise<OrderFeed> {
  // The latest change of every order seen: an order's change can come before its follower asks for it.
  const latest = new Map<string, OrderEvent>();
  const waiting = new Map<string, Set<() => void>>();
  let unreadable = 0;
  const stream = await holdEventStream({
    url: `${apiUrl}/v1/order-events`,
    headers: { Authorization: `Bearer ${key}` },
    idleMs: IDLE_MS,
    onEvent: ({ type, data }) => {
      if (type !== 'order') return;
      let event: OrderEvent;
      try {
        event = JSON.parse(data);
      } catch {
        if (unreadable++ === 0) console.error(`[bench] an order event that is not JSON: ${data.slice(0, 200)}`);
        return;
      }
      // After a reconnection the server may send again what was already seen.
      if ((latest.get(event.orderId)?.revision ?? -1) >= event.revision) return;
      latest.set(event.orderId, event);
      for (const wake of waiting.get(event.orderId) ?? []) wake();
    },
  });
  return {
    next(orderId, revision, giveUpAt) {
      const known = latest.get(orderId);
      if (known && known.revision > revision) return Promise.resolve(known);
      return new Promise((resolve) => {
        const wakers = waiting.get(orderId) ?? new Set<() => void>();
        waiting.set(orderId, wakers);
        const settle = (event: OrderEvent | undefined) => {
          clearTimeout(timer);
          wakers.delete(wake);
          if (wakers.size === 0) waiting.delete(orderId);
          resolve(event);
        };
        const wake = () => {
          const event = latest.get(orderId)!;
          if (event.revision > revision) settle(event);
        };
        const timer = setTimeout(() => settle(undefined), Math.max(0, giveUpAt - Date.now()));
        wakers.add(wake);
      });
    },
    forget: (orderId) => void latest.delete(orderId),
    get reconnects() {
      return stream.reconnects;
    },
    close: () => stream.close(),
  };
}
