/**
 * /v1/channels/{channel}/webhook over real HTTP and FerretDB: admin only, validated, the URL leading to
 * public addresses only, and the secret write-only (stored encrypted for signing, never in an answer).
 * No worker: nothing here starts an order. Host names resolve from a table (the machines have no DNS).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueId } from '../support/fixtures.js';
import { tableResolver } from '../support/webhook-dns.js';
import { KEYS, expectProblem, startApi, type ApiCall, type ApiHarness } from './harness.js';
import { ChannelSettingModel } from '../../persistence/channels.js';
import { decryptWebhookSecret, loadWebhookSecretKeys, WebhookSecretUnreadable } from '../../domain/webhook-secrets.js';

const WEBHOOK_SECRET_KEY = randomBytes(32).toString('base64');
const secretKeys = loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY });
const resolver = tableResolver({
  'shop.example.com': ['93.184.215.14'],
  'hooks.example.net': ['93.184.215.15', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'rebound.example.com': ['10.0.0.7'],
  'metadata.example.com': ['169.254.169.254'],
  'dual.example.com': ['93.184.215.14', '127.0.0.1'],
});

let harness: ApiHarness;
let api: ApiCall;
/** A second API on the same database and Temporal, with the explicit opt-in a test receiver on loopback needs. */
let optedIn: ApiCall;

beforeAll(async () => {
  // As in production: no WEBHOOK_ALLOWED_PRIVATE_NETWORKS.
  harness = await startApi({ database: 'api_channel_webhooks', worker: false, env: { WEBHOOK_SECRET_KEY }, webhookResolver: resolver });
  api = harness.api;
  ({ api: optedIn } = await harness.anotherApi({ LOG_LEVEL: 'error', WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8,::1/128' }));
});

afterAll(async () => {
  await harness?.close();
});

const newSecret = () => `whsec-${randomUUID()}`;
const webhookPath = (channel: string) => `/v1/channels/${channel}/webhook`;

/** What the model stores, the encrypted secret included (as only the delivery activity reads it). */
const storedWebhook = async (channel: string) => (await ChannelSettingModel.findById(channel).select('+webhook.encryptedSecret').lean())?.webhook;
/** The stored secret, decrypted with the API's key. */
const storedSecret = async (channel: string) => {
  const envelope = (await storedWebhook(channel))?.encryptedSecret;
  return envelope ? decryptWebhookSecret(secretKeys, channel, envelope) : undefined;
};

describe('channel webhook settings', () => {
  it('creates with 201, replaces with 200, and never answers with the secret', async () => {
    const channel = uniqueId('shop');
    const [first, second] = [newSecret(), newSecret()];

    const created = await api('PUT', webhookPath(channel), KEYS.admin, { url: 'https://shop.example.com/oms/events', secret: first });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ channel, url: 'https://shop.example.com/oms/events', secretSet: true, updatedAt: expect.any(String) });

    const replaced = await api('PUT', webhookPath(channel), KEYS.admin, { url: 'http://hooks.example.net:8080/hook', secret: second });
    expect(replaced.status).toBe(200);
    const read = await api('GET', webhookPath(channel), KEYS.admin);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ channel, url: 'http://hooks.example.net:8080/hook', secretSet: true, updatedAt: replaced.body.updatedAt });

    for (const response of [created, replaced, read]) {
      expect(JSON.stringify(response.body)).not.toContain(first);
      expect(JSON.stringify(response.body)).not.toContain(second);
    }
    expect(await storedWebhook(channel)).toMatchObject({ url: 'http://hooks.example.net:8080/hook' });
    expect(await storedSecret(channel)).toBe(second);
    // Reads that do not ask for the secret do not get it.
    expect((await ChannelSettingModel.findById(channel).lean())?.webhook).not.toHaveProperty('encryptedSecret');
  });

  it('stores the secret only encrypted with WEBHOOK_SECRET_KEY, bound to its channel', async () => {
    const channel = uniqueId('shop');
    const secret = newSecret();
    expect((await api('PUT', webhookPath(channel), KEYS.admin, { url: 'https://shop.example.com/oms/events', secret })).status).toBe(201);

    // The document as the database holds it: no trace of the secret, in any field.
    const raw = await ChannelSettingModel.collection.findOne({ _id: channel as never });
    expect(JSON.stringify(raw)).not.toContain(secret);
    expect(raw?.webhook).not.toHaveProperty('secret');
    expect(raw?.webhook.encryptedSecret).toMatch(new RegExp(`^v1\\.${secretKeys.current.id}\\.`));
    expect(await storedSecret(channel)).toBe(secret);

    // Another key does not open it, and says which key it needs.
    const otherKeys = loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: randomBytes(32).toString('hex') });
    expect(() => decryptWebhookSecret(otherKeys, channel, raw!.webhook.encryptedSecret)).toThrow(WebhookSecretUnreadable);
    expect(() => decryptWebhookSecret(otherKeys, channel, raw!.webhook.encryptedSecret)).toThrow(new RegExp(`encrypted with key ${secretKeys.current.id}`));
  });

  it('refuses loopback, private, link-local and metadata URLs in every environment: by the URL (400) or by what its host resolves to (422)', async () => {
    const channel = uniqueId('shop');
    const secret = newSecret();
    await api('PUT', webhookPath(channel), KEYS.admin, { url: 'https://shop.example.com/hook', secret });

    const invalid: Array<[string, RegExp]> = [
      ['http://127.0.0.1:9999/hook', /^must not point at a loopback address \(127\.0\.0\.1\)$/],
      ['http://2130706433/hook', /loopback address \(127\.0\.0\.1\)/],
      ['http://[::1]/hook', /loopback address \(::1\)/],
      ['http://[::ffff:127.0.0.1]/hook', /loopback address \(::ffff:7f00:1, that is 127\.0\.0\.1\)/],
      ['http://169.254.169.254/latest/meta-data/', /^must not point at a cloud metadata address \(169\.254\.169\.254\)$/],
      ['http://[fd00:ec2::254]/latest/meta-data/', /cloud metadata address/],
      ['http://10.0.0.1/hook', /private \(RFC 1918\) address/],
      ['http://localhost:9999/hook', /^must not point at an internal host \(localhost\)$/],
      ['http://metadata.google.internal/computeMetadata/v1/', /internal host \(metadata\.google\.internal\)/],
    ];
    for (const [url, message] of invalid) {
      const problem = expectProblem(await api('PUT', webhookPath(channel), KEYS.admin, { url, secret: newSecret() }), 400);
      expect(problem.errors, url).toEqual([{ path: 'url', message: expect.stringMatching(message) }]);
    }

    const unusable: Array<[string, RegExp]> = [
      ['https://rebound.example.com/hook', /^must not point at a private \(RFC 1918\) address \(10\.0\.0\.7\), which rebound\.example\.com resolves to$/],
      ['https://metadata.example.com/latest/meta-data/', /cloud metadata address \(169\.254\.169\.254\), which metadata\.example\.com resolves to/],
      ['https://dual.example.com/hook', /loopback address \(127\.0\.0\.1\), which dual\.example\.com resolves to/],
      ['https://hooks.example.invalid/hook', /^must name a host that resolves \(hooks\.example\.invalid: ENOTFOUND\)$/],
    ];
    for (const [url, message] of unusable) {
      const problem = expectProblem(await api('PUT', webhookPath(channel), KEYS.admin, { url, secret: newSecret() }), 422);
      expect(problem.errors, url).toEqual([{ path: 'url', message: expect.stringMatching(message) }]);
      expect(problem.detail).toMatch(/^The webhook URL cannot be used: it /);
    }

    expect(await storedWebhook(channel)).toMatchObject({ url: 'https://shop.example.com/hook' });
    expect(await storedSecret(channel)).toBe(secret);
  });

  it('accepts a test receiver on loopback only with the explicit opt-in, and never a metadata address', async () => {
    const channel = uniqueId('shop');
    for (const url of ['http://127.0.0.1:9999/hook', 'http://localhost:9999/hook', 'http://[::1]:9999/hook']) {
      const response = await optedIn('PUT', webhookPath(channel), KEYS.admin, { url, secret: newSecret() });
      expect(response.status, url).toBeLessThan(300);
    }
    expectProblem(await optedIn('PUT', webhookPath(channel), KEYS.admin, { url: 'http://169.254.169.254/latest/meta-data/', secret: newSecret() }), 400);
    expectProblem(await optedIn('PUT', webhookPath(channel), KEYS.admin, { url: 'https://metadata.example.com/', secret: newSecret() }), 422);
    expectProblem(await optedIn('PUT', webhookPath(channel), KEYS.admin, { url: 'http://10.0.0.1/hook', secret: newSecret() }), 400);
  });

  it('accepts a URL of exactly 2,048 characters as sent, though normalizing it adds a /, and refuses 2,049', async () => {
    const channel = uniqueId('shop');
    const start = 'https://shop.example.com?q=';
    const url = `${start}${'a'.repeat(2048 - start.length)}`;
    expect(url).toHaveLength(2048);

    const created = await api('PUT', webhookPath(channel), KEYS.admin, { url, secret: newSecret() });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.url).toBe(url.replace('.com?', '.com/?'));

    const problem = expectProblem(await api('PUT', webhookPath(channel), KEYS.admin, { url: `${url}a`, secret: newSecret() }), 400);
    expect(problem.errors).toEqual([{ path: 'url', message: 'must be at most 2048 characters' }]);
  });

  it('rejects a bad url or secret with a 400 naming the field, without echoing the secret or changing anything', async () => {
    const channel = uniqueId('shop');
    const secret = newSecret();
    await api('PUT', webhookPath(channel), KEYS.admin, { url: 'https://shop.example.com/hook', secret });
    const cases: Array<{ body: Record<string, unknown>; field: string }> = [
      { body: { url: 'ftp://shop.example.com/hook', secret: newSecret() }, field: 'url' },
      { body: { url: 'not a url', secret: newSecret() }, field: 'url' },
      { body: { url: 'https://user:pass@shop.example.com/hook', secret: newSecret() }, field: 'url' },
      { body: { url: 'https://shop.example.com/other', secret: 'too-short-secret' }, field: 'secret' },
      { body: { url: 'https://shop.example.com/other', secret: `with spaces ${newSecret()}` }, field: 'secret' },
      { body: { url: 'https://shop.example.com/other' }, field: 'secret' },
      { body: { url: 'https://shop.example.com/other', secret: newSecret(), enabled: true }, field: '(root)' },
    ];

    for (const { body, field } of cases) {
      const response = await api('PUT', webhookPath(channel), KEYS.admin, body);
      const problem = expectProblem(response, 400);
      expect(problem.errors?.map((e) => e.path), JSON.stringify(body)).toContain(field);
      expect(problem.errors?.every((e) => e.message.length > 0)).toBe(true);
      if (typeof body.secret === 'string') expect(JSON.stringify(problem)).not.toContain(body.secret);
    }
    expectProblem(await api('PUT', webhookPath('web.shop'), KEYS.admin, { url: 'https://shop.example.com/hook', secret }), 400);

    expect(await storedWebhook(channel)).toMatchObject({ url: 'https://shop.example.com/hook' });
    expect(await storedSecret(channel)).toBe(secret);
    expect(await ChannelSettingModel.exists({ _id: 'web.shop' })).toBeNull();
  });

  it('is for admins only (403), and a refused request changes nothing', async () => {
    const channel = uniqueId('shop');
    const body = { url: 'https://shop.example.com/hook', secret: newSecret() };
    for (const key of [KEYS.web, KEYS.support, KEYS.warehouse]) {
      expect(expectProblem(await api('PUT', webhookPath(channel), key, body), 403).detail).toMatch(/admin/);
      expectProblem(await api('GET', webhookPath(channel), key), 403);
      expectProblem(await api('DELETE', webhookPath(channel), key), 403);
    }
    expectProblem(await api('PUT', webhookPath(channel), undefined, body), 401);
    expect(await ChannelSettingModel.exists({ _id: channel })).toBeNull();
  });

  it('switches the webhook off with DELETE, forgetting the secret', async () => {
    const channel = uniqueId('shop');
    expectProblem(await api('GET', webhookPath(channel), KEYS.admin), 404);
    await api('PUT', webhookPath(channel), KEYS.admin, { url: 'https://shop.example.com/hook', secret: newSecret() });

    expect((await api('DELETE', webhookPath(channel), KEYS.admin)).status).toBe(204);

    expectProblem(await api('GET', webhookPath(channel), KEYS.admin), 404);
    expectProblem(await api('DELETE', webhookPath(channel), KEYS.admin), 404);
    expect(await storedWebhook(channel)).toBeUndefined();
  });

  it('documents the endpoints and the webhook itself in the OpenAPI document', async () => {
    const { body } = await api('GET', '/openapi.json');
    expect(Object.keys(body.paths['/v1/channels/{channel}/webhook']).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(body.paths['/v1/channels/{channel}/webhook'].put.responses)).toEqual(expect.arrayContaining(['400', '422']));
    expect(body.components.schemas.WebhookSettingsRequest.properties.url.maxLength).toBe(2048);
    expect(body.components.schemas.WebhookSettings.properties).not.toHaveProperty('secret');
    const delivery = body.webhooks.orderEvent.post;
    expect(delivery.parameters.map((p: { name: string }) => p.name)).toEqual(['X-OMS-Event-Id', 'X-OMS-Signature']);
    expect(delivery.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/OrderEvent');
  });
});
