/**
 * API keys and roles. Keys come from `API_KEYS` (`<key>=<role>[:<channel>]`, or `<key>=warehouse:<id>[+<id>...]`
 * for a key bound to warehouses; comma separated); outside
 * production, with none configured, the documented dev keys work. Keys are compared by SHA-256 digest in
 * constant time and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { problems, type HttpProblem } from './problem.js';
import { SettingsError } from '../domain/settings-error.js';

export const ROLES = ['channel', 'support', 'warehouse', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  role: Role;
  /** Set for the channel role: the sales channel the key belongs to. */
  channel?: string;
  /** Set for a warehouse key bound to warehouses: it handles only their shipments, returns and stock. */
  warehouses?: string[];
  /** A non-secret label for timelines and audit, e.g. `channel:web`. */
  label: string;
}

export interface KeyEntry {
  digest: Buffer;
  principal: Principal;
}

export const DEV_API_KEYS: ReadonlyArray<{ key: string; role: Role; channel?: string }> = [
  { key: 'dev-channel-web', role: 'channel', channel: 'web' },
  { key: 'dev-channel-store', role: 'channel', channel: 'store' },
  { key: 'dev-support', role: 'support' },
  { key: 'dev-warehouse', role: 'warehouse' },
  { key: 'dev-admin', role: 'admin' },
];

const digest = (key: string) => createHash('sha256').update(key).digest();

function principalFor(role: Role, channel: string | undefined, warehouses?: string[]): Principal {
  if (warehouses) return { role, warehouses, label: `${role}:${warehouses.join('+')}` };
  return { role, channel, label: channel ? `${role}:${channel}` : role };
}

/** Whether this caller may act for the warehouse: anyone but a warehouse key bound to other warehouses. */
export function mayHandleWarehouse(principal: Principal, warehouseId: string): boolean {
  return !principal.warehouses || principal.warehouses.includes(warehouseId);
}

/** Parses `API_KEYS`; errors name the entry's position, never its key. */
export function parseApiKeys(spec: string): KeyEntry[] {
  return spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const match = /^([^=\s]{16,})=(channel|support|warehouse|admin)(?::([A-Za-z0-9_-]{1,64}(?:\+[A-Za-z0-9_-]{1,64})*))?$/.exec(entry);
      if (!match) {
        throw new SettingsError(`API_KEYS entry ${index + 1} must look like <key of 16+ characters>=<role>[:<channel>], or =warehouse:<warehouse>[+<warehouse>...]`);
      }
      const [, key, role, name] = match as unknown as [string, string, Role, string | undefined];
      if (role === 'warehouse' && name) return { digest: digest(key), principal: principalFor(role, undefined, name.split('+')) };
      if ((role === 'channel') !== Boolean(name) || name?.includes('+')) {
        throw new SettingsError(`API_KEYS entry ${index + 1}: the channel role needs one channel name, and only it and the warehouse role take names`);
      }
      return { digest: digest(key), principal: principalFor(role, name) };
    });
}

export function loadApiKeys(env: NodeJS.ProcessEnv = process.env): KeyEntry[] {
  const spec = env.API_KEYS?.trim();
  if (spec) {
    const keys = parseApiKeys(spec);
    if (keys.length === 0) throw new SettingsError('API_KEYS is set but names no key');
    return keys;
  }
  if (env.NODE_ENV === 'production') {
    throw new SettingsError('API_KEYS must be set in production; the dev keys only work outside production');
  }
  return DEV_API_KEYS.map(({ key, role, channel }) => ({ digest: digest(key), principal: principalFor(role, channel) }));
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Whose key this is, or undefined for a key we do not know. */
export function principalOfKey(keys: KeyEntry[], key: string): Principal | undefined {
  return principalOfDigest(keys, digest(key));
}

/** Whose key has this SHA-256 digest (a console session names its key so). */
export function principalOfDigest(keys: KeyEntry[], presented: Buffer): Principal | undefined {
  if (presented.length !== 32) return undefined;
  return keys.find((candidate) => timingSafeEqual(candidate.digest, presented))?.principal;
}

/** Counts a failed authentication and gives the problem to answer: its 401, or 429 past the address's budget (api/rate-limits.ts). */
export type FailedAuthentication = (req: Request, res: Response, problem: HttpProblem) => Promise<HttpProblem>;

/** Sets `req.principal` from the Bearer key; a request without a valid key is refused as `failed` says. */
export function authenticate(keys: KeyEntry[], failed: FailedAuthentication) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const principal = match ? principalOfKey(keys, match[1]) : undefined;
    if (!principal) {
      return next(await failed(req, res, problems.unauthorized(match ? 'The API key is not valid.' : 'Send an API key as "Authorization: Bearer <key>".')));
    }
    req.principal = principal;
    next();
  };
}

export function requireRole(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const role = req.principal?.role;
    if (!role || !roles.includes(role)) {
      return next(problems.forbidden(`This needs one of the roles: ${roles.join(', ')}.`));
    }
    next();
  };
}

/** The principal set by `authenticate` (routes run after it). */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw problems.unauthorized('Not authenticated.');
  return req.principal;
}
