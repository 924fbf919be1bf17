/**
 * Following orders as event streams (server-sent events), authorised like the lookups: one order's changes
 * (its current state first), or every change of the orders the caller may see. Both resume after an event
 * id (Last-Event-ID) with the changes after it that are still kept, or say `reset` when they are not.
 * Live changes come from the API process's order feed (api/order-feed.ts); what came before a stream
 * opened is read from the outbox (persistence/order-changes.ts).
 */
import type { Client } from '@temporalio/client';
import {
  changePosition,
  FEED_LOOKBACK_MS,
  orderChange,
  parseChangePosition,
  orderChangesAfter,
  positionAt,
  type OrderChange,
  type RecordedOrderChange,
} from '../../persistence/order-changes.js';
import type { OrderState } from '../../domain/order.js';
import type { Principal } from '../auth.js';
import type { EventStream } from '../event-stream.js';
import type { Deliver, OrderFeed } from '../order-feed.js';
import { channelOf, loadOrder } from './orders.js';

const orderEvent = (id: string, change: OrderChange) => ({ id, event: 'order', data: change });
const resetEvent = (reason: string, id?: string) => ({ id, event: 'reset', data: { reason } });

/**
 * Streams one order's changes: first its current state (all its timeline), then each change as the feed
 * reads it. After `lastEventId` (an id of this order's stream), instead of the current state, the changes
 * after it; when they are no longer kept, a `reset` and the current state. An order the caller may not see
 * is a 404 before anything is streamed.
 */
export async function followOrder(
  temporal: Client,
  feed: OrderFeed,
  caller: Principal,
  orderId: string,
  lastEventId: string | undefined,
  open: () => EventStream,
): Promise<void> {
  const begin = async (order: OrderState, stream: EventStream, followingSince: number): Promise<number> => {
    const resumed = resumeOf(lastEventId, feed);
    if (resumed?.change?.orderId === orderId) {
      let { revision } = resumed.change;
      for await (const page of orderChangesAfter(positionAt(resumed.writtenAt - FEED_LOOKBACK_MS))) {
        for (const { position, change } of page) {
          if (change.orderId !== orderId || change.revision <= revision) continue;
          revision = change.revision;
          stream.send(orderEvent(position, change));
        }
        await stream.drained();
      }
      return revision;
    }
    if (lastEventId) stream.send(resetEvent(resumed ? `Event ${lastEventId} is not one of order ${orderId}'s.` : `Changes before ${lastEventId} are no longer kept.`));
    // Timed a lookback before following began, its id sorts before those of the changes that follow.
    stream.send(orderEvent(changePosition(followingSince - FEED_LOOKBACK_MS, orderId, order.revision), orderChange(order)));
    return order.revision;
  };
  await followOrderChanges(temporal, feed, caller, orderId, open, begin, ({ position, change }, stream) => stream.send(orderEvent(position, change)));
}

/**
 * Follows one order for a stream: reads the order after following began (a 404 when the caller may not
 * see it: nothing is streamed), so that every change written after that read is handed on. `begin` sends
 * what comes first and says which revision the client then has; `send` sends each newer change, in
 * revision order, once. For the v1 stream above and the console's live order page.
 */
export async function followOrderChanges(
  temporal: Client,
  feed: OrderFeed,
  caller: Principal,
  orderId: string,
  open: () => EventStream,
  begin: (order: OrderState, stream: EventStream, followingSince: number) => Promise<number>,
  send: (change: RecordedOrderChange, stream: EventStream) => void,
): Promise<void> {
  const early: RecordedOrderChange[] = [];
  let deliver: Deliver = (change) => early.push(change);
  const followingSince = Date.now();
  const stop = feed.followOrder(orderId, (change) => deliver(change));
  let stream: EventStream;
  let revision: number;
  try {
    const order = await loadOrder(temporal, caller, orderId);
    stream = open();
    stream.onEnd(stop);
    revision = await begin(order, stream, followingSince);
  } catch (error) {
    stop();
    throw error;
  }
  deliver = (change) => {
    if (change.change.revision <= revision) return;
    revision = change.change.revision;
    send(change, stream);
  };
  for (const change of early.splice(0)) deliver(change);
}

/**
 * Streams every change of the orders the caller may see, in id order: a channel key its own channel's
 * (naming another channel is a 403), support and admin every channel's or `channel`'s. From now on, or
 * after `lastEventId`; when the changes after it are no longer kept, a `reset` first.
 */
export async function followOrders(feed: OrderFeed, caller: Principal, query: { channel?: string; lastEventId?: string }, open: () => EventStream): Promise<void> {
  const channel = channelOf(caller, query.channel, 'follow');
  const visible = (change: OrderChange) => channel === undefined || change.channel === channel;
  const early: RecordedOrderChange[] = [];
  let deliver: Deliver = (change) => early.push(change);
  const { after: live, stop } = feed.followAll((change) => deliver(change));
  const stream = open();
  stream.onEnd(stop);
  let sentUpTo = live;
  const { lastEventId } = query;
  if (lastEventId && !resumeOf(lastEventId, feed)) {
    stream.send(resetEvent(`Changes before ${lastEventId} are no longer kept.`, live));
  } else if (lastEventId) {
    // Those before the feed's start are read from the outbox; the feed hands on the rest.
    for await (const page of orderChangesAfter(lastEventId, live)) {
      for (const { position, change } of page) if (visible(change)) stream.send(orderEvent(position, change));
      await stream.drained();
    }
    if (lastEventId > live) sentUpTo = lastEventId;
  }
  deliver = ({ position, change }) => {
    if (position <= sentUpTo || !visible(change)) return;
    sentUpTo = position;
    stream.send(orderEvent(position, change));
  };
  for (const change of early.splice(0)) deliver(change);
}

/** The event id to resume after, when the changes after it are still kept; undefined when they may not be. */
function resumeOf(lastEventId: string | undefined, feed: OrderFeed) {
  const resumed = lastEventId === undefined ? undefined : parseChangePosition(lastEventId);
  if (!resumed) return undefined;
  const now = Date.now();
  // (One from the future was not sent by this API: its clock is not that far off.)
  const kept = resumed.writtenAt >= now - feed.retentionMs && resumed.writtenAt <= now + FEED_LOOKBACK_MS;
  return kept ? resumed : undefined;
}
