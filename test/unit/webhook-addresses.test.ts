/**
 * Where a webhook may point (domain/webhook-addresses.ts): the refused ranges in every spelling a URL
 * accepts, checked through `new URL` as the API receives them, against an oracle of the ranges written
 * out here independently of ipaddr.js.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  loadWebhookAddressPolicy,
  parseAllowedNetworks,
  webhookAddressProblem,
  webhookUrlProblem,
  type WebhookAddressPolicy,
} from '../../domain/webhook-addresses.js';

const DEFAULT: WebhookAddressPolicy = { requireHttps: false, allowedNetworks: [] };
const PRODUCTION: WebhookAddressPolicy = { requireHttps: true, allowedNetworks: [] };
const withAllowed = (networks: string): WebhookAddressPolicy => ({ requireHttps: false, allowedNetworks: parseAllowedNetworks(networks) });

// The IPv4 space a webhook must not reach: [first address, prefix length].
const REFUSED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 reaches this machine
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared address space (CGNAT), Alibaba's metadata 100.100.100.200
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, the metadata service 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.31.196.0', 24],
  ['192.52.193.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['192.175.48.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255
  ['168.63.129.16', 32], // Azure's host endpoint
];

const toUint = (dotted: string) => dotted.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const toDotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const inRange = (n: number, [base, bits]: [string, number]) => bits === 0 || n >>> (32 - bits) === toUint(base) >>> (32 - bits);
const refusedByOracle = (n: number) => REFUSED_V4.some((range) => inRange(n, range));

/** Every way a URL may spell an IPv4 address; WHATWG URL turns each into the dotted quad. */
function spellings(n: number): string[] {
  const octets = toDotted(n).split('.').map(Number);
  const hex = (value: number) => value.toString(16).padStart(4, '0');
  return [
    toDotted(n),
    String(n),
    `0x${n.toString(16)}`,
    octets.map((o) => `0${o.toString(8)}`).join('.'),
    `${octets[0]}.${(n & 0xffffff) >>> 0}`,
    `[::ffff:${toDotted(n)}]`,
    `[::ffff:${hex(n >>> 16)}:${hex(n & 0xffff)}]`,
    `[64:ff9b::${toDotted(n)}]`,
  ];
}

const refusedV4 = fc
  .constantFrom(...REFUSED_V4)
  .chain(([base, bits]) => fc.integer({ min: 0, max: bits === 32 ? 0 : 2 ** (32 - bits) - 1 }).map((host) => (toUint(base) + host) >>> 0));
const publicV4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).filter((n) => !refusedByOracle(n));

describe('webhookUrlProblem', () => {
  it('refuses every address of the loopback, private, link-local, shared, reserved and multicast ranges, however it is spelled', () => {
    fc.assert(
      fc.property(refusedV4, fc.constantFrom('http', 'https'), (n, scheme) => {
        for (const host of spellings(n)) {
          expect(webhookUrlProblem(`${scheme}://${host}:8443/hook`, DEFAULT), `${host} (${toDotted(n)})`).toMatch(/^must not point at /);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts every other IPv4 address, however it is spelled', () => {
    fc.assert(
      fc.property(publicV4, (n) => {
        for (const host of spellings(n)) expect(webhookUrlProblem(`https://${host}/hook`, DEFAULT), `${host} (${toDotted(n)})`).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('refuses the IPv6 loopback, unspecified, link-local, unique-local, multicast and non-global addresses', () => {
    const v6In = (prefix: number, bits: number) =>
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((parts) => {
        const fixed = 16 - Math.min(bits, 16);
        parts[0] = (prefix & ~((1 << fixed) - 1) & 0xffff) | (parts[0] & ((1 << fixed) - 1));
        return parts.map((part) => part.toString(16)).join(':');
      });
    const special = fc.oneof(v6In(0xfe80, 10), v6In(0xfc00, 7), v6In(0xff00, 8), v6In(0x0000, 3), v6In(0x4000, 2), v6In(0xc000, 3));
    fc.assert(
      fc.property(special, (address) => {
        expect(webhookUrlProblem(`https://[${address}]/hook`, DEFAULT), address).toMatch(/^must not point at /);
      }),
    );
    for (const address of ['::1', '::', '::127.0.0.1', '2001:db8::1', '2002:7f00:1::1', '2001::1', 'fec0::1']) {
      expect(webhookUrlProblem(`https://[${address}]/hook`, DEFAULT), address).toMatch(/^must not point at /);
    }
  });

  it('names what the address is', () => {
    expect(webhookUrlProblem('http://169.254.169.254/latest/meta-data/', DEFAULT)).toBe('must not point at a cloud metadata address (169.254.169.254)');
    expect(webhookUrlProblem('http://[fd00:ec2::254]/latest', DEFAULT)).toBe('must not point at a cloud metadata address (fd00:ec2::254)');
    expect(webhookUrlProblem('http://2130706433/', DEFAULT)).toBe('must not point at a loopback address (127.0.0.1)');
    expect(webhookUrlProblem('http://[::ffff:127.0.0.1]/', DEFAULT)).toBe('must not point at a loopback address (::ffff:7f00:1, that is 127.0.0.1)');
    expect(webhookUrlProblem('http://[::1]/', DEFAULT)).toBe('must not point at a loopback address (::1)');
    expect(webhookUrlProblem('http://10.1.2.3/', DEFAULT)).toBe('must not point at a private (RFC 1918) address (10.1.2.3)');
    expect(webhookUrlProblem('http://[fd12::1]/', DEFAULT)).toBe('must not point at a private (unique-local) address (fd12::1)');
    expect(webhookUrlProblem('http://100.64.0.1/', DEFAULT)).toBe('must not point at a shared (carrier-grade NAT) address (100.64.0.1)');
    expect(webhookUrlProblem('http://0.0.0.0/', DEFAULT)).toBe('must not point at an unspecified address (0.0.0.0)');
    expect(webhookUrlProblem('http://[fe80::1]/', DEFAULT)).toBe('must not point at a link-local address (fe80::1)');
  });

  it('accepts public addresses and host names', () => {
    for (const url of ['https://shop.example.com/oms/events', 'http://shop.example.com:8080/hook', 'https://93.184.215.14:8443/hook', 'https://[2606:4700::1111]/hook', 'https://[64:ff9b::8.8.8.8]/hook']) {
      expect(webhookUrlProblem(url, DEFAULT), url).toBeUndefined();
    }
  });

  it('refuses internal host names by their name, and single-label ones', () => {
    for (const host of ['localhost', 'LOCALHOST.', 'api.localhost', 'metadata.google.internal', 'db.internal', 'printer.local', 'nas.home.arpa', 'metadata.goog']) {
      expect(webhookUrlProblem(`https://${host}/hook`, DEFAULT), host).toMatch(/^must not point at an internal host/);
    }
    for (const host of ['metadata', 'kubernetes']) expect(webhookUrlProblem(`https://${host}/hook`, DEFAULT), host).toMatch(/^must name a host by its full domain name/);
  });

  it('requires https in production', () => {
    expect(webhookUrlProblem('http://shop.example.com/hook', PRODUCTION)).toBe('must use https in production');
    expect(webhookUrlProblem('https://shop.example.com/hook', PRODUCTION)).toBeUndefined();
    expect(webhookUrlProblem('https://127.0.0.1/hook', PRODUCTION)).toMatch(/loopback/);
  });
});

describe('the opt-in for test receivers (WEBHOOK_ALLOWED_PRIVATE_NETWORKS)', () => {
  it('allows exactly the listed networks, and judges host names only by their addresses', () => {
    const policy = withAllowed('127.0.0.0/8, ::1 10.20.0.0/16');
    for (const url of ['http://127.0.0.1:9999/hook', 'http://127.8.9.10/hook', 'http://[::1]/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://10.20.3.4/hook', 'http://localhost:9999/hook', 'http://receiver/hook']) {
      expect(webhookUrlProblem(url, policy), url).toBeUndefined();
    }
    for (const url of ['http://10.21.0.1/hook', 'http://192.168.1.1/hook', 'http://[::2]/hook']) expect(webhookUrlProblem(url, policy), url).toMatch(/^must not point at /);
  });

  it('never opens up unspecified, link-local, multicast, broadcast or metadata addresses', () => {
    const policy = withAllowed('0.0.0.0/0, ::/0');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 16 - 1 }), (host) => {
        expect(webhookAddressProblem(toDotted((toUint('169.254.0.0') + host) >>> 0), policy.allowedNetworks)).toMatch(/link-local|metadata/);
      }),
    );
    for (const address of ['0.0.0.0', '::', '255.255.255.255', '224.0.0.251', 'ff02::1', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '168.63.129.16', '::ffff:169.254.169.254']) {
      expect(webhookAddressProblem(address, policy.allowedNetworks), address).toMatch(/^must not point at /);
    }
    expect(webhookAddressProblem('10.0.0.1', policy.allowedNetworks)).toBeUndefined();
  });

  it('is refused in production, and a malformed entry is named', () => {
    expect(loadWebhookAddressPolicy({ NODE_ENV: 'production' })).toEqual({ requireHttps: true, allowedNetworks: [] });
    expect(() => loadWebhookAddressPolicy({ NODE_ENV: 'production', WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.1/32' })).toThrow(/must not be set in production/);
    expect(loadWebhookAddressPolicy({ WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.1/32' }).allowedNetworks).toHaveLength(1);
    expect(loadWebhookAddressPolicy({}).allowedNetworks).toEqual([]);
    expect(() => parseAllowedNetworks('127.0.0.0/8,localhost')).toThrow(/"localhost" is not an address or a CIDR/);
    expect(() => parseAllowedNetworks('10.0.0.0/33')).toThrow(/"10.0.0.0\/33"/);
  });
});
