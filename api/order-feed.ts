/**
 * The order feed of one API process: one reader of the outbox of order changes (persistence/order-changes.ts),
 * running only while someone follows, that reads every POLL_MS whatever the number of followers and hands
 * what it read to them in memory: the event streams of the v1 API (api/actions/order-events.ts) and the
 * console's live order pages. A follower of one order gets each of its changes as soon as it is read; a
 * follower of every order gets them settled, in position order (api/change-window.ts), so resuming after
 * any of them misses nothing and repeats nothing.
 *
 * Also here, the outbox's pruning: each API process deletes the changes older than the retention
 * (ORDER_EVENTS_RETENTION) every PRUNE_EVERY_MS, one range delete; streams resume only from within it.
 */
import type { Logger } from 'pino';
import { FEED_LOOKBACK_MS, orderChangesAfter, positionAt, pruneOrderChanges, type RecordedOrderChange } from '../persistence/order-changes.js';
import { ChangeWindow } from './change-window.js';

/** How often the feed reads the outbox while someone follows: what a change waits at most to be read. */
export const POLL_MS = 250;
const PRUNE_EVERY_MS = 60_000;

export type Deliver = (change: RecordedOrderChange) => void;

export interface OrderFeed {
  /** How long changes are kept: a stream resumes from a position only within it. */
  readonly retentionMs: number;
  /**
   * Hands `deliver` each change of the order that this process reads from now on, soon after it is
   * written: every change written after this call (and perhaps some written just before), one order's in
   * revision order. Returns the function that stops it.
   */
  followOrder(orderId: string, deliver: Deliver): () => void;
  /**
   * Hands `deliver` every change after `after`, in position order, a lookback (FEED_LOOKBACK_MS) after it
   * was written: then none written before it can still appear.
   */
  followAll(deliver: Deliver): { after: string; stop: () => void };
}

export function createOrderFeed({ retentionMs, log }: { retentionMs: number; log: Pick<Logger, 'warn'> }): OrderFeed {
  const byOrder = new Map<string, Set<Deliver>>();
  const ofAll = new Set<Deliver>();
  let window: ChangeWindow<RecordedOrderChange> | undefined;
  let next: NodeJS.Timeout | undefined;
  let reading = false;

  const followed = () => byOrder.size > 0 || ofAll.size > 0;

  const running = (): ChangeWindow<RecordedOrderChange> => {
    if (!window) {
      window = new ChangeWindow(Date.now(), FEED_LOOKBACK_MS);
      next = setTimeout(read, 0);
    }
    return window;
  };

  const stopIfUnfollowed = () => {
    if (followed() || reading) return;
    clearTimeout(next);
    window = undefined;
  };

  async function read(): Promise<void> {
    const current = window!;
    const readAt = Date.now();
    reading = true;
    try {
      const { fresh, settled } = current.accept(await readAllFrom(positionAt(current.readFrom)), readAt);
      handOut(fresh, settled);
    } catch (error) {
      // The database did not answer this time; the next read covers what this one would have.
      log.warn({ err: error }, 'the order feed could not read the outbox of order changes');
    } finally {
      reading = false;
    }
    if (followed()) next = setTimeout(read, Math.max(0, POLL_MS - (Date.now() - readAt)));
    else stopIfUnfollowed();
  }

  function handOut(fresh: RecordedOrderChange[], settled: RecordedOrderChange[]): void {
    // One order's changes are written one after another, but clocks of two workers may time them otherwise.
    const inRevisionOrder = [...fresh].sort((a, b) => a.change.revision - b.change.revision);
    for (const change of inRevisionOrder) for (const deliver of byOrder.get(change.change.orderId) ?? []) deliver(change);
    for (const deliver of ofAll) for (const change of settled) deliver(change);
  }

  return {
    retentionMs,
    followOrder(orderId, deliver) {
      running();
      const followers = byOrder.get(orderId) ?? new Set();
      byOrder.set(orderId, followers.add(deliver));
      return () => {
        followers.delete(deliver);
        if (followers.size === 0 && byOrder.get(orderId) === followers) byOrder.delete(orderId);
        stopIfUnfollowed();
      };
    },
    followAll(deliver) {
      const { settledPosition } = running();
      ofAll.add(deliver);
      return {
        after: settledPosition,
        stop: () => {
          ofAll.delete(deliver);
          stopIfUnfollowed();
        },
      };
    },
  };
}

/** Every change after `after` (a position). */
async function readAllFrom(after: string): Promise<RecordedOrderChange[]> {
  const all: RecordedOrderChange[] = [];
  for await (const page of orderChangesAfter(after)) all.push(...page);
  return all;
}

/** Deletes the changes older than the retention now and every PRUNE_EVERY_MS; returns the function that stops it. */
export function pruneOrderChangesEvery({ retentionMs, log }: { retentionMs: number; log: Pick<Logger, 'warn'> }): () => void {
  const prune = () =>
    void pruneOrderChanges(Date.now() - retentionMs).catch((error: unknown) => log.warn({ err: error }, 'pruning the outbox of order changes failed; the next round tries again'));
  prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS).unref();
  return () => clearInterval(timer);
}
