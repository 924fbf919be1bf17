/**
 * What every request passes before a route: security headers (helmet), a 415 for a body that is not
 * JSON, and a 405 naming the allowed methods for a path the API has, asked with a method it does not take
 * (and the same `Allow` for OPTIONS). The rate limits are in api/rate-limits.ts.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { problems, sendProblem } from './problem.js';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

export function securityHeaders(): RequestHandler {
  // The API answers JSON; its docs page loads its script and styles from here. The console sets its own CSP.
  return helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"] } } });
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
