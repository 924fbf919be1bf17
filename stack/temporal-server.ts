/**
 * The real Temporal server on PostgreSQL, for the production-shaped stack: its databases created and
 * migrated with temporal-sql-tool, TLS with client certificates on the frontend, signed API keys checked
 * by the default JWT claim mapper and authorizer, and the stack's namespace registered once it is up.
 */
import path from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { SERVER_NAME, type StackCertificates } from './certificates.js';
import type { PostgresServer } from './postgres.js';
import { assertPortFree, canConnect, describeExit, outputOptions, spawnManaged, waitUntilReady, type ManagedProcess, type OutputOptions } from './processes.js';
import type { TemporalServerTool } from './temporal-server-build.js';
import { TEMPORAL_DATABASES, TEMPORAL_SERVICES, writeTemporalServerConfig } from './temporal-server-config.js';

const GRPC_ALREADY_EXISTS = 6;

export interface TemporalServerOptions extends OutputOptions {
  tool: TemporalServerTool;
  /** Where its config files go. */
  configDir: string;
  /** A fresh cluster: the server's two databases are created in it. */
  postgres: PostgresServer;
  certificates: StackCertificates;
  /** Where the signing keys of API keys are served (stack/api-keys.ts). */
  jwksUrl: string;
  /** With system admin permission: registers the namespace, and probes readiness. */
  adminApiKey: string;
  /** The frontend's gRPC port; its other ports are found free. */
  port: number;
  /** Registered with a retention of 1 day. */
  namespace: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  ownProcessGroup?: boolean;
  startupTimeoutMs?: number;
}

export interface TemporalServer extends ManagedProcess {
  /** `127.0.0.1:<port>` of the frontend (TLS: verify it as `localhost`). */
  address: string;
  namespace: string;
}

export interface TemporalClientEnvOptions {
  address: string;
  namespace: string;
  certificates: StackCertificates;
  /** Sent as `authorization: Bearer <key>`; none if left out. */
  apiKey?: string;
  /** Leave out the client certificate and key (the frontend then refuses the TLS handshake). */
  withoutClientCert?: boolean;
}

/** The TEMPORAL_* variables a client process reads (@temporalio/envconfig) to reach this server. */
export function temporalClientEnv(options: TemporalClientEnvOptions): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: options.address,
    TEMPORAL_NAMESPACE: options.namespace,
    TEMPORAL_TLS: 'true',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: options.certificates.serverCaCert,
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    ...(options.withoutClientCert
      ? {}
      : { TEMPORAL_TLS_CLIENT_CERT_PATH: options.certificates.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: options.certificates.clientKey }),
    ...(options.apiKey === undefined ? {} : { TEMPORAL_API_KEY: options.apiKey }),
  };
}

/** A connection made from those variables alone (no config file), as a client process would make it. */
export function connectWithClientEnv(env: Record<string, string>, options: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const { connectionOptions } = loadClientConnectConfig({ overrideEnvVars: env, disableFile: true });
  return Connection.connect({ ...connectionOptions, ...options });
}

export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  await assertPortFree(options.port);
  await setupDatabases(options);
  const { configFile } = await writeTemporalServerConfig({
    configDir: options.configDir,
    frontendPort: options.port,
    postgresPort: options.postgres.port,
    certificates: options.certificates,
    jwksUrl: options.jwksUrl,
    logLevel: options.logLevel ?? 'warn',
  });
  const args = ['--config-file', configFile, 'start', ...TEMPORAL_SERVICES.flatMap((service) => ['--service', service])];
  const proc = spawnManaged({ name: 'temporal', command: options.tool.server, args, ...outputOptions(options), quietWhileStopping: true });

  const address = `127.0.0.1:${options.port}`;
  const { namespace } = options;
  const env = temporalClientEnv({ address, namespace, certificates: options.certificates, apiKey: options.adminApiKey });
  let connection: Connection | undefined;
  let registered = false;
  try {
    await waitUntilReady(proc, options.startupTimeoutMs ?? 120_000, async () => {
      if (!(await canConnect('127.0.0.1', options.port))) return false;
      // No retry interceptor: we are the retry loop, and each probe should fail fast.
      connection ??= await connectWithClientEnv(env, { connectTimeout: 2000, interceptors: [] });
      const service = connection.workflowService;
      const within = <T>(call: () => Promise<T>) => connection!.withDeadline(Date.now() + 5000, call);
      if (!registered) {
        await within(() => service.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })).catch((error: { code?: number }) => {
          // An earlier attempt whose answer we gave up waiting for.
          if (error.code !== GRPC_ALREADY_EXISTS) throw error;
        });
        registered = true;
      }
      // Through the frontend's namespace registry and the visibility store: usable, not just stored.
      await within(() => service.listWorkflowExecutions({ namespace, pageSize: 1 }));
      return true;
    });
  } finally {
    await connection?.close();
  }
  return Object.assign(proc, { address, namespace });
}

/**
 * Creates the persistence and visibility databases and migrates them to the module's latest schema. The
 * tool logs every statement (to stderr), so its output goes where the server's does.
 */
async function setupDatabases(options: TemporalServerOptions): Promise<void> {
  const connect = ['--ep', '127.0.0.1', '-p', String(options.postgres.port), '-u', 'postgres', '--pl', 'postgres12'];
  const schemas = [[TEMPORAL_DATABASES.default, 'temporal'], [TEMPORAL_DATABASES.visibility, 'visibility']];
  await Promise.all(schemas.map(async ([database, schema]) => {
    const sqlTool = async (...args: string[]) => {
      const proc = spawnManaged({ name: 'temporal-sql-tool', command: options.tool.sqlTool, args: [...connect, '--db', database, ...args], ...outputOptions(options) });
      const exit = await proc.exited;
      if (exit.code !== 0) throw new Error(`temporal-sql-tool ${args[0]} of database ${database} ${describeExit(exit)}:\n${proc.recentOutput().join('\n')}`);
    };
    await sqlTool('create-database');
    await sqlTool('setup-schema', '-v', '0.0');
    await sqlTool('update-schema', '-d', path.join(options.tool.moduleDir, 'schema', 'postgresql', 'v12', schema, 'versioned'));
  }));
}
