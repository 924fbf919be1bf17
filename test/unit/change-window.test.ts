/**
 * The order feed's window over the outbox (api/change-window.ts), as plain logic: each read starts a
 * lookback before the last one began; an entry is fresh once, however often it is read again; one that
 * becomes readable late, within the lookback, is still fresh; entries settle in position order once no
 * earlier one can appear, and never twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeWindow } from '../../api/change-window.js';
import { changePosition, positionAt } from '../../persistence/order-changes.js';

const LOOKBACK = 2_000;
const START = Date.UTC(2026, 11, 8, 10);

const entry = (writtenAt: number, orderId = 'ord_1', revision = 1) => ({ position: changePosition(writtenAt, orderId, revision), writtenAt });
type Entry = ReturnType<typeof entry>;

/** What a read begun at `readAt` finds of `committed`: every entry from `from` on, in position order. */
const readOf = (committed: Entry[], from: number) => committed.filter((e) => e.writtenAt >= from).sort((a, b) => (a.position < b.position ? -1 : 1));
const positions = (entries: Entry[]) => entries.map((e) => e.position);

describe('ChangeWindow', () => {
  it('starts a lookback before it began, with nothing settled yet', () => {
    const window = new ChangeWindow<Entry>(START, LOOKBACK);
    expect(window.readFrom).toBe(START - LOOKBACK);
    expect(window.settledPosition).toBe(positionAt(START - LOOKBACK));
  });

  it('reads again from a lookback before the previous read began, and hands on what it read before only once', () => {
    const window = new ChangeWindow<Entry>(START, LOOKBACK);
    const first = entry(START + 100);
    expect(window.accept([first], START + 200).fresh).toEqual([first]);
    expect(window.readFrom).toBe(START + 200 - LOOKBACK);
    const second = entry(START + 300, 'ord_2');
    expect(window.accept([first, second], START + 450).fresh).toEqual([second]);
  });

  it('hands on an entry committed late, after a later one was read, as long as it is within the lookback', () => {
    const window = new ChangeWindow<Entry>(START, LOOKBACK);
    const early = entry(START + 100, 'ord_early');
    const later = entry(START + 150, 'ord_later');
    expect(window.accept([later], START + 200).fresh).toEqual([later]);
    // `early` was timed before `later` but became readable only now, 1.5 s after its time.
    const { fresh, settled } = window.accept([early, later], START + 1_600);
    expect(fresh).toEqual([early]);
    expect(settled).toEqual([]);
    // Settled once no entry timed before them can still appear, in position order.
    expect(positions(window.accept([early, later], START + 2_200).settled)).toEqual(positions([early, later]));
  });

  it('settles every entry once, in position order, whatever order writers commit in, when each is readable within the lookback', () => {
    const commits = fc.array(
      fc.record({ at: fc.integer({ min: 0, max: 10_000 }), delay: fc.integer({ min: 0, max: LOOKBACK }), order: fc.constantFrom('a', 'b', 'c') }),
      { maxLength: 40 },
    );
    const reads = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(commits, reads, (written, gaps) => {
        const all = written.map(({ at, delay, order }, i) => ({ ...entry(START + at, order, i), readableAt: START + at + delay }));
        const window = new ChangeWindow<Entry>(START, LOOKBACK);
        const fresh: Entry[] = [];
        const settled: Entry[] = [];
        let readAt = START;
        const read = () => {
          const readable = all.filter((e) => e.readableAt <= readAt).map(({ position, writtenAt }) => ({ position, writtenAt }));
          const found = window.accept(readOf(readable, window.readFrom), readAt);
          fresh.push(...found.fresh);
          settled.push(...found.settled);
        };
        for (const gap of gaps) {
          readAt += gap;
          read();
        }
        // Reads go on until everything is readable and settled.
        for (readAt = Math.max(readAt, START + 10_000 + 2 * LOOKBACK) + 1; readAt < START + 10_000 + 4 * LOOKBACK; readAt += 500) read();

        const expected = [...positions(all)].sort();
        expect([...positions(fresh)].sort()).toEqual(expected);
        expect(positions(settled)).toEqual(expected);
      }),
    );
  });

  it('moves the settled position only forward, past every entry it settled', () => {
    const window = new ChangeWindow<Entry>(START, LOOKBACK);
    const a = entry(START + 10);
    window.accept([a], START + 100);
    const before = window.settledPosition;
    expect(window.accept([a], START + LOOKBACK + 50).settled).toEqual([a]);
    expect(window.settledPosition > a.position).toBe(true);
    expect(window.settledPosition > before).toBe(true);
    window.accept([], START + 500); // a read that began earlier cannot take it back
    expect(window.settledPosition > a.position).toBe(true);
  });
});
