/**
 * The console's orders (support, admin): the search, an order's page that follows the order live, and the
 * changes its page offers (console/order-actions.ts), each confirmed first.
 */
import { Router, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { orderWorkflowId } from '../../contracts/ids.js';
import { ORDER_STATUSES } from '../../domain/order.js';
import { customerEmailsOf } from '../../persistence/notifications.js';
import { followOrderChanges } from '../actions/order-events.js';
import { loadOrder, searchOrders } from '../actions/orders.js';
import { MAY } from '../actions/permissions.js';
import type { KeyEntry } from '../auth.js';
import { serveEventStream } from '../event-stream.js';
import type { ApiMetrics } from '../metrics.js';
import type { OrderFeed } from '../order-feed.js';
import { HttpProblem, problems } from '../problem.js';
import { toOrderView } from '../schemas/order-view.js';
import { OrderListQuery } from '../schemas/orders.js';
import { parseWith } from '../validation.js';
import { cancelOffer, isOrderAction, offeredActions, ORDER_ACTIONS, type OrderAction, type OrderActionName } from './order-actions.js';
import { allow, formOf, renderPage, type PageContextOf } from './pages.js';
import { ConfirmPage } from './views/confirm.js';
import { OrderPage } from './views/order.js';
import { OrdersPage, type OrderSearch } from './views/orders.js';

const PAGE_SIZE = 50;
/** Support and admin: the console's roles among those that may read orders. */
const READERS = MAY.readOrders.filter((role) => role !== 'channel');

export interface OrderRoutesOptions {
  temporal: Client;
  apiKeys: KeyEntry[];
  temporalUi: { url: string; namespace: string };
  /** Aborted when the API stops: open event streams end, and the pages reconnect to another instance. */
  stopping: AbortSignal;
  /** Where open order pages learn of changes (api/order-feed.ts). */
  orderFeed: OrderFeed;
  openStreams: ApiMetrics['openStreams'];
}

export function orderRoutes({ temporal, apiKeys, temporalUi, stopping, orderFeed, openStreams }: OrderRoutesOptions, context: PageContextOf): Router {
  // The search box finds an order by its external id in any of these channels.
  const channels = [...new Set(apiKeys.flatMap(({ principal }) => (principal.channel ? [principal.channel] : [])))];
  const router = Router();

  router.get('/', allow(...READERS), async (req, res) => {
    const search = orderSearchOf(req.query);
    const { status, channel, cursor } = parseWith(OrderListQuery, { status: search.status, channel: search.channel, cursor: req.query.cursor }, 'query');
    const { orders, nextCursor } = await searchOrders({ text: search.q, status, channel, needsAPerson: search.attention === '1' }, channels, { cursor, limit: PAGE_SIZE });
    const olderHref = nextCursor ? `/console?${new URLSearchParams({ ...definedOnly(search), cursor: nextCursor })}` : undefined;
    renderPage(res, OrdersPage({ context: context(req, res), search, orders: orders.map(toOrderView), olderHref }));
  });

  const orderPage = async (req: Request, res: Response, extra: { notice?: string; problem?: HttpProblem } = {}) => {
    const order = await loadOrder(temporal, req.principal!, String(req.params.orderId));
    const emails = (await customerEmailsOf(order.orderId)).map(({ event, recipient, subject, status, at }) => ({ event, recipient, subject, status, at: at.toISOString() }));
    const temporalUrl = `${temporalUi.url}/namespaces/${encodeURIComponent(temporalUi.namespace)}/workflows/${encodeURIComponent(orderWorkflowId(order.orderId))}`;
    const page = OrderPage({
      context: context(req, res),
      order: toOrderView(order),
      revision: order.revision,
      emails,
      temporalUrl,
      actions: offeredActions(req.principal!, order),
      cancelOffer: cancelOffer(order),
      ...extra,
    });
    renderPage(res, page, extra.problem?.status ?? 200);
  };

  router.get('/orders/:orderId', allow(...READERS), async (req, res) => {
    const done = typeof req.query.done === 'string' ? req.query.done : undefined;
    await orderPage(req, res, { notice: done && isOrderAction(done) ? doneNotice(done, req.query.status) : undefined });
  });

  // Tells the open page when the order changed (live.js then fetches the page again and swaps its details),
  // from the API process's order feed: no database read per open page.
  router.get('/orders/:orderId/events', allow(...READERS), async (req, res) => {
    const changed = (revision: number) => ({ event: 'changed', data: revision });
    await serveEventStream(req, res, { stopping, open: { gauge: openStreams, stream: 'console' } }, (open) =>
      followOrderChanges(
        temporal,
        orderFeed,
        req.principal!,
        String(req.params.orderId),
        open,
        async (order, stream) => {
          const shown = Number(req.query.revision) || order.revision;
          if (order.revision > shown) stream.send(changed(order.revision));
          return Math.max(shown, order.revision);
        },
        ({ change }, stream) => stream.send(changed(change.revision)),
      ),
    );
  });

  router.post('/orders/:orderId/:action', async (req, res, next) => {
    const name = String(req.params.action);
    if (!isOrderAction(name)) return next();
    const action: OrderAction = ORDER_ACTIONS[name];
    if (!action.roles.includes(req.principal!.role)) throw problems.forbidden(`Only the ${action.roles.filter((r) => r !== 'channel').join(' and ')} roles may do this.`);
    const orderId = String(req.params.orderId);
    const order = await loadOrder(temporal, req.principal!, orderId);
    const form = formOf(req.body);
    if (form.confirmed !== 'yes') {
      const fields = Object.fromEntries(Object.entries(form).filter(([key, value]) => key !== '_csrf' && value !== undefined)) as Record<string, string>;
      return renderPage(res, ConfirmPage({ context: context(req, res), sentence: action.confirmation(form, order), action: req.originalUrl, fields, back: `/console/orders/${encodeURIComponent(orderId)}` }));
    }
    try {
      const result = await action.perform(temporal, req.principal!, order, form);
      res.redirect(303, `/console/orders/${encodeURIComponent(orderId)}?${new URLSearchParams({ done: name, status: result.status ?? '' })}`);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      await orderPage(req, res, { problem: error });
    }
  });

  return router;
}

function orderSearchOf(query: Request['query']): OrderSearch {
  const text = (name: string) => (typeof query[name] === 'string' && query[name].trim() ? query[name].trim() : undefined);
  return { q: text('q'), status: text('status'), channel: text('channel'), attention: query.attention === '1' ? '1' : undefined };
}

const definedOnly = (search: OrderSearch) => Object.fromEntries(Object.entries(search).filter(([, v]) => v !== undefined)) as Record<string, string>;

function doneNotice(name: OrderActionName, status: unknown): string {
  const action: OrderAction = ORDER_ACTIONS[name];
  return action.done({ status: (ORDER_STATUSES as readonly unknown[]).includes(status) ? String(status) : undefined });
}
