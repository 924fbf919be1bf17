/**
 * Channel webhooks end to end: the order workflow on the real Temporal dev server with the real activities,
 * POSTing to a local HTTP receiver (node:http on a free port) that records what it got and can refuse it.
 * The receiver is on loopback, so the worker has the explicit opt-in for it (127.0.0.0/8); host names
 * resolve from a table (the machines have no DNS).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_ADDRESS_REFUSED, WEBHOOK_SECRET_UNREADABLE, webhookActivities } from '../../activities/webhooks.js';
import type { WebhookSettings } from '../../services/webhook-targets.js';
import { toOrderView } from '../../api/schemas/order-view.js';
import type { OrderState } from '../../domain/order.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '../../domain/webhook-signature.js';
import type { OrderEvent } from '../../domain/webhooks.js';
import { orderInput, PLACES, seedWarehouse, setStock, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { bundleOrderWorkflows, createTestWorker, startLocalEnvironment, startOrder, uniqueTaskQueue, waitForStatus } from '../support/workflow-env.js';
import { cancelOrderUpdate, shipmentEventUpdate } from '../../contracts/messages.js';
import { findOrder } from '../../persistence/orders.js';
import { ChannelSettingModel, reencryptWebhookSecrets, saveWebhook, WebhookDeliveryModel, webhookDeliveryId } from '../../persistence/channels.js';
import { MigrationModel, runMigrations } from '../../persistence/migrations.js';
import { parseAllowedNetworks } from '../../domain/webhook-addresses.js';
import { envelopeKeyId, loadWebhookSecretKeys } from '../../domain/webhook-secrets.js';
import { resolveWebhookTarget } from '../../services/webhook-targets.js';
import { tableResolver } from '../support/webhook-dns.js';
import { activityRuns, localActivityRuns } from '../support/order-history.js';

const SECRET = `whsec-${randomUUID()}`;
const KEY = randomBytes(32).toString('base64');
const KEYS = loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: KEY });
/** Names the tests point at; changed by the tests that play the DNS. */
const dns: Record<string, string[]> = { 'receiver.example.com': ['127.0.0.1'] };
const resolver = tableResolver(dns);
/** As the worker runs in these tests: the receiver's loopback explicitly allowed. */
const OPTED_IN: WebhookSettings = { policy: { requireHttps: false, allowedNetworks: parseAllowedNetworks('127.0.0.0/8') }, keys: KEYS, resolve: resolver };
/** As in production (bar https): no private network allowed. */
const NOT_OPTED_IN: WebhookSettings = { ...OPTED_IN, policy: { requireHttps: false, allowedNetworks: [] } };

interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status code the receiver answered. */
  answered: number;
}

/** A channel's webhook endpoint: one path per channel; answers 200, or 500 while the channel is refused. */
async function startReceiver() {
  const received: ReceivedRequest[] = [];
  const refused = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answered = refused.has(req.url!) ? 500 : 200;
      received.push({ path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    urlFor: (channel: string) => `${base}/${channel}`,
    requestsFor: (channel: string) => received.filter((r) => r.path === `/${channel}`),
    refuse: (channel: string) => refused.add(`/${channel}`),
    accept: (channel: string) => refused.delete(`/${channel}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let closeDb: () => Promise<void>;
const taskQueue = uniqueTaskQueue();

beforeAll(async () => {
  const [environment, workflowBundle] = await Promise.all([startLocalEnvironment(), bundleOrderWorkflows()]);
  env = environment;
  ({ close: closeDb } = await useTestDatabase('webhooks'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
  receiver = await startReceiver();
  worker = await createTestWorker(env, workflowBundle, taskQueue, { webhooks: OPTED_IN });
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await receiver?.close();
  await closeDb?.();
  await env?.teardown();
});

/** A channel of its own with a webhook at the receiver (or `url`), as `PUT /v1/channels/{channel}/webhook` stores it. */
async function channelWithWebhook(url?: (channel: string) => string): Promise<string> {
  const channel = uniqueId('shop');
  await saveWebhook(channel, { url: url ? url(channel) : receiver.urlFor(channel), secret: SECRET, updatedAt: new Date() }, KEYS);
  return channel;
}

/** The receiver's URL for the channel with another host (and its port). */
const receiverUrlAt = (host: string) => (channel: string) => receiver.urlFor(channel).replace('127.0.0.1', host);

async function stockedOrder(channel: string) {
  const sku = uniqueId('SKU');
  await setStock(sku, 'wh-berlin', 5);
  return orderInput([{ sku, quantity: 1 }], { channel });
}

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await predicate()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const eventOf = (request: ReceivedRequest) => JSON.parse(request.body) as OrderEvent;
const validlySigned = (request: ReceivedRequest) =>
  verifyWebhookSignature({ secret: SECRET, body: request.body, header: request.headers[SIGNATURE_HEADER.toLowerCase()] as string });

async function storedOrder(orderId: string): Promise<OrderState> {
  const stored = await findOrder(orderId);
  return { ...(stored as unknown as OrderState), orderId };
}

describe('channel webhooks on the order workflow', () => {
  it('delivers every event of an order in order, signed, once each, and the timeline shows each delivery', async () => {
    const channel = await channelWithWebhook();
    const input = await stockedOrder(channel);

    const handle = await startOrder(env, input, taskQueue);
    const [shipment] = (await waitForStatus(handle, 'allocated')).shipments;
    for (const type of ['shipped', 'delivered'] as const) {
      await handle.executeUpdate(shipmentEventUpdate, { args: [{ shipmentId: shipment.shipmentId, type, occurredAt: new Date().toISOString() }] });
    }
    expect(await handle.result()).toMatchObject({ status: 'delivered' });

    const view = await storedOrder(input.orderId);
    const requests = receiver.requestsFor(channel);
    expect(requests.map((r) => eventOf(r).id)).toEqual(view.timeline.map((entry) => entry.id));
    expect(view.timeline.map((entry) => entry.id)).toEqual(view.timeline.map((_, index) => `${input.orderId}-${index + 1}`));
    expect(requests.map((r) => eventOf(r).type)).toEqual(['received', 'payment_authorized', 'allocated', 'shipment_shipped', 'payment_captured', 'shipment_delivered']);
    for (const request of requests) {
      expect(validlySigned(request)).toBe(true);
      expect(request.headers[EVENT_ID_HEADER.toLowerCase()]).toBe(eventOf(request).id);
      expect(request.headers['content-type']).toBe('application/json');
    }
    const entryOf = (id: string) => view.timeline.find((entry) => entry.id === id)!;
    expect(eventOf(requests[2])).toEqual({
      version: 1,
      id: `${input.orderId}-3`,
      type: 'allocated',
      orderId: input.orderId,
      externalId: input.externalId,
      channel,
      status: 'allocated',
      occurredAt: entryOf(`${input.orderId}-3`).at,
      message: entryOf(`${input.orderId}-3`).message,
    });
    expect(eventOf(requests.at(-1)!).status).toBe('delivered');

    // The read model and the API's view of it show each delivery on its timeline entry.
    expect(toOrderView(view).timeline).toEqual(
      view.timeline.map(({ id, at, type, message }) => ({ id, at, type, message, webhook: { deliveredAt: expect.any(String), attempts: 1 } })),
    );
    expect(await WebhookDeliveryModel.countDocuments({ orderId: input.orderId, channel, statusCode: 200 })).toBe(requests.length);

    // Neither the secret nor anything derived from it is in the workflow's history (inputs, results, failures).
    const history = Buffer.from(proto.api.history.v1.History.encode(await handle.fetchHistory()).finish());
    expect(history.includes(input.externalId)).toBe(true);
    expect(history.includes(SECRET)).toBe(false);
  });

  it('retries a refused event until it is accepted, sending nothing after it meanwhile, while the order goes on', async () => {
    const channel = await channelWithWebhook();
    const input = await stockedOrder(channel);
    const firstEventId = `${input.orderId}-1`;
    receiver.refuse(channel);

    const handle = await startOrder(env, input, taskQueue);
    await waitForStatus(handle, 'allocated');
    await waitFor('three refused attempts', () => receiver.requestsFor(channel).length >= 3);
    expect(new Set(receiver.requestsFor(channel).map((r) => eventOf(r).id))).toEqual(new Set([firstEventId]));
    receiver.accept(channel);
    await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed my mind', requestedBy: 'support' }] });
    expect(await handle.result()).toMatchObject({ status: 'cancelled' });

    const requests = receiver.requestsFor(channel);
    const refusals = requests.filter((r) => r.answered === 500);
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(refusals.every((r) => eventOf(r).id === firstEventId && validlySigned(r))).toBe(true);
    // Once accepted, each event exactly once and in order.
    const accepted = requests.filter((r) => r.answered === 200).map((r) => eventOf(r));
    expect(accepted.map((e) => e.type)).toEqual(['received', 'payment_authorized', 'allocated', 'cancelled']);
    expect(new Set(requests.map((r) => eventOf(r).id)).size).toBe(accepted.length);
    const view = await storedOrder(input.orderId);
    expect(view.timeline.map((entry) => entry.webhook?.attempts)).toEqual([refusals.length + 1, 1, 1, 1]);
  });

  it("holds an order's events while its webhook's host resolves to a metadata address, connecting nowhere, and sends them once the URL is fixed", async () => {
    dns['hooks.metadata.example'] = ['169.254.169.254'];
    const channel = await channelWithWebhook(receiverUrlAt('hooks.metadata.example'));
    const input = await stockedOrder(channel);

    const handle = await startOrder(env, input, taskQueue);
    await waitForStatus(handle, 'allocated');
    let failure: { type?: string | null; message?: string | null } | undefined;
    await waitFor('a refused delivery', async () => {
      const { raw } = await handle.describe();
      const pending = raw.pendingActivities?.find((activity) => activity.activityType?.name === 'deliverOrderEvent');
      failure = pending?.lastFailure ? { type: pending.lastFailure.applicationFailureInfo?.type, message: pending.lastFailure.message } : undefined;
      return failure !== undefined;
    });
    expect(failure).toEqual({
      type: WEBHOOK_ADDRESS_REFUSED,
      message: `the webhook of channel ${channel} was not called: its URL must not point at a cloud metadata address (169.254.169.254), which hooks.metadata.example resolves to`,
    });
    expect(receiver.requestsFor(channel)).toEqual([]);

    // The channel's admin corrects the URL: the next attempt sends the held event, and the rest follow in order.
    await saveWebhook(channel, { url: receiver.urlFor(channel), secret: SECRET, updatedAt: new Date() }, KEYS);
    await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed my mind', requestedBy: 'support' }] });
    expect(await handle.result()).toMatchObject({ status: 'cancelled' });
    const requests = receiver.requestsFor(channel);
    expect(requests.map((r) => eventOf(r).type)).toEqual(['received', 'payment_authorized', 'allocated', 'cancelled']);
    expect(requests.every((r) => r.answered === 200 && validlySigned(r))).toBe(true);
    const view = await storedOrder(input.orderId);
    expect(view.timeline[0].webhook?.attempts).toBeGreaterThan(1);
  });

  it('sends nothing for a channel without a webhook, and asks only once per order', async () => {
    const channel = uniqueId('shop');
    const input = await stockedOrder(channel);

    const handle = await startOrder(env, input, taskQueue);
    await waitForStatus(handle, 'allocated');
    await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed my mind', requestedBy: 'support' }] });
    expect(await handle.result()).toMatchObject({ status: 'cancelled' });

    expect(receiver.requestsFor(channel)).toEqual([]);
    expect(await WebhookDeliveryModel.countDocuments({ orderId: input.orderId })).toBe(0);
    const view = await storedOrder(input.orderId);
    expect(view.timeline.length).toBeGreaterThan(1);
    expect(view.timeline.some((entry) => entry.webhook)).toBe(false);
    // Asked by a local activity before the first event; no delivery was scheduled.
    expect(await localActivityRuns(handle, 'channelHasWebhook')).toMatchObject([{ outcome: 'completed' }]);
    expect(await activityRuns(handle, 'deliverOrderEvent')).toEqual([]);
  });
});

describe('deliverOrderEvent', () => {
  const eventFor = (channel: string): OrderEvent => {
    const orderId = `ord_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    return {
      version: 1,
      id: `${orderId}-1`,
      type: 'received',
      orderId,
      externalId: `ext-${orderId}`,
      channel,
      status: 'received',
      occurredAt: new Date().toISOString(),
      message: 'Order received',
    };
  };
  // The expected failures would each be logged at WARN.
  const deliver = (event: OrderEvent, attempt = 1, settings = OPTED_IN) =>
    new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR') }).run(webhookActivities(settings).deliverOrderEvent, event);

  it('POSTs an event once: a repeated run for the same event sends nothing and reports the first delivery', async () => {
    const channel = await channelWithWebhook();
    const event = eventFor(channel);

    const first = await deliver(event, 2);
    const again = await deliver(event, 1);

    expect(first).toEqual({ status: 'delivered', deliveredAt: expect.any(String), attempts: 2 });
    expect(again).toEqual(first);
    expect(receiver.requestsFor(channel)).toHaveLength(1);
    expect(await WebhookDeliveryModel.findById(webhookDeliveryId(channel, event.id)).lean()).toMatchObject({
      channel,
      eventId: event.id,
      orderId: event.orderId,
      statusCode: 200,
      attempts: 2,
    });
  });

  it('fails retryably on a refusal, naming the status code but neither the secret nor the signature', async () => {
    const channel = await channelWithWebhook();
    const event = eventFor(channel);
    receiver.refuse(channel);

    const failure = await deliver(event).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: false, message: `the webhook of channel ${channel} answered 500` });
    const [refused] = receiver.requestsFor(channel);
    expect(JSON.stringify(failure)).not.toContain(SECRET);
    expect(String((failure as Error).stack)).not.toContain(refused.headers[SIGNATURE_HEADER.toLowerCase()] as string);
    expect(await WebhookDeliveryModel.countDocuments({ eventId: event.id })).toBe(0);

    receiver.accept(channel);
    expect(await deliver(event, 2)).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(receiver.requestsFor(channel).map((r) => r.answered)).toEqual([500, 200]);
  });

  it('fails retryably when the webhook cannot be reached', async () => {
    const channel = uniqueId('shop');
    const closed = await startReceiver();
    const url = closed.urlFor(channel);
    await closed.close();
    await saveWebhook(channel, { url, secret: SECRET, updatedAt: new Date() }, KEYS);

    const failure = await deliver(eventFor(channel)).catch((error: unknown) => error);

    expect(failure).toMatchObject({ nonRetryable: false, message: `the webhook of channel ${channel} could not be reached: ECONNREFUSED` });
  });

  it('refuses, at delivery, a host that resolves to loopback without the opt-in (DNS rebinding), though the receiver is there', async () => {
    // The name resolved to a public address when the webhook was set (the API's check passed) ...
    dns['rebind.example.com'] = ['93.184.215.14'];
    const channel = await channelWithWebhook(receiverUrlAt('rebind.example.com'));
    const url = receiver.urlFor(channel).replace('127.0.0.1', 'rebind.example.com');
    expect(await resolveWebhookTarget(url, NOT_OPTED_IN.policy, resolver)).toMatchObject({ ok: true });
    // ... and now resolves to loopback.
    dns['rebind.example.com'] = ['127.0.0.1'];
    const event = eventFor(channel);

    const failure = await deliver(event, 1, NOT_OPTED_IN).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: WEBHOOK_ADDRESS_REFUSED,
      nonRetryable: false,
      message: `the webhook of channel ${channel} was not called: its URL must not point at a loopback address (127.0.0.1), which rebind.example.com resolves to`,
    });
    expect(receiver.requestsFor(channel)).toEqual([]);
    expect(await WebhookDeliveryModel.countDocuments({ eventId: event.id })).toBe(0);
    // `localhost` is refused by its name already, as are literal loopback addresses.
    for (const host of ['localhost', '127.0.0.1']) {
      await saveWebhook(channel, { url: receiverUrlAt(host)(channel), secret: SECRET, updatedAt: new Date() }, KEYS);
      expect(await deliver(event, 1, NOT_OPTED_IN).catch((error: unknown) => error), host).toMatchObject({ type: WEBHOOK_ADDRESS_REFUSED });
    }
    expect(receiver.requestsFor(channel)).toEqual([]);

    // The receiver was there all along: with the opt-in the same event is delivered.
    expect(await deliver(event, 2, OPTED_IN)).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(receiver.requestsFor(channel)).toHaveLength(1);
  });

  it('connects to the address it checked, looking the host up once, and sends the host name as Host', async () => {
    const channel = await channelWithWebhook(receiverUrlAt('receiver.example.com'));
    const before = resolver.lookups.get('receiver.example.com') ?? 0;

    // The machine has no DNS: only the checked address, handed to the connection, reaches the receiver.
    expect(await deliver(eventFor(channel))).toMatchObject({ status: 'delivered' });

    expect(resolver.lookups.get('receiver.example.com')).toBe(before + 1);
    const [request] = receiver.requestsFor(channel);
    expect(request.headers.host).toBe(new URL(receiverUrlAt('receiver.example.com')(channel)).host);
    expect(validlySigned(request)).toBe(true);
  });

  it('refuses metadata, link-local and unspecified addresses even with the opt-in', async () => {
    dns['everything.example.com'] = ['127.0.0.1', '169.254.169.254'];
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://0.0.0.0:80/hook', 'http://everything.example.com/hook']) {
      const channel = await channelWithWebhook(() => url);
      const failure = await deliver(eventFor(channel)).catch((error: unknown) => error);
      expect(failure, url).toMatchObject({ type: WEBHOOK_ADDRESS_REFUSED, nonRetryable: false });
      expect((failure as Error).message, url).toMatch(/must not point at (a cloud metadata|an unspecified) address/);
    }
  });

  it('fails clearly, and retryably, when the stored secret was encrypted with a key the worker lacks; a previous key still signs', async () => {
    const channel = await channelWithWebhook();
    const event = eventFor(channel);
    const newKeys = loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: randomBytes(32).toString('hex') });

    const failure = await deliver(event, 1, { ...OPTED_IN, keys: newKeys }).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      type: WEBHOOK_SECRET_UNREADABLE,
      nonRetryable: false,
      message: `the webhook secret of channel ${channel} was encrypted with key ${KEYS.current.id}, which is neither WEBHOOK_SECRET_KEY (${newKeys.current.id}) nor in WEBHOOK_SECRET_PREVIOUS_KEYS`,
    });
    expect(receiver.requestsFor(channel)).toEqual([]);

    const rotated = { ...newKeys, previous: [KEYS.current] };
    expect(await deliver(event, 2, { ...OPTED_IN, keys: rotated })).toMatchObject({ status: 'delivered' });
    expect(validlySigned(receiver.requestsFor(channel)[0])).toBe(true);
  });

  it('encrypts the secrets stored in plain text once (migration), and again with a new key after a rotation', async () => {
    const channel = uniqueId('shop');
    const settings = ChannelSettingModel.collection;
    // As the engine stored webhooks before encryption at rest.
    await settings.insertOne({ _id: channel as never, webhook: { url: receiver.urlFor(channel), secret: SECRET, updatedAt: new Date() } });
    await MigrationModel.deleteOne({ _id: 'webhook-secrets-encrypted' });

    await runMigrations({ webhookSecretKeys: KEYS });

    const migrated = await settings.findOne({ _id: channel as never });
    expect(JSON.stringify(migrated)).not.toContain(SECRET);
    expect(migrated?.webhook).not.toHaveProperty('secret');
    expect(envelopeKeyId(migrated?.webhook.encryptedSecret)).toBe(KEYS.current.id);
    expect(await deliver(eventFor(channel))).toMatchObject({ status: 'delivered' });
    expect(validlySigned(receiver.requestsFor(channel)[0])).toBe(true);
    await runMigrations({ webhookSecretKeys: KEYS }); // done already: nothing changes
    expect(await settings.findOne({ _id: channel as never })).toEqual(migrated);

    // Rotation: the new key encrypts, the old one only decrypts until the worker encrypted everything again.
    const rotated = loadWebhookSecretKeys({ WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'), WEBHOOK_SECRET_PREVIOUS_KEYS: KEY });
    const { reencrypted, unreadable } = await reencryptWebhookSecrets(rotated);
    expect(reencrypted).toBeGreaterThanOrEqual(1);
    expect(unreadable).toEqual([]);
    const again = await settings.findOne({ _id: channel as never });
    expect(envelopeKeyId(again?.webhook.encryptedSecret)).toBe(rotated.current.id);
    expect(JSON.stringify(again)).not.toContain(SECRET);
    expect(await deliver(eventFor(channel), 1, { ...OPTED_IN, keys: { current: rotated.current, previous: [] } })).toMatchObject({ status: 'delivered' });
    expect(receiver.requestsFor(channel).every(validlySigned)).toBe(true);
    expect((await reencryptWebhookSecrets(rotated)).reencrypted).toBe(0);
  });

  it('reports a channel without a webhook as not configured', async () => {
    expect(await deliver(eventFor(uniqueId('shop')))).toEqual({ status: 'not_configured' });
  });
});
