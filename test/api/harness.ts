/**
 * The API in-process for one test file: a fresh database on the suite's FerretDB, a Temporal client on the
 * suite's dev server, optionally one order worker on a task queue of its own, and `app.listen(0)`.
 * `api(method, path, key, body)` talks to it over real HTTP.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { expect, inject } from 'vitest';
import { createApp } from '../../api/app.js';
import { Draining } from '../../api/shutdown.js';
import type { AdmissionSettings } from '../../domain/admission.js';
import { createOrderWorker, sandboxDependencies, workflowsPath } from '../../worker/create-worker.js';
import type { OrderPolicySettings } from '../../domain/order.js';
import { BERLIN_ADDRESS, TEST_INVENTORY, TEST_ORDER_EVENTS_RETENTION_MS, TEST_ORDER_POLICY, useTestDatabase } from '../support/fixtures.js';
import { testMailer, testSmtpUrl } from '../support/mail.js';
import { loadWebhookSettings, type HostResolver } from '../../services/webhook-targets.js';

/** The documented dev API keys (accepted outside production when API_KEYS is unset). */
export const KEYS = {
  web: 'dev-channel-web',
  store: 'dev-channel-store',
  support: 'dev-support',
  warehouse: 'dev-warehouse',
  admin: 'dev-admin',
} as const;

export interface ApiResponse {
  status: number;
  headers: Headers;
  // Tests read whatever the API answered; the assertions say what it must be.
  body: any;
}

/**
 * One HTTP request. `key` undefined sends no Authorization header. A string `body` is sent as is (for
 * malformed JSON); anything else is sent as JSON. `extraHeaders` are sent as given (e.g. Idempotency-Key).
 */
export type ApiCall = (method: string, path: string, key?: string, body?: unknown, extraHeaders?: Record<string, string>) => Promise<ApiResponse>;

export function apiClient(baseUrl: string): ApiCall {
  return async (method, path, key, body, extraHeaders = {}) => {
    const headers: Record<string, string> = { ...extraHeaders };
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const isJson = /json/.test(response.headers.get('content-type') ?? '');
    return { status: response.status, headers: response.headers, body: isJson && text ? JSON.parse(text) : text };
  };
}

export interface ApiHarness {
  baseUrl: string;
  /** The test file's own database on the suite's FerretDB. */
  mongoUri: string;
  api: ApiCall;
  temporal: Client;
  taskQueue: string;
  /**
   * One more API app on the same database and Temporal, as a second API process would be, with `env` over this
   * one's and its own admission settings (default this one's); closed with it.
   */
  anotherApi(env?: NodeJS.ProcessEnv, admission?: AdmissionSettings): Promise<{ baseUrl: string; api: ApiCall }>;
  close(): Promise<void>;
}

/**
 * `env` is the API's environment (and the worker's, for webhooks): no `WEBHOOK_ALLOWED_PRIVATE_NETWORKS`
 * unless a test file opts in. `webhookResolver` stands in for DNS (the test machines have none).
 */
export async function startApi(options: {
  database: string;
  worker: boolean;
  orderPolicy?: Partial<OrderPolicySettings>;
  env?: NodeJS.ProcessEnv;
  webhookResolver?: HostResolver;
  /** Refusal of intake and changes while the engine is behind (api/admission.ts); unset: never, as most tests want. */
  admission?: AdmissionSettings;
}): Promise<ApiHarness> {
  const appEnv: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', ...options.env };
  const address = inject('temporalAddress');
  const taskQueue = `api-${options.database}-${randomUUID()}`;
  const db = await useTestDatabase(options.database);
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: 'default' });

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  if (options.worker) {
    try {
      // WARN would print every expected activity failure (declined cards, the flaky sandbox token).
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // already installed in this process
    }
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    nativeConnection = await NativeConnection.connect({ address });
    worker = await createOrderWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle,
      dependencies: {
        ...sandboxDependencies({ temporal, taskQueue, inventory: TEST_INVENTORY, smtpUrl: testSmtpUrl() }),
        webhooks: loadWebhookSettings(appEnv, options.webhookResolver),
      },
    });
    workerRun = worker.run();
  }

  const servers: Server[] = [];
  // Begun at close: the apps' admission samplers stop before the Temporal connection closes.
  const draining = new Draining();
  const serve = async (env: NodeJS.ProcessEnv, admission = options.admission) => {
    const app = createApp({
      temporal, taskQueue, inventory: TEST_INVENTORY, mailer: testMailer(), orderPolicy: { ...TEST_ORDER_POLICY, ...options.orderPolicy }, env, orderEventsRetentionMs: TEST_ORDER_EVENTS_RETENTION_MS,
      webhookResolver: options.webhookResolver, draining, admission,
    });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    servers.push(server);
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { baseUrl, api: apiClient(baseUrl) };
  };
  const { baseUrl, api } = await serve(appEnv);

  return {
    baseUrl,
    mongoUri: db.uri,
    api,
    temporal,
    taskQueue,
    anotherApi: (env, admission) => serve({ ...appEnv, ...env }, admission),
    async close() {
      draining.begin();
      for (const server of servers) {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
      if (worker) {
        worker.shutdown();
        await workerRun;
      }
      await nativeConnection?.close();
      await connection.close();
      await db.close();
    },
  };
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: Array<{ path: string; message: string }>;
}

/** Asserts the RFC 9457 shape every error of the API shares, and returns the problem. */
export function expectProblem(response: ApiResponse, status: number): ProblemBody {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  expect(response.body.type).not.toBe('');
  expect(response.body.title).not.toBe('');
  expect(response.body.detail).not.toBe('');
  return response.body as ProblemBody;
}

/** The body of a `POST /v1/orders` for one unit of `sku`, shipped to Berlin, paid with `tok_ok`. */
export function orderBody(externalId: string, sku: string) {
  return {
    externalId,
    customer: { id: 'c-1', email: 'c@example.com' },
    shippingAddress: BERLIN_ADDRESS,
    lines: [{ sku, quantity: 1, unitPrice: 100 }],
    currency: 'EUR',
    payment: { token: 'tok_ok' },
  };
}
