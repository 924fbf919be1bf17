/**
 * Where a channel's webhook may point, in every environment: only at public unicast addresses, so that an
 * admin key (or a host name whose DNS someone controls) cannot turn the engine into a probe of this
 * machine, its private network or the cloud's metadata service. The ranges come from ipaddr.js (the IANA
 * special-purpose registries); the rules on top of them are here. Pure: the API checks a URL's literal
 * address and the addresses its host resolves to (services/webhook-targets.ts); each delivery checks the
 * resolved addresses again and connects only to those.
 *
 * Test receivers on loopback or a private network are allowed only through an explicit list of networks
 * (`WEBHOOK_ALLOWED_PRIVATE_NETWORKS`, refused in production). Unspecified, broadcast, multicast,
 * link-local and cloud metadata addresses stay refused even then.
 */
import ipaddr from 'ipaddr.js';
import { SettingsError } from './settings-error.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Networks a test set-up may reach although they are not public (`[address, prefix length]`). */
export type AllowedNetworks = ReadonlyArray<readonly [Address, number]>;

export interface WebhookAddressPolicy {
  /** Production: webhooks must use https. */
  requireHttps: boolean;
  /** The opt-in for test receivers (empty: none). */
  allowedNetworks: AllowedNetworks;
}

/** Refused whatever is allowed: no webhook lives on these, and reaching them is what an attacker wants. */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OCI, OpenStack, DigitalOcean instance metadata (also link-local)
  '169.254.170.2', // AWS ECS task credentials (also link-local)
  'fd00:ec2:0:0:0:0:0:254', // AWS instance metadata over IPv6
  'fd00:ec2:0:0:0:0:0:23', // AWS EKS pod identity over IPv6
  '100.100.100.200', // Alibaba Cloud metadata
  '168.63.129.16', // Azure's host endpoint (a public address only reachable from inside Azure)
]);

/** Ranges that an allowed network cannot open up. */
const NEVER_ALLOWED_RANGES = new Set(['unspecified', 'broadcast', 'multicast', 'linkLocal']);

const RANGE_WORDS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  uniqueLocal: 'a private (unique-local) address',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  deprecatedSiteLocal: 'a private (site-local) address',
};

/** NAT64's well-known prefix 64:ff9b::/96 (RFC 6052): the last 32 bits are the IPv4 address reached. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
/** Global unicast (2000::/3): everything outside it is reserved or special-purpose. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * Parses the opt-in list: comma- or space-separated CIDRs (`127.0.0.0/8,::1/128`) or single addresses.
 * Throws naming the entry that is not one.
 */
export function parseAllowedNetworks(raw: string | undefined): AllowedNetworks {
  const entries = (raw ?? '').split(/[\s,]+/).filter(Boolean);
  return entries.map((entry) => {
    try {
      if (entry.includes('/')) return ipaddr.parseCIDR(entry);
      const address = ipaddr.parse(entry);
      return [address, address.kind() === 'ipv4' ? 32 : 128] as const;
    } catch {
      throw new SettingsError(`WEBHOOK_ALLOWED_PRIVATE_NETWORKS: "${entry}" is not an address or a CIDR such as 127.0.0.0/8`);
    }
  });
}

/**
 * The address a connection to `address` actually reaches when it embeds an IPv4 one (IPv4-mapped
 * `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`), else the address itself.
 */
function effectiveAddress(address: Address): Address {
  if (address.kind() !== 'ipv6') return address;
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  if (v6.match(NAT64_WELL_KNOWN)) {
    const [high, low] = v6.parts.slice(6);
    return new ipaddr.IPv4([high >> 8, high & 255, low >> 8, low & 255]);
  }
  return v6;
}

function isAllowed(address: Address, allowed: AllowedNetworks): boolean {
  return allowed.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
}

/**
 * Why a webhook must not connect to this IP address (as `dns.lookup` answers or a URL holds it, IPv6
 * with or without brackets), or undefined when it may. Anything but a public unicast address is refused,
 * unless an allowed network holds it and it is not unspecified, broadcast, multicast, link-local or a
 * cloud metadata address.
 */
export function webhookAddressProblem(text: string, allowed: AllowedNetworks = []): string | undefined {
  const literal = text.replace(/^\[|\]$/g, '');
  let parsed: Address;
  try {
    // ipaddr.parse also reads 2130706433 and 0x7f.1; URL hosts and lookups only ever hold the canonical forms.
    parsed = ipaddr.parse(literal);
  } catch {
    return `must point at a valid address (${literal})`;
  }
  const address = effectiveAddress(parsed);
  const shown = address === parsed ? literal : `${literal}, that is ${address.toString()}`;
  if (METADATA_ADDRESSES.has(address.toNormalizedString())) return `must not point at a cloud metadata address (${shown})`;

  const range = address.range() as string;
  const publicUnicast = range === 'unicast' && (address.kind() === 'ipv4' || address.match(GLOBAL_UNICAST_V6));
  if (publicUnicast) return undefined;
  if (!NEVER_ALLOWED_RANGES.has(range) && (isAllowed(address, allowed) || isAllowed(parsed, allowed))) return undefined;
  return `must not point at ${RANGE_WORDS[range] ?? 'a reserved or special-purpose address'} (${shown})`;
}

/** The host of a URL's `hostname` as an IP address literal (IPv6 without brackets), or undefined for a name. */
export function addressLiteralOf(hostname: string): string | undefined {
  if (hostname.startsWith('[')) return hostname.slice(1, -1);
  // WHATWG URL turns every IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1) into a dotted quad.
  return ipaddr.IPv4.isValidFourPartDecimal(hostname) ? hostname : undefined;
}

/**
 * Why a host name is refused by its name alone, or undefined: names of this machine, of the local
 * network, and of internal zones (`metadata.google.internal`, `*.local`, ...), and single-label names,
 * which the resolver completes with internal search domains. Only without an opt-in: with one, a test
 * set-up's names are judged by the addresses they resolve to, like every name.
 */
export function webhookHostNameProblem(hostname: string, allowed: AllowedNetworks = []): string | undefined {
  if (allowed.length > 0) return undefined;
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || /\.(localhost|local|internal|intranet|lan|home\.arpa)$/.test(host) || host === 'metadata.goog') {
    return `must not point at an internal host (${host})`;
  }
  if (!host.includes('.')) return `must name a host by its full domain name (${host})`;
  return undefined;
}

/**
 * Why this (already parsed, http(s)) webhook URL is refused before any lookup, or undefined: https in
 * production, no address literal outside the public unicast space, no internal host name. A name that
 * passes must still resolve to allowed addresses only (services/webhook-targets.ts).
 */
export function webhookUrlProblem(url: string, policy: WebhookAddressPolicy): string | undefined {
  const { protocol, hostname } = new URL(url);
  if (policy.requireHttps && protocol !== 'https:') return 'must use https in production';
  const literal = addressLiteralOf(hostname);
  return literal === undefined ? webhookHostNameProblem(hostname, policy.allowedNetworks) : webhookAddressProblem(literal, policy.allowedNetworks);
}

/** The warning the API and the worker log at start when the opt-in is set, or undefined. */
export function allowedNetworksWarning({ allowedNetworks }: WebhookAddressPolicy): string | undefined {
  if (allowedNetworks.length === 0) return undefined;
  const networks = allowedNetworks.map(([network, bits]) => `${network.toString()}/${bits}`).join(', ');
  return `WEBHOOK_ALLOWED_PRIVATE_NETWORKS lets webhooks reach ${networks}: for test receivers only`;
}

/**
 * The policy from the environment: https in production, and `WEBHOOK_ALLOWED_PRIVATE_NETWORKS` as the
 * opt-in for test receivers, which production refuses to start with (a test set-up's setting carried
 * into production would silently reopen the internal network).
 */
export function loadWebhookAddressPolicy(env: NodeJS.ProcessEnv): WebhookAddressPolicy {
  const production = env.NODE_ENV === 'production';
  const allowedNetworks = parseAllowedNetworks(env.WEBHOOK_ALLOWED_PRIVATE_NETWORKS);
  if (production && allowedNetworks.length > 0) {
    throw new SettingsError('WEBHOOK_ALLOWED_PRIVATE_NETWORKS must not be set in production: webhooks there reach public addresses only');
  }
  return { requireHttps: production, allowedNetworks };
}
