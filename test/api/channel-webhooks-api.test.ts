/**
 * /v1/channels/{channel}/webhook over real HTTP and FerretDB: admin only, validated, and the secret is
 * write-only (stored for signing, never in an answer). No worker: nothing here starts an order.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueId } from '../support/fixtures.js';
import { KEYS, expectProblem, startApi, type ApiCall, type ApiHarness } from './harness.js';
import { ChannelSettingModel } from '../../persistence/channels.js';

let harness: ApiHarness;
let api: ApiCall;

beforeAll(async () => {
  harness = await startApi({ database: 'api_channel_webhooks', worker: false });
  api = harness.api;
});

afterAll(async () => {
  await harness?.close();
});

const newSecret = () => `whsec-${randomUUID()}`;
const webhookPath = (channel: string) => `/v1/channels/${channel}/webhook`;

/** What the model stores, secret included (as only the delivery activity reads it). */
const storedWebhook = async (channel: string) => (await ChannelSettingModel.findById(channel).select('+webhook.secret').lean())?.webhook;

describe('channel webhook settings', () => {
  it('creates with 201, replaces with 200, and never answers with the secret', async () => {
    const channel = uniqueId('shop');
    const [first, second] = [newSecret(), newSecret()];

    const created = await api('PUT', webhookPath(channel), KEYS.admin, { url: 'https://shop.example.com/oms/events', secret: first });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ channel, url: 'https://shop.example.com/oms/events', secretSet: true, updatedAt: expect.any(String) });

    const replaced = await api('PUT', webhookPath(channel), KEYS.admin, { url: 'http://127.0.0.1:9999/hook', secret: second });
    expect(replaced.status).toBe(200);
    const read = await api('GET', webhookPath(channel), KEYS.admin);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ channel, url: 'http://127.0.0.1:9999/hook', secretSet: true, updatedAt: replaced.body.updatedAt });

    for (const response of [created, replaced, read]) {
      expect(JSON.stringify(response.body)).not.toContain(first);
      expect(JSON.stringify(response.body)).not.toContain(second);
    }
    expect(await storedWebhook(channel)).toMatchObject({ url: 'http://127.0.0.1:9999/hook', secret: second });
    // Reads that do not ask for the secret do not get it.
    expect((await ChannelSettingModel.findById(channel).lean())?.webhook).not.toHaveProperty('secret');
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

    expect(await storedWebhook(channel)).toMatchObject({ url: 'https://shop.example.com/hook', secret });
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
    expect(body.components.schemas.WebhookSettings.properties).not.toHaveProperty('secret');
    const delivery = body.webhooks.orderEvent.post;
    expect(delivery.parameters.map((p: { name: string }) => p.name)).toEqual(['X-OMS-Event-Id', 'X-OMS-Signature']);
    expect(delivery.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/OrderEvent');
  });
});
