/**
 * The rate limits, counted in the database that every API process shares (persistence/rate-limits.ts),
 * with the standard `RateLimit` / `RateLimit-Policy` headers (IETF draft 8) and, past a limit, a 429
 * problem with `Retry-After`:
 * - per API key, `RATE_LIMIT_PER_KEY` requests a minute, so one client cannot starve the others;
 * - per client address, `RATE_LIMIT_FAILED_AUTH` wrong or missing keys in 15 minutes, at the API and the
 *   console's sign-in together. Only requests without a valid key are refused for it, so a valid key is
 *   never held back by failures from its address (every client behind one proxy shares an address).
 *
 * Windows are fixed: every minute (and quarter hour) of the clock. A process does not ask the database for
 * every request: it leases points from the shared count, a hundredth of what is left of the window at a
 * time (one process holding them unused keeps at most that from the others), and serves requests from its
 * lease; near the limit leases are one point, so no process lets through more than the limit. One lease
 * per key and process is asked for at a time. While the database does not answer, a process counts alone,
 * from the count it saw last.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { ipKeyGenerator } from 'express-rate-limit';
import { countInWindow, deleteCountsBefore, type RateLimitName, type RateLimitSlot } from '../persistence/rate-limits.js';
import { principalOf, type FailedAuthentication } from './auth.js';
import { problems } from './problem.js';
import { SettingsError } from '../domain/settings-error.js';

export interface RateLimitSettings {
  /** Requests per minute per API key. */
  perKeyPerMinute: number;
  /** Failed authentications per client address in 15 minutes; past them, that address's failures get 429. */
  failedAuthPer15Minutes: number;
}

export function rateLimitSettings(env: NodeJS.ProcessEnv): RateLimitSettings {
  const positive = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new SettingsError(`${name} must be a whole number of at least 1`);
    return value;
  };
  return {
    perKeyPerMinute: positive('RATE_LIMIT_PER_KEY', 12_000),
    failedAuthPer15Minutes: positive('RATE_LIMIT_FAILED_AUTH', 30),
  };
}

export interface RateLimits {
  /** After authentication. */
  perKey: RequestHandler;
  failedAuthentication: FailedAuthentication;
}

export function createRateLimits({ perKeyPerMinute, failedAuthPer15Minutes }: RateLimitSettings): RateLimits {
  const perKey = sharedLimit('per-key', 'per_key', perKeyPerMinute, 60);
  const failures = sharedLimit('failed-authentication', 'failed_auth', failedAuthPer15Minutes, 15 * 60);
  return {
    perKey: async (req: Request, res: Response, next: NextFunction) => {
      const allowed = await perKey(res, principalOf(req).label);
      next(allowed ? undefined : tooMany('This API key sent more requests than its limit.'));
    },
    failedAuthentication: async (req, res, problem) => {
      const allowed = await failures(res, ipKeyGenerator(req.ip ?? ''));
      return allowed ? problem : tooMany('Too many requests with an invalid API key came from this address.');
    },
  };
}

const tooMany = (what: string) => problems.tooManyRequests(`${what} Wait for the time in Retry-After, then try again.`);

/** Counts one request for `key`, sets the limit's headers (and Retry-After when refused), and says whether it may go on. */
function sharedLimit(name: string, store: RateLimitName, limit: number, windowSeconds: number) {
  const take = leased(store, limit, windowSeconds * 1000);
  return async (res: Response, key: string): Promise<boolean> => {
    const { allowed, remaining, msLeft } = await take(key);
    const seconds = Math.ceil(msLeft / 1000);
    res.append('RateLimit', `"${name}"; r=${remaining}; t=${seconds}`);
    res.append('RateLimit-Policy', `"${name}"; q=${limit}; w=${windowSeconds}`);
    if (!allowed) res.set('Retry-After', String(seconds));
    return allowed;
  };
}

interface Verdict {
  allowed: boolean;
  /** What is left of the key's window, as far as this process knows. */
  remaining: number;
  msLeft: number;
}

interface Lease {
  window: number;
  /** Points of the lease within the limit, and those used. */
  granted: number;
  used: number;
  /** The key's slot in the shared count that the lease took (its total: the count once it was taken). */
  slot: RateLimitSlot;
}

/** A lease is this share of what is left of the window, or more when more requests wait for it. */
const LEASE_SHARE = 1 / 100;
/** How long a lease waits for the database before this process counts alone. */
export const RATE_LIMIT_STORE_WAIT_MS = 1_000;
const STORE_RETRY_MS = 5_000;

function leased(store: RateLimitName, limit: number, windowMs: number): (key: string) => Promise<Verdict> {
  const leases = new Map<string, Lease>();
  const renewals = new Map<string, Promise<void>>();
  const waiting = new Map<string, number>();
  let swept = 0;
  let storeRetryAt = 0;

  const renew = async (key: string, window: number, current: Lease | undefined) => {
    // Enough for every request waiting for it, so that a burst costs one lease, not one each.
    const size = Math.max(waiting.get(key) ?? 1, Math.floor((limit - Math.min(current?.slot.total ?? 0, limit)) * LEASE_SHARE));
    // Unreachable or slow: counting alone, as if no other process had counted since, and asking again
    // only after a while, so that requests do not each wait for it.
    const alone = () => {
      storeRetryAt = Date.now() + STORE_RETRY_MS;
      const before = current?.slot.total ?? 0;
      return { slot: { seq: current?.slot.seq ?? 0, total: before + size }, before };
    };
    const timeout = () => sleep(RATE_LIMIT_STORE_WAIT_MS, undefined, { ref: false }).then(() => Promise.reject(new Error('timed out')));
    const counted = Date.now() < storeRetryAt ? alone() : await Promise.race([countInWindow(store, key, window, size, current?.slot), timeout()]).catch(alone);
    leases.set(key, { window, granted: Math.max(0, Math.min(size, limit - counted.before)), used: 0, slot: counted.slot });
    if (window > swept) {
      swept = window;
      for (const [stale, lease] of leases) if (lease.window < window) leases.delete(stale);
      // Left running: the request need not wait for it, and a failed cleanup is done again a window later.
      void deleteCountsBefore(store, window).catch(() => undefined);
    }
  };

  return async (key) => {
    for (;;) {
      const now = Date.now();
      const window = Math.floor(now / windowMs);
      const lease = leases.get(key);
      const live = lease?.window === window ? lease : undefined;
      // Served from the lease; or refused without asking again once the window's count is full.
      if (live && (live.used < live.granted || live.slot.total >= limit)) {
        const allowed = live.used < live.granted;
        if (allowed) live.used++;
        return { allowed, remaining: Math.max(0, limit - live.slot.total) + live.granted - live.used, msLeft: (window + 1) * windowMs - now };
      }
      waiting.set(key, (waiting.get(key) ?? 0) + 1);
      try {
        let renewal = renewals.get(key);
        if (!renewal) {
          renewal = renew(key, window, live).finally(() => renewals.delete(key));
          renewals.set(key, renewal);
        }
        await renewal;
      } finally {
        const still = waiting.get(key)! - 1;
        if (still > 0) waiting.set(key, still);
        else waiting.delete(key);
      }
    }
  };
}
