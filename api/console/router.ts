/**
 * The console at /console: pages rendered on the server (Preact components in console/views), plain forms,
 * no script. It reads and acts through the same functions as the v1 API, under the same roles; a session
 * cookie (console/session.ts) stands for the API key, and every form that changes something carries a
 * CSRF token (double-submit cookie, csrf-csrf).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { principalOfKey, type KeyEntry, type Principal } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { loadOrder, toOrderView } from '../order-access.js';
import { orderIdFor } from '../order-intake.js';
import { HttpProblem, problems } from '../problem.js';
import { OrderListQuery } from '../schemas/orders.js';
import { parseWith } from '../validation.js';
import { orderWorkflowId } from '../../contracts/ids.js';
import { needsAPerson, ORDER_STATUSES, type OrderState } from '../../domain/order.js';
import { customerEmailsOf } from '../../persistence/notifications.js';
import type { StockEffects } from '../../services/stock-effects.js';
import { findOrder, findOrders, listOrders } from '../../persistence/orders.js';
import { allow, formOf, renderPage } from './pages.js';
import { inventoryRoutes } from './inventory-routes.js';
import { warehouseRoutes } from './warehouse-routes.js';
import { isOrderAction, offeredActions, ORDER_ACTIONS, type OrderAction, type OrderActionName } from './order-actions.js';
import { CONSOLE_ROLES, principalOfSession, SESSION_COOKIE, sessionCookie, sessionCookieOptions, sessionFor, signOut, type ConsoleKeys } from './session.js';
import type { PageContext } from './views/layout.js';
import { OrderPage } from './views/order.js';
import { OrdersPage, type OrderSearch } from './views/orders.js';
import { ConfirmPage } from './views/confirm.js';
import { ErrorPage } from './views/error.js';
import { SignInPage } from './views/sign-in.js';

const assetsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');
const PAGE_SIZE = 50;
/** How often an open order page's event stream looks for a newer revision. */
const LIVE_POLL_MS = 1_000;

export interface ConsoleOptions {
  temporal: Client;
  apiKeys: KeyEntry[];
  keys: ConsoleKeys;
  production: boolean;
  temporalUi: { url: string; namespace: string };
  /** Stock adjustments made on the inventory screen raise low-stock alerts and wake backorders through it. */
  effects: StockEffects;
  lowStockThreshold: number;
  /** Aborted when the API stops: open event streams end, and the pages reconnect to another instance. */
  stopping: AbortSignal;
}

export function consoleRouter({ temporal, apiKeys, keys, production, temporalUi, effects, lowStockThreshold, stopping }: ConsoleOptions): Router {
  const channels = [...new Set(apiKeys.flatMap(({ principal }) => (principal.channel ? [principal.channel] : [])))];
  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => keys.csrf.toString('base64'),
    // Tokens belong to the session, and to the browser before it signs in.
    getSessionIdentifier: (req) => sessionCookie(req) ?? '',
    cookieName: 'oms_console_csrf',
    cookieOptions: sessionCookieOptions(production),
    getCsrfTokenFromRequest: (req) => (typeof req.body?._csrf === 'string' ? req.body._csrf : req.get('x-csrf-token')),
  });

  const router = Router();
  router.use('/assets', express.static(assetsDir, { maxAge: '1h', fallthrough: false }));
  router.use(cookieParser());
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));
  router.use((req, res, next) => {
    // Beside helmet's headers (api/guards.ts): stricter framing, referrer and CSP for pages that act.
    res.set({ 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'same-origin' });
    res.set('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    req.principal = principalOfSession(keys, apiKeys, sessionCookie(req));
    next();
  });
  router.use(doubleCsrfProtection);

  const context = (req: Request, res: Response): PageContext => ({ principal: req.principal, csrfToken: generateCsrfToken(req, res) });

  router.get('/sign-in', (req, res) => {
    renderPage(res, SignInPage({ context: context(req, res), next: safeNext(req.query.next) }));
  });

  router.post('/sign-in', (req, res) => {
    const apiKey = typeof req.body.apiKey === 'string' ? req.body.apiKey.trim() : '';
    const principal = apiKey ? principalOfKey(apiKeys, apiKey) : undefined;
    if (!principal || !(CONSOLE_ROLES as readonly string[]).includes(principal.role)) {
      const problem = principal
        ? problems.forbidden(`A ${principal.role} key cannot open the console; it is for the support, warehouse and admin roles.`)
        : problems.unauthorized('That API key is not valid.');
      return renderPage(res, SignInPage({ context: context(req, res), problem, next: safeNext(req.body.next) }), problem.status);
    }
    res.cookie(SESSION_COOKIE, sessionFor(keys, apiKey), sessionCookieOptions(production));
    res.redirect(303, safeNext(req.body.next) ?? homeOf(principal));
  });

  router.post('/sign-out', (_req, res) => {
    signOut(res, production);
    res.redirect(303, '/console/sign-in');
  });

  // Everything below needs a session.
  router.use((req, res, next) => {
    if (req.principal) return next();
    if (req.method === 'GET') return res.redirect(303, `/console/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
    next(problems.unauthorized('Sign in first.'));
  });

  router.get('/', allow('support', 'admin'), async (req, res) => {
    const search = orderSearchOf(req.query);
    const { orders, nextCursor } = await searchOrders(search, channels, typeof req.query.cursor === 'string' ? req.query.cursor : undefined);
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
      ...extra,
    });
    renderPage(res, page, extra.problem?.status ?? 200);
  };

  router.get('/orders/:orderId', allow('support', 'admin'), async (req, res) => {
    const done = typeof req.query.done === 'string' ? req.query.done : undefined;
    await orderPage(req, res, { notice: done && isOrderAction(done) ? doneNotice(done, req.query.status) : undefined });
  });

  // Tells the open page when the order changed (live.js then fetches the page again and swaps its details).
  router.get('/orders/:orderId/events', allow('support', 'admin'), async (req, res) => {
    const order = await loadOrder(temporal, req.principal!, String(req.params.orderId));
    let shown = Number(req.query.revision) || order.revision;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': watching\n\n');
    const timer = setInterval(async () => {
      try {
        const revision = (await findOrder(order.orderId))?.revision ?? shown;
        if (revision > shown) res.write(`event: changed\ndata: ${(shown = revision)}\n\n`);
      } catch {
        // The database did not answer this time; the next tick asks again.
      }
    }, LIVE_POLL_MS);
    const stop = () => res.end();
    req.on('close', () => {
      clearInterval(timer);
      stopping.removeEventListener('abort', stop);
    });
    if (stopping.aborted) stop();
    else stopping.addEventListener('abort', stop, { once: true });
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
      const result = await action.run(temporal, { principal: req.principal!, orderId, body: action.body(form, order) });
      res.redirect(303, `/console/orders/${encodeURIComponent(orderId)}?${new URLSearchParams({ done: name, status: result.status ?? '' })}`);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      await orderPage(req, res, { problem: error });
    }
  });

  router.use('/warehouse', warehouseRoutes(temporal, context));
  router.use('/inventory', inventoryRoutes(effects, lowStockThreshold, context));

  router.use((req, _res, next) => next(problems.notFound(`There is no page at ${req.originalUrl}.`)));
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = asProblem(error);
    if (problem.status >= 500) req.log.error({ err: error }, `console: ${req.method} ${req.originalUrl} failed`);
    renderPage(res, ErrorPage({ context: { principal: req.principal, csrfToken: safeToken(() => generateCsrfToken(req, res)) }, problem }), problem.status);
  });
  return router;
}

function homeOf(principal: Principal): string {
  return principal.role === 'warehouse' ? '/console/warehouse' : '/console';
}

/** Only a path of this console, never another site (an open redirect). */
function safeNext(value: unknown): string | undefined {
  return typeof value === 'string' && /^\/console(\/|$|\?)/.test(value) && !value.startsWith('//') ? value : undefined;
}

function orderSearchOf(query: Request['query']): OrderSearch {
  const text = (name: string) => (typeof query[name] === 'string' && query[name].trim() ? query[name].trim() : undefined);
  return { q: text('q'), status: text('status'), channel: text('channel'), attention: query.attention === '1' ? '1' : undefined };
}

const definedOnly = (search: OrderSearch) => Object.fromEntries(Object.entries(search).filter(([, v]) => v !== undefined)) as Record<string, string>;

/**
 * What the search box finds: the order of that id, or the orders of that external id in any channel, and
 * else the customer of that id, or of that email when it has an @; without a text, the list by status and
 * channel, or of the orders that need a person. Lists page by cursor.
 */
async function searchOrders(search: OrderSearch, channels: string[], cursor: string | undefined): Promise<{ orders: OrderState[]; nextCursor?: string }> {
  const filter = parseWith(OrderListQuery, { status: search.status, channel: search.channel }, 'query');
  if (search.q && !cursor) {
    const byId = await findOrders([search.q, ...channels.map((channel) => orderIdFor(channel, search.q!))]);
    const matching = byId.filter(
      (order) => (!filter.status || order.status === filter.status) && (!filter.channel || order.channel === filter.channel) && (!search.attention || needsAPerson(order)),
    );
    if (matching.length > 0) return { orders: matching };
  }
  const after = cursor ? decodeCursor(cursor) : undefined;
  const byCustomer = search.q?.includes('@') ? { customerEmail: search.q } : { customerId: search.q };
  const { items, more } = await listOrders(
    { ...filter, ...byCustomer, needsAPerson: search.attention === '1' },
    { after: after && { createdAt: after.createdAt, orderId: after.id }, limit: PAGE_SIZE },
  );
  const last = items[items.length - 1];
  return { orders: items, nextCursor: more && last ? encodeCursor({ createdAt: last.createdAt, id: last.orderId }) : undefined };
}

function doneNotice(name: OrderActionName, status: unknown): string {
  const action: OrderAction = ORDER_ACTIONS[name];
  return action.done({ status: (ORDER_STATUSES as readonly unknown[]).includes(status) ? String(status) : undefined });
}

function asProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (status === 403) return problems.forbidden('This form is stale or did not come from this console. Reload the page and try again.');
  return new HttpProblem(500, 'Something went wrong', 'The console could not do that. The error is in the API log.');
}

function safeToken(make: () => string): string {
  try {
    return make();
  } catch {
    return '';
  }
}
