/**
 * The console at /console: pages rendered on the server (Preact components in console/views), plain forms,
 * no script. It reads and acts through the same actions as the v1 API (api/actions/), under the same roles;
 * a session cookie (console/session.ts) stands for the API key, and every form that changes something
 * carries a CSRF token (double-submit cookie, csrf-csrf). Each part has its routes in a file of its own:
 * sign-in, orders, the warehouse screen, the inventory screen.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { StockEffects } from '../../services/stock-effects.js';
import type { FailedAuthentication, KeyEntry } from '../auth.js';
import type { ApiMetrics } from '../metrics.js';
import type { OrderFeed } from '../order-feed.js';
import { HttpProblem, problems } from '../problem.js';
import { inventoryRoutes } from './inventory-routes.js';
import { orderRoutes } from './order-routes.js';
import { renderPage } from './pages.js';
import { principalOfSession, sessionCookie, sessionCookieOptions, type ConsoleKeys } from './session.js';
import { signInRoutes } from './sign-in-routes.js';
import { ErrorPage } from './views/error.js';
import type { PageContext } from './views/layout.js';
import { warehouseRoutes } from './warehouse-routes.js';

const assetsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');

export interface ConsoleOptions {
  temporal: Client;
  apiKeys: KeyEntry[];
  keys: ConsoleKeys;
  /** Counts a wrong key at the sign-in against the address's budget, as at the API. */
  failedAuthentication: FailedAuthentication;
  production: boolean;
  temporalUi: { url: string; namespace: string };
  /** Stock adjustments made on the inventory screen raise low-stock alerts and wake backorders through it. */
  effects: StockEffects;
  lowStockThreshold: number;
  /** Aborted when the API stops: open event streams end, and the pages reconnect to another instance. */
  stopping: AbortSignal;
  /** Where open order pages learn of changes (api/order-feed.ts), and where their streams are counted. */
  orderFeed: OrderFeed;
  openStreams: ApiMetrics['openStreams'];
}

export function consoleRouter({ temporal, apiKeys, keys, failedAuthentication, production, temporalUi, effects, lowStockThreshold, stopping, orderFeed, openStreams }: ConsoleOptions): Router {
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

  router.use(signInRoutes({ apiKeys, keys, failedAuthentication, production }, context));

  // Everything below needs a session.
  router.use((req, res, next) => {
    if (req.principal) return next();
    if (req.method === 'GET') return res.redirect(303, `/console/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
    next(problems.unauthorized('Sign in first.'));
  });

  router.use(orderRoutes({ temporal, apiKeys, temporalUi, stopping, orderFeed, openStreams }, context));
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
