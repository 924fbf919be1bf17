/**
 * The outbox of order changes that the API's order feed reads (api/order-feed.ts): one entry per saved
 * revision of an order, with what a channel following the order needs (status, shipments, the timeline
 * entries new in that revision). Written by saveOrderView (persistence/orders.ts) in the same call as the
 * order's list entries, so a save that moves the order between lists records its change at no extra call;
 * that is why the entries live in the lists' collection (`order_list_entries`), under `changes#`, where no
 * list's range reaches.
 *
 * An entry's id is `changes#<position>`, its position `<write time, ISO>|<orderId>|<revision>`: "what changed
 * since X" is an `_id` range read in order, on FerretDB v1 too. Writers commit out of order (several workers;
 * a write that takes a while), so a reader looks back FEED_LOOKBACK_MS behind what it has read, and an entry
 * is written so that it is readable within CHANGE_VISIBLE_WITHIN_MS of its time (recordOrderChange).
 * Entries older than the retention (ORDER_EVENTS_RETENTION) are deleted by pruneOrderChanges, one range.
 */
import { OrderListEntryModel } from './order-lists.js';
import type { OrderState, OrderStatus, ShipmentStatus, TimelineEntry } from '../domain/order.js';

/** An order's change as its followers see it. */
export interface OrderChange {
  orderId: string;
  channel: string;
  externalId: string;
  revision: number;
  status: OrderStatus;
  updatedAt: string;
  shipments: Array<{ shipmentId: string; warehouseId: string; status: ShipmentStatus; carrier: string; trackingNumber: string }>;
  /** The timeline entries this revision added. */
  timeline: Array<Pick<TimelineEntry, 'id' | 'at' | 'type' | 'message'>>;
}

/** A recorded change and where it stands in the outbox. */
export interface RecordedOrderChange {
  position: string;
  /** When it was written (ms since the epoch): the first part of its position. */
  writtenAt: number;
  change: OrderChange;
}

type OrderChangeEntry = OrderChange & { _id: string };

/** An entry is written so that every reader can see it at most this long after its write time. */
export const CHANGE_VISIBLE_WITHIN_MS = 1_000;
/**
 * How far behind what it has read a reader reads again: the time an entry may take to become visible, and
 * as much again for the clocks of the machines that write and read (a worker's and an API's).
 */
export const FEED_LOOKBACK_MS = 2 * CHANGE_VISIBLE_WITHIN_MS;

const PREFIX = 'changes#';
/** Above every position (`~` sorts after the digits a position starts with). */
const END = `${PREFIX}~`;
const REVISION_DIGITS = 10;
const POSITION = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)(?:\|([^|]+)\|(\d{10}))?$/;

/**
 * Where a change written at `writtenAt` stands. Positions order by time first; the order id is
 * URI-encoded (an id holds no character that JSON escapes: the embedded FerretDB orders ids by their JSON
 * text) and the revision zero-padded, so they order as strings.
 */
export function changePosition(writtenAt: number, orderId: string, revision: number): string {
  return `${positionAt(writtenAt)}|${encodeURIComponent(orderId)}|${String(revision).padStart(REVISION_DIGITS, '0')}`;
}

/** The point just before every change written at `time` or later: a position of no change. */
export function positionAt(time: number): string {
  return new Date(time).toISOString();
}

/** What a position names (a change's, or positionAt's without its order), or undefined when it is none. */
export function parseChangePosition(position: string): { writtenAt: number; change?: { orderId: string; revision: number } } | undefined {
  const match = POSITION.exec(position);
  const writtenAt = match ? Date.parse(match[1]) : NaN;
  // Date.parse takes impossible dates such as February 30th: only one it would write itself is a position.
  if (!match || Number.isNaN(writtenAt) || positionAt(writtenAt) !== match[1]) return undefined;
  if (match[2] === undefined) return { writtenAt };
  try {
    return { writtenAt, change: { orderId: decodeURIComponent(match[2]), revision: Number(match[3]) } };
  } catch {
    return undefined; // not URI-encoded as this API writes it
  }
}

/** The order's state as a change: with the timeline entries it has beyond those of the state `before` (all of them without one). */
export function orderChange(state: OrderState, before?: { timeline: TimelineEntry[] }): OrderChange {
  return {
    orderId: state.orderId,
    channel: state.channel,
    externalId: state.externalId,
    revision: state.revision,
    status: state.status,
    updatedAt: state.updatedAt,
    shipments: state.shipments.map(({ shipmentId, warehouseId, status, carrier, trackingNumber }) => ({ shipmentId, warehouseId, status, carrier, trackingNumber })),
    timeline: state.timeline.slice(before?.timeline.length ?? 0).map(({ id, at, type, message }) => ({ id, at, type, message })),
  };
}

function changeEntry(writtenAt: number, change: OrderChange): OrderChangeEntry {
  return { _id: PREFIX + changePosition(writtenAt, change.orderId, change.revision), ...change };
}

/**
 * Records the change: `writeWith` writes its entry (with the writes its save makes anyway). A reader can
 * miss an entry that became visible later than CHANGE_VISIBLE_WITHIN_MS after its time, so when the write
 * took longer than that the entry is written again, timed now: the change may then be read twice, never
 * not at all.
 */
export async function recordOrderChange(change: OrderChange, writeWith: (entry: { _id: string }) => Promise<void>): Promise<void> {
  let writtenAt = Date.now();
  await writeWith(changeEntry(writtenAt, change));
  while (Date.now() - writtenAt > CHANGE_VISIBLE_WITHIN_MS) {
    writtenAt = Date.now();
    await OrderListEntryModel.insertMany([changeEntry(writtenAt, change)], { lean: true });
  }
}

/** Changes read per call. */
const READ_PAGE = 500;

/**
 * The changes after `after` (a position, or positionAt a time) up to `upTo` (inclusive; default: all there
 * are), in position order, a page at a time.
 */
export async function* orderChangesAfter(after: string, upTo?: string): AsyncGenerator<RecordedOrderChange[]> {
  for (let from = after; ; ) {
    const entries = await OrderListEntryModel.find({ _id: { $gt: PREFIX + from, ...(upTo ? { $lte: PREFIX + upTo } : { $lt: END }) } })
      .sort({ _id: 1 })
      .limit(READ_PAGE)
      .lean<OrderChangeEntry[]>();
    const page = entries.map(({ _id, ...change }) => {
      const position = _id.slice(PREFIX.length);
      return { position, writtenAt: Date.parse(position.slice(0, position.indexOf('|'))), change };
    });
    if (page.length > 0) yield page;
    if (page.length < READ_PAGE) return;
    from = page[page.length - 1].position;
  }
}

/** Deletes the changes written before `time`: one range. */
export async function pruneOrderChanges(time: number): Promise<number> {
  const { deletedCount } = await OrderListEntryModel.deleteMany({ _id: { $gte: PREFIX, $lt: PREFIX + positionAt(time) } });
  return deletedCount;
}
