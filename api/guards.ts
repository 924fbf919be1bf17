/**
 * What every request passes before a route: which proxies may name the client's address, security
 * headers (helmet), a 415 for a body that is not JSON, and a 405 naming the allowed methods for a path the
 * API has, asked with a method it does not take (and the same `Allow` for OPTIONS). The rate limits are
 * in api/rate-limits.ts.
 */
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { problems, sendProblem } from './problem.js';
import { SettingsError } from '../domain/settings-error.js';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

export function securityHeaders(): RequestHandler {
  // The API answers JSON; its docs page loads its script and styles from here. The console sets its own CSP.
  return helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"] } } });
}

/**
 * `TRUST_PROXY` for Express's `trust proxy`, so `req.ip` (the failed-authentication budget's address, the
 * request log) is the client's address from `X-Forwarded-For` behind a reverse proxy: `false` (the
 * default: the header is ignored, so a client cannot name another address), the number of proxies in
 * front, or their addresses and subnets (`10.0.0.0/8,127.0.0.1`). Throws naming the setting on any other value.
 */
export function trustProxy(app: Express, env: NodeJS.ProcessEnv): void {
  const raw = env.TRUST_PROXY?.trim() || 'false';
  try {
    app.set('trust proxy', raw === 'false' ? false : /^\d+$/.test(raw) ? Number(raw) : raw);
  } catch (error) {
    throw new SettingsError(`TRUST_PROXY must be false, a number of proxies such as 1, or proxy addresses and subnets such as 10.0.0.0/8,127.0.0.1; "${raw}" is not (${(error as Error).message})`);
  }
}

/** A request that carries a body must say it is JSON (`application/json` or `+json`): 415 otherwise. */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(['application/json', 'application/*+json'])) {
    const sent = req.get('content-type');
    return next(problems.unsupportedMediaType(`Send the body as JSON with "Content-Type: application/json"${sent ? `, not ${sent}` : ''}.`));
  }
  next();
}

/**
 * For a path of the OpenAPI document: OPTIONS answers 204 with `Allow`, and a method the document does not
 * list answers 405 with `Allow`. Other requests go on (to the routes, or the 404). Where templates overlap,
 * the one with the most literal segments names the methods, as OpenAPI matches paths
 * (`/v1/inventory/{sku}/movements` before `/v1/inventory/{sku}/{warehouseId}`). Mounted before the routes,
 * so Express's own OPTIONS answer, which merges every route the path matches, never goes out.
 */
export function methodNotAllowed(document: { paths?: Record<string, object | undefined> }): RequestHandler {
  const templates = Object.entries(document.paths ?? {}).map(([template, operations]) => ({
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
    literalSegments: template.split('/').filter((segment) => segment && !segment.startsWith('{')).length,
    methods: METHODS.filter((method) => operations && method in operations).map((method) => method.toUpperCase()),
  }));
  return (req, res, next) => {
    const matching = templates.filter(({ pattern }) => pattern.test(req.path));
    const mostLiteral = Math.max(...matching.map(({ literalSegments }) => literalSegments));
    const allowed = [...new Set(matching.filter(({ literalSegments }) => literalSegments === mostLiteral).flatMap(({ methods }) => methods))];
    if (allowed.length === 0) return next();
    if (allowed.includes('GET')) allowed.push('HEAD');
    if (allowed.includes(req.method)) return next();
    res.set('Allow', allowed.join(', '));
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    sendProblem(res, problems.methodNotAllowed(`${req.path} takes ${allowed.join(', ')}, not ${req.method}.`));
  };
}
