/**
 * A namespace that `npm start` did not create lacks the search attributes every order sets, and each
 * order's workflow would fail its first task without anyone hearing of it. The worker and the API refuse
 * to start there with one line naming the attributes and the command; `npm run setup:temporal` registers
 * them; then orders run. Also: wrong connection settings stop a process with one line naming the setting.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_SETTINGS, loadTemporalConnection } from '../../config.js';
import { connectTemporalClient, missingSearchAttributes } from '../../services/temporal-connection.js';
import { apiClient, KEYS } from '../api/harness.js';
import { PLACES, seedWarehouse, useTestDatabase } from '../support/fixtures.js';
import { ORDERS_END_AT_DELIVERY, splitOrderRequest, stockSplitSkus } from '../support/order-effects.js';
import { killNodeProcesses, runToEnd, startApiProcess, startWorkerProcess } from '../support/node-processes.js';
import { connectSuiteTemporal, type SuiteTemporal } from '../support/suite-temporal.js';
import { uniqueTaskQueue } from '../support/workflow-env.js';
import { SettingsError } from '../../domain/settings-error.js';

let temporal: SuiteTemporal;
let db: { uri: string; close: () => Promise<void> };
const namespace = `oms-setup-${randomUUID().slice(0, 8)}`;
const taskQueue = uniqueTaskQueue();

beforeAll(async () => {
  [temporal, db] = await Promise.all([connectSuiteTemporal(), useTestDatabase('temporal_setup')]);
  await temporal.client.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
});

afterEach(killNodeProcesses);

afterAll(async () => {
  await db?.close();
  await temporal?.close();
});

const settings = () => ({ TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: namespace, TEMPORAL_TASK_QUEUE: taskQueue, MONGODB_URI: db.uri });

describe('a namespace without the search attributes', () => {
  it('stops the worker and the API at once, naming the attributes and the command; after setup:temporal orders run', async () => {
    for (const script of ['worker/main.ts', 'api/main.ts']) {
      const started = Date.now();
      const { code, output } = await runToEnd(script, settings());
      expect(code, output).toBe(EXIT_SETTINGS);
      expect(Date.now() - started).toBeLessThan(30_000);
      const lines = output.trim().split('\n');
      expect(lines, output).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`cannot start: namespace "${namespace}" .* lacks the search attributes OrderId \\(Keyword\\), Channel \\(Keyword\\), CustomerId \\(Keyword\\), OrderStatus \\(Keyword\\), Late \\(Bool\\): run npm run setup:temporal`));
    }

    const setup = await runToEnd('stack/setup-temporal.ts', settings());
    expect(setup.code, setup.output).toBe(0);
    expect(setup.output).toMatch(/registering OrderId \(Keyword\).*Late \(Bool\)/);
    expect(await missingSearchAttributes(temporal.client.connection, namespace)).toEqual([]);
    expect((await runToEnd('stack/setup-temporal.ts', settings())).output).toMatch(/nothing to do/);

    const env = { ...settings(), ...ORDERS_END_AT_DELIVERY, LOG_LEVEL: 'error' };
    await startWorkerProcess({ script: 'worker/main.ts', mongoUri: db.uri, taskQueue, env });
    const api = apiClient((await startApiProcess({ mongoUri: db.uri, taskQueue, env })).baseUrl);
    const { body } = splitOrderRequest(await stockSplitSkus(), 'setup');
    const placed = await api('POST', '/v1/orders', KEYS.web, body);
    expect(placed.status).toBe(202);
    const orderId = (placed.body as { orderId: string }).orderId;
    const order = async () => (await api('GET', `/v1/orders/${orderId}`, KEYS.support)).body as { status: string; shipments: Array<{ shipmentId: string }> };
    await expect.poll(async () => (await order()).status, { timeout: 60_000, interval: 250 }).toBe('allocated');
    for (const { shipmentId } of (await order()).shipments) {
      for (const type of ['shipped', 'delivered']) expect((await api('POST', `/v1/shipments/${shipmentId}/events`, KEYS.warehouse, { type })).status).toBeLessThan(300);
    }
    await expect.poll(async () => (await order()).status, { timeout: 60_000, interval: 250 }).toBe('delivered');
    const listed = await temporal.client.connection.workflowService.countWorkflowExecutions({ namespace, query: `OrderId = "${orderId}"` });
    expect(Number(listed.count)).toBe(1);
  }, 240_000);
});

describe('connection settings', () => {
  it('name the setting whose certificate file cannot be read, and refuse a certificate without its key', async () => {
    const missing = path.join(os.tmpdir(), `no-such-${randomUUID()}.pem`);
    expect(() => loadTemporalConnection({ TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: missing, TEMPORAL_TLS_CLIENT_KEY_PATH: missing }))
      .toThrow(new SettingsError(`TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read ${missing} (ENOENT)`));
    const cert = path.join(os.tmpdir(), `cert-${randomUUID()}.pem`);
    await fs.writeFile(cert, '-----BEGIN CERTIFICATE-----\n');
    try {
      expect(() => loadTemporalConnection({ TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: cert }))
        .toThrow(/TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together/);
    } finally {
      await fs.rm(cert);
    }
  });

  it('come from a TOML profile as Temporal defines them, the variables overriding it, and an API key turns TLS on', async () => {
    const file = path.join(os.tmpdir(), `temporal-${randomUUID()}.toml`);
    await fs.writeFile(file, '[profile.prod]\naddress = "temporal.example:7233"\nnamespace = "shop"\napi_key = "k"\n');
    try {
      const profile = loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
      expect(profile).toMatchObject({ namespace: 'shop', connectionOptions: { address: 'temporal.example:7233', apiKey: 'k', tls: true } });
      expect(loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'other' }).namespace).toBe('other');
      expect(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' })).toThrow(/Profile 'staging' not found/);
    } finally {
      await fs.rm(file);
    }
  });

  it('a client that talks TLS to a server that does not is told so in one line', async () => {
    const attempt = connectTemporalClient({ address: temporal.address, tls: true, connectTimeout: '1 second' });
    await expect(attempt).rejects.toThrow(new SettingsError(`TLS with Temporal at ${temporal.address} failed: wrong version number (ERR_SSL_WRONG_VERSION_NUMBER); the server does not speak TLS here: unset TEMPORAL_TLS, or check TEMPORAL_ADDRESS`));
  });
});
