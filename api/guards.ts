/**
 * What every request passes before a route: security headers (helmet), rate limits with the standard
 * `RateLimit` headers (per API key, and a stricter one on failed authentication per client address), a 415
 * for a body that is not JSON, and a 405 naming the allowed methods for a path the API has, asked with
 * a method it does not take (and the same `Allow` for OPTIONS).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { problems, sendProblem } from './problem.js';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

export function securityHeaders(): RequestHandler {
  // The API answers JSON; its docs page loads its script and styles from here. The console sets its own CSP.
  return helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"] } } });
}

export interface RateLimitSettings {
  /** Requests per minute per API key. */
  perKeyPerMinute: number;
  /** Failed authentications per client address in 15 minutes before it is refused altogether. */
  failedAuthPer15Minutes: number;
}

export function rateLimitSettings(env: NodeJS.ProcessEnv): RateLimitSettings {
  const positive = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1`);
    return value;
  };
  return {
    perKeyPerMinute: positive('RATE_LIMIT_PER_KEY', 12_000),
    failedAuthPer15Minutes: positive('RATE_LIMIT_FAILED_AUTH', 30),
  };
}

const tooMany = (what: string) => (_req: Request, res: Response) =>
  sendProblem(res, problems.tooManyRequests(`${what} Wait for the time in Retry-After, then try again.`));

/** Per client address, counting only answers of 401: guessing keys stops after a few tries. */
export function failedAuthenticationLimit({ failedAuthPer15Minutes }: RateLimitSettings): RequestHandler {
  return rateLimit({
    windowMs: 15 * 60_000,
    limit: failedAuthPer15Minutes,
    identifier: 'failed-authentication',
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
    handler: tooMany('Too many requests with an invalid API key came from this address.'),
  });
}

/** Per API key (after authentication), so one client cannot starve the others. */
export function perKeyLimit({ perKeyPerMinute }: RateLimitSettings): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perKeyPerMinute,
    identifier: 'per-key',
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => req.principal?.label ?? ipKeyGenerator(req.ip ?? ''),
    handler: tooMany('This API key sent more requests than its limit.'),
  });
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
