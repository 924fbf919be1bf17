/**
 * Where a webhook URL leads, checked against the address policy (domain/webhook-addresses.ts), and a POST
 * that connects to exactly the checked addresses. The API resolves a URL's host when it is set; each
 * delivery resolves it again (DNS may have changed since), refuses it if any address is not allowed, and
 * hands the checked addresses to the connection as its `lookup`, so a second answer of the DNS (rebinding
 * between the check and the connect) is never asked for. Redirects are not followed.
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { addressLiteralOf, loadWebhookAddressPolicy, webhookAddressProblem, webhookUrlProblem, type WebhookAddressPolicy } from '../domain/webhook-addresses.js';
import { loadWebhookSecretKeys, type WebhookSecretKeys } from '../domain/webhook-secrets.js';

/** Every address a host name resolves to (as the connection would look it up). */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** What setting and delivering webhooks need: the address policy, the keys of the stored secrets, a resolver. */
export interface WebhookSettings {
  policy: WebhookAddressPolicy;
  keys: WebhookSecretKeys;
  /** Default: the system resolver (`dns.lookup`); tests hand in names of their own. */
  resolve?: HostResolver;
}

/** The webhook settings of the environment (WEBHOOK_ALLOWED_PRIVATE_NETWORKS, WEBHOOK_SECRET_KEY, ...). */
export function loadWebhookSettings(env: NodeJS.ProcessEnv, resolve?: HostResolver): WebhookSettings {
  return { policy: loadWebhookAddressPolicy(env), keys: loadWebhookSecretKeys(env), resolve };
}

/** How long a host name's lookup may take. */
const LOOKUP_TIMEOUT_MS = 5_000;

/** `dns.lookup` with `all`: the system resolver, /etc/hosts included, as node:http would use it. */
export const systemResolver: HostResolver = async (hostname) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${LOOKUP_TIMEOUT_MS / 1000}s`), { code: 'ETIMEOUT' })), LOOKUP_TIMEOUT_MS);
  });
  try {
    return (await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout])).map((entry) => entry.address);
  } finally {
    clearTimeout(timer);
  }
};

export type WebhookTarget =
  | { ok: true; hostname: string; addresses: string[] }
  /** `invalid`: the URL itself (scheme, literal address, host name); `refused`: an address it resolves to; `unresolvable`: no address. */
  | { ok: false; kind: 'invalid' | 'refused' | 'unresolvable'; problem: string };

/** The addresses a webhook URL may connect to, or why it may not be called. */
export async function resolveWebhookTarget(url: string, policy: WebhookAddressPolicy, resolve: HostResolver = systemResolver): Promise<WebhookTarget> {
  const urlProblem = webhookUrlProblem(url, policy);
  if (urlProblem) return { ok: false, kind: 'invalid', problem: urlProblem };
  const { hostname } = new URL(url);
  const literal = addressLiteralOf(hostname);
  if (literal !== undefined) return { ok: true, hostname, addresses: [literal] };

  let addresses: string[];
  try {
    addresses = await resolve(hostname);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, kind: 'unresolvable', problem: `must name a host that resolves (${hostname}: ${typeof code === 'string' ? code : 'lookup failed'})` };
  }
  if (addresses.length === 0) return { ok: false, kind: 'unresolvable', problem: `must name a host that resolves (${hostname}: no address)` };
  for (const address of addresses) {
    const problem = webhookAddressProblem(address, policy.allowedNetworks);
    if (problem) return { ok: false, kind: 'refused', problem: `${problem}, which ${hostname} resolves to` };
  }
  return { ok: true, hostname, addresses };
}

/** A `lookup` for the connection that answers only the checked addresses. */
function pinnedLookup(addresses: string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  return (_hostname, options, callback) => {
    if (options.all) (callback as (error: null, addresses: typeof entries) => void)(null, entries);
    else callback(null, entries[0].address, entries[0].family);
  };
}

/**
 * POSTs `body` to `url`, connecting only to `addresses` (the host name still goes into the Host header
 * and TLS's server name and certificate check). Resolves with the status code; the answer's body is
 * not read. Rejects on a network error, or with a `TimeoutError` when there is no answer within `timeoutMs`.
 */
export function postToPinnedAddresses(
  url: string,
  addresses: string[],
  request: { headers: Record<string, string>; body: string; timeoutMs: number },
): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? https.request : http.request;
  const signal = AbortSignal.timeout(request.timeoutMs);
  return new Promise((resolve, reject) => {
    const outgoing = send(target, {
      method: 'POST',
      headers: { ...request.headers, 'Content-Length': String(Buffer.byteLength(request.body)) },
      // A connection of its own, made to the addresses just checked (a pooled one may predate the check).
      agent: false,
      lookup: pinnedLookup(addresses),
      signal,
    });
    outgoing.on('response', (response) => {
      // Only the status counts: the body is not read, and the connection (our own) is closed.
      response.on('error', () => {});
      response.destroy();
      resolve(response.statusCode ?? 0);
    });
    outgoing.on('error', (error) => reject(signal.aborted ? Object.assign(new Error('timed out'), { name: 'TimeoutError' }) : error));
    outgoing.end(request.body);
  });
}
