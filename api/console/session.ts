/**
 * Console sessions: signing in with an API key sets a cookie that names the key by its digest (never the
 * key itself), with an expiry, signed with a key derived from `CONSOLE_SECRET`. The cookie is HttpOnly,
 * SameSite=Strict and, in production, Secure. Signing out clears it. Only the support, warehouse and admin
 * roles may sign in: a channel's key opens no screen.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import { principalOfDigest, type KeyEntry, type Principal } from '../auth.js';
import { SettingsError } from '../../domain/settings-error.js';

export const SESSION_COOKIE = 'oms_console';
const SESSION_HOURS = 12;
const DEV_CONSOLE_SECRET = 'dev-console-secret-only-outside-production';

export const CONSOLE_ROLES = ['support', 'warehouse', 'admin'] as const;

export interface ConsoleKeys {
  /** Signs session cookies. */
  session: Buffer;
  /** Ties CSRF tokens to the browser (console/csrf.ts). */
  csrf: Buffer;
}

/** The console's keys, derived from CONSOLE_SECRET; outside production a documented dev secret stands in. */
export function loadConsoleKeys(env: NodeJS.ProcessEnv = process.env): ConsoleKeys {
  const secret = env.CONSOLE_SECRET?.trim();
  if (env.NODE_ENV === 'production' && (!secret || secret.length < 32)) {
    throw new SettingsError('CONSOLE_SECRET of 32 or more characters must be set in production; the dev secret only works outside production');
  }
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secret || DEV_CONSOLE_SECRET, '', `oms console ${purpose}`, 32));
  return { session: derive('session'), csrf: derive('csrf') };
}

export function sessionCookieOptions(production: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', secure: production, path: '/' };
}

const sign = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

/** The cookie value for a signed-in key: `<digest>.<expiry ms>.<signature>`. */
export function sessionFor(keys: ConsoleKeys, apiKey: string, now = Date.now()): string {
  const payload = `${createHash('sha256').update(apiKey).digest('base64url')}.${now + SESSION_HOURS * 3_600_000}`;
  return `${payload}.${sign(keys.session, payload)}`;
}

/** Who the session cookie signs in, or undefined when it is missing, forged, expired or names an unknown key. */
export function principalOfSession(keys: ConsoleKeys, apiKeys: KeyEntry[], cookie: string | undefined, now = Date.now()): Principal | undefined {
  const [digest, expiry, signature] = cookie?.split('.') ?? [];
  if (!digest || !expiry || !signature) return undefined;
  const expected = Buffer.from(sign(keys.session, `${digest}.${expiry}`));
  const presented = Buffer.from(signature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
  if (!(Number(expiry) > now)) return undefined;
  const principal = principalOfDigest(apiKeys, Buffer.from(digest, 'base64url'));
  return principal && (CONSOLE_ROLES as readonly string[]).includes(principal.role) ? principal : undefined;
}

export function sessionCookie(req: Request): string | undefined {
  const value: unknown = req.cookies?.[SESSION_COOKIE];
  return typeof value === 'string' ? value : undefined;
}

export function signOut(res: Response, production: boolean): void {
  res.clearCookie(SESSION_COOKIE, sessionCookieOptions(production));
}
