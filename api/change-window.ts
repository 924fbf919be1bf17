/**
 * What the order feed (api/order-feed.ts) knows between two reads of the outbox of order changes, as plain
 * logic. Writers commit out of order, but each entry is readable within a bounded time of the time in its
 * position (persistence/order-changes.ts), so:
 * - each read starts `lookbackMs` before the time the previous read began: an entry that became readable
 *   since then cannot lie further back. What was read before is told apart by position, so each entry is
 *   fresh once;
 * - once a read begun at T is done, every entry timed at or before T - lookbackMs has been read: those are
 *   settled and can be passed on in position order, so a reader that resumes after a settled position
 *   misses nothing and repeats nothing.
 */
import { positionAt } from '../persistence/order-changes.js';

export interface WindowEntry {
  position: string;
  /** The time in its position (ms since the epoch). */
  writtenAt: number;
}

export class ChangeWindow<Entry extends WindowEntry> {
  /** Where the next read starts: every entry timed at or after it. */
  private from: number;
  /** Positions of the entries read that the next read reads again, with their times. */
  private readonly seen = new Map<string, number>();
  /** Read, not settled yet, in position order. */
  private pending: Entry[] = [];
  private settledUpTo: string;

  constructor(startedAt: number, private readonly lookbackMs: number) {
    this.from = startedAt - lookbackMs;
    // Nothing before the window's start is passed on: those who follow from earlier read it from the outbox.
    this.settledUpTo = positionAt(this.from);
  }

  /** The time the next read starts at: every entry timed at or after it, in position order. */
  get readFrom(): number {
    return this.from;
  }

  /**
   * Every entry before it has been passed on as settled, or lies before the window's start; every entry
   * after it will be.
   */
  get settledPosition(): string {
    return this.settledUpTo;
  }

  /**
   * What a read begun at `readAt` found (every entry from `readFrom` on): the entries not seen before, and
   * those now settled, both in position order.
   */
  accept(found: Entry[], readAt: number): { fresh: Entry[]; settled: Entry[] } {
    const fresh = found.filter((entry) => !this.seen.has(entry.position));
    for (const entry of fresh) this.seen.set(entry.position, entry.writtenAt);
    const horizon = readAt - this.lookbackMs;
    // An entry fresh though timed before the last settled position came later than the bound allows (a
    // machine's clock far off): it is passed on at once, late, rather than never.
    this.pending = [...this.pending, ...fresh].sort((a, b) => compare(a.position, b.position));
    const cut = this.pending.findIndex((entry) => entry.writtenAt > horizon);
    const settled = cut === -1 ? this.pending : this.pending.slice(0, cut);
    this.pending = cut === -1 ? [] : this.pending.slice(cut);
    const settledUpTo = positionAt(horizon + 1);
    if (compare(settledUpTo, this.settledUpTo) > 0) this.settledUpTo = settledUpTo;
    this.from = Math.max(this.from, horizon);
    for (const [position, writtenAt] of this.seen) if (writtenAt < this.from) this.seen.delete(position);
    return { fresh, settled };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
