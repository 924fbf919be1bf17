/**
 * The production-shaped stack (stack/production-stack.ts): the real Temporal server lets in only clients
 * with a certificate of the client CA and an API key signed by the stack's key, reached through the
 * TEMPORAL_* variables alone; FerretDB keeps documents in PostgreSQL.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Client, type Connection } from '@temporalio/client';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProductionStack, type ProductionStack } from '../../stack/production-stack.js';
import { connectWithClientEnv } from '../../stack/temporal-server.js';

const GRPC_PERMISSION_DENIED = 7;

/** A connection as a client process makes it: from the TEMPORAL_* variables alone. */
const connect = (env: Record<string, string>) => connectWithClientEnv(env, { connectTimeout: 5000 });

/** The gRPC status code with which connecting or describing the namespace fails; undefined if both work. */
async function describeNamespaceFailure(env: Record<string, string>): Promise<number | undefined> {
  let connection: Connection | undefined;
  try {
    connection = await connect(env);
    await connection.workflowService.describeNamespace({ namespace: env.TEMPORAL_NAMESPACE });
    return undefined;
  } catch (error) {
    // Connection.connect wraps what its first call (GetSystemInfo) was answered: a bad key fails there already.
    const { code } = ((error as { cause?: unknown }).cause ?? error) as { code?: number };
    return code ?? -1;
  } finally {
    await connection?.close();
  }
}

/**
 * A bare TLS connection to the frontend as the env describes it: `accepted` once the server speaks
 * (HTTP/2 settings), else the error code of the alert it sent.
 */
async function tlsHandshake(env: Record<string, string>, { withClientCert }: { withClientCert: boolean }): Promise<string> {
  const [host, port] = env.TEMPORAL_ADDRESS.split(':');
  const socket = tls.connect({
    host,
    port: Number(port),
    servername: env.TEMPORAL_TLS_SERVER_NAME,
    ca: await fs.readFile(env.TEMPORAL_TLS_SERVER_CA_CERT_PATH),
    ALPNProtocols: ['h2'],
    ...(withClientCert
      ? { cert: await fs.readFile(env.TEMPORAL_TLS_CLIENT_CERT_PATH), key: await fs.readFile(env.TEMPORAL_TLS_CLIENT_KEY_PATH) }
      : {}),
  });
  try {
    return await new Promise<string>((resolve) => {
      socket.once('data', () => resolve('accepted'));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    socket.destroy();
  }
}

describe('production-shaped stack', () => {
  let dir: string;
  let stack: ProductionStack;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-prodstack-'));
    stack = await startProductionStack({
      dir,
      ferretdbBinary: process.env.OMS_FERRETDB_BIN,
      ownProcessGroup: false,
      ...(process.env.OMS_TEST_SERVER_LOGS === '1' ? {} : { onLine: () => {} }),
    });
  }, 20 * 60_000); // the first run builds the Temporal server

  afterAll(async () => {
    await stack?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('hands clients exactly the TEMPORAL_* variables @temporalio/envconfig reads', () => {
    expect(Object.keys(stack.clientEnv()).sort()).toEqual([
      'TEMPORAL_ADDRESS', 'TEMPORAL_API_KEY', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TLS', 'TEMPORAL_TLS_CLIENT_CERT_PATH',
      'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_NAME',
    ]);
    expect(stack.clientEnv().TEMPORAL_NAMESPACE).toBe('default');
  });

  it('serves a client with the certificate and the API key: namespace described, a workflow started and terminated', async () => {
    const connection = await connect(stack.clientEnv());
    try {
      const { namespaceInfo, config } = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespaceInfo?.name).toBe('default');
      expect(Number(config?.workflowExecutionRetentionTtl?.seconds)).toBe(24 * 3600);

      const client = new Client({ connection, namespace: 'default' });
      const workflowId = `prodstack-probe-${Date.now()}`;
      // No worker: the server accepts and records the start, which is what is checked here.
      const handle = await client.workflow.start('probeWorkflow', { taskQueue: 'prodstack-probe', workflowId });
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await handle.terminate('test done');
      expect((await handle.describe()).status.name).toBe('TERMINATED');
    } finally {
      await connection.close();
    }
  });

  it('refuses a client without a client certificate at the TLS handshake, even with the admin key', async () => {
    await expect(connect(stack.clientEnv({ withoutClientCert: true, apiKey: stack.adminApiKey }))).rejects.toThrow();

    // What the SDK reports only as a connect timeout: the server's TLS alert.
    const env = stack.clientEnv();
    expect(await tlsHandshake(env, { withClientCert: false })).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    expect(await tlsHandshake(env, { withClientCert: true })).toBe('accepted');
  });

  it('refuses a client with the certificate but no API key, or one signed by another key', async () => {
    expect(await describeNamespaceFailure(stack.clientEnv({ withoutApiKey: true }))).toBe(GRPC_PERMISSION_DENIED);

    // Same claims and key id as the stack's admin key, signed by a key the server does not know.
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ permissions: ['temporal-system:admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: decodeProtectedHeader(stack.adminApiKey).kid! })
      .setSubject('intruder')
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await describeNamespaceFailure(stack.clientEnv({ apiKey: forged }))).toBe(GRPC_PERMISSION_DENIED);
  });

  it('lets only the admin key register search attributes (npm run setup:temporal needs it)', async () => {
    const addAttribute = async (apiKey: string) => {
      const connection = await connect(stack.clientEnv({ apiKey }));
      try {
        await connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: { ProdstackProbe: 2 } }); // KEYWORD
      } finally {
        await connection.close();
      }
    };
    await expect(addAttribute(await stack.mintApiKey())).rejects.toMatchObject({ code: GRPC_PERMISSION_DENIED });
    await expect(addAttribute(stack.adminApiKey)).resolves.toBeUndefined();
  });

  it('stores documents through FerretDB in PostgreSQL', async () => {
    const connection = await mongoose.createConnection(stack.mongoUri('oms_prodstack_test')).asPromise();
    try {
      const Probe = connection.model('Probe', new mongoose.Schema({ _id: String, quantity: Number }));
      await Probe.create({ _id: 'SKU-1', quantity: 3 });
      expect(await Probe.findById('SKU-1').lean()).toEqual({ _id: 'SKU-1', quantity: 3, __v: 0 });
      const { log } = await connection.db!.admin().command({ getLog: 'startupWarnings' });
      expect(log.join('\n')).toMatch(/Powered by FerretDB .* and PostgreSQL \d+/);
    } finally {
      await connection.close();
    }
  });
});
