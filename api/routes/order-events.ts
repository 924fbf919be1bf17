/** Following orders as server-sent events: /v1/orders/{orderId}/events and /v1/order-events (api/actions/order-events.ts). */
import { Router, type Request } from 'express';
import type { Client } from '@temporalio/client';
import { followOrder, followOrders } from '../actions/order-events.js';
import { MAY } from '../actions/permissions.js';
import { principalOf, requireRole } from '../auth.js';
import { serveEventStream } from '../event-stream.js';
import type { ApiMetrics } from '../metrics.js';
import type { OrderFeed } from '../order-feed.js';
import { OrderId } from '../schemas/common.js';
import { AllOrderEventsQuery, LastEventIdHeader, OrderEventsQuery } from '../schemas/order-events.js';
import { parseWith } from '../validation.js';

export interface OrderEventsOptions {
  feed: OrderFeed;
  metrics: Pick<ApiMetrics, 'openStreams'>;
  /** Aborted when the API drains: open streams end, and their clients reconnect to another instance. */
  stopping: AbortSignal;
}

export function orderEventsRouter(temporal: Client, { feed, metrics, stopping }: OrderEventsOptions): Router {
  const router = Router();
  const streamOf = (stream: string) => ({ stopping, open: { gauge: metrics.openStreams, stream } });

  router.get('/v1/orders/:orderId/events', requireRole(...MAY.readOrders), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const query = parseWith(OrderEventsQuery, req.query, 'query');
    const lastEventId = lastEventIdOf(req) ?? query.lastEventId;
    await serveEventStream(req, res, streamOf('order'), (open) => followOrder(temporal, feed, principalOf(req), orderId, lastEventId, open));
  });

  router.get('/v1/order-events', requireRole(...MAY.readOrders), async (req, res) => {
    const query = parseWith(AllOrderEventsQuery, req.query, 'query');
    const lastEventId = lastEventIdOf(req) ?? query.lastEventId;
    await serveEventStream(req, res, streamOf('orders'), (open) => followOrders(feed, principalOf(req), { channel: query.channel, lastEventId }, open));
  });

  return router;
}

/**
 * The `Last-Event-ID` header: what an EventSource sends when it reconnects, newer than the URL's
 * `lastEventId`. Empty, it names no event (as an empty `id:` resets an EventSource's).
 */
function lastEventIdOf(req: Request): string | undefined {
  return parseWith(LastEventIdHeader, { 'Last-Event-ID': req.get('last-event-id') || undefined }, 'header')['Last-Event-ID'];
}
