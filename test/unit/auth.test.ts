import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEV_API_KEYS, loadApiKeys, mayHandleWarehouse, parseApiKeys } from '../../api/auth.js';

const KEY = 'k3y-0123456789abcdef';
const OTHER_KEY = 'another-key-fedcba9876';

const principals = (spec: string) => parseApiKeys(spec).map((entry) => entry.principal);

/** The error parseApiKeys throws, so a test can check what it says and what it does not. */
function parseError(spec: string): Error {
  try {
    parseApiKeys(spec);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected ${JSON.stringify(spec)} to be rejected`);
}

describe('parseApiKeys', () => {
  it('accepts a comma separated list of <key>=<role>[:<channel>]', () => {
    expect(principals(` ${KEY}=channel:web , ${OTHER_KEY}=admin,`)).toEqual([
      { role: 'channel', channel: 'web', label: 'channel:web' },
      { role: 'admin', channel: undefined, label: 'admin' },
    ]);
    expect(principals(`${KEY}=support,${OTHER_KEY}=warehouse`).map((p) => p.role)).toEqual(['support', 'warehouse']);
  });

  it('binds a warehouse key to the warehouses it names, and leaves one without names for every warehouse', () => {
    const [bound, unbound] = principals(`${KEY}=warehouse:wh-berlin+wh-paris,${OTHER_KEY}=warehouse`);
    expect(bound).toEqual({ role: 'warehouse', warehouses: ['wh-berlin', 'wh-paris'], label: 'warehouse:wh-berlin+wh-paris' });
    expect([mayHandleWarehouse(bound, 'wh-paris'), mayHandleWarehouse(bound, 'wh-madrid')]).toEqual([true, false]);
    expect(mayHandleWarehouse(unbound, 'wh-madrid')).toBe(true);
  });

  it('stores a digest of the key, not the key itself', () => {
    const [entry] = parseApiKeys(`${KEY}=admin`);
    expect(entry.digest).toHaveLength(32);
    expect(JSON.stringify(entry)).not.toContain(KEY);
  });

  it.each([
    ['a key shorter than 16 characters', `${'k'.repeat(15)}=admin`],
    ['an unknown role', `${KEY}=root`],
    ['the channel role without a channel', `${KEY}=channel`],
    ['a channel on another role', `${KEY}=admin:web`],
    ['two channels', `${KEY}=channel:web+store`],
    ['an empty warehouse name', `${KEY}=warehouse:wh-1+`],
    ['a missing role', KEY],
  ])('rejects %s without revealing the key', (_what, entry) => {
    const error = parseError(`${OTHER_KEY}=admin,${entry}`);
    expect(error.message).toMatch(/API_KEYS entry 2/);
    expect(error.message).not.toContain(entry.split('=')[0]);
    expect(error.message).not.toContain(OTHER_KEY);
  });
});

describe('loadApiKeys', () => {
  it('refuses to start in production without API_KEYS', () => {
    expect(() => loadApiKeys({ NODE_ENV: 'production' })).toThrow(/API_KEYS must be set in production/);
    expect(() => loadApiKeys({ NODE_ENV: 'production', API_KEYS: '   ' })).toThrow(/API_KEYS must be set in production/);
  });

  it('refuses an API_KEYS that names no key, rather than silently accepting nothing', () => {
    expect(() => loadApiKeys({ NODE_ENV: 'production', API_KEYS: ' , ,' })).toThrow(/names no key/);
    expect(() => loadApiKeys({ API_KEYS: ',' })).toThrow(/names no key/);
  });

  it('uses the configured keys, also in production', () => {
    expect(loadApiKeys({ NODE_ENV: 'production', API_KEYS: `${KEY}=admin` }).map((e) => e.principal.role)).toEqual(['admin']);
  });

  it('gives the documented dev keys outside production when none are configured', () => {
    const keys = loadApiKeys({ NODE_ENV: 'development' });
    expect(keys.map((e) => e.principal.label)).toEqual(['channel:web', 'channel:store', 'support', 'warehouse', 'admin']);
    const sha256 = (key: string) => createHash('sha256').update(key).digest();
    expect(keys.map((e) => e.digest)).toEqual(DEV_API_KEYS.map(({ key }) => sha256(key)));
    expect(loadApiKeys({}).length).toBe(DEV_API_KEYS.length);
  });
});
