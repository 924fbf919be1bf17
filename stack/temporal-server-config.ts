/**
 * The Temporal server's static config and dynamic config for the production-shaped stack, after the
 * module's config/development-postgres12.yaml and development-jwt.yaml (v1.32.2's common/config/config.go
 * is the schema). Written as JSON, which is YAML too, into `<configDir>/production.yaml`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { StackCertificates } from './certificates.js';
import { SERVER_NAME } from './certificates.js';
import { findFreePort, findFreePortBetween } from './processes.js';

/** Persistence and visibility, each in its own PostgreSQL database. */
export const TEMPORAL_DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;
/** Every service this stack runs; `internal-frontend` is not among the server's defaults, so `start` names them all. */
export const TEMPORAL_SERVICES = ['frontend', 'internal-frontend', 'history', 'matching', 'worker'] as const;

export interface TemporalServerConfigInput {
  configDir: string;
  /** The frontend's gRPC port; the other ports are found free here. */
  frontendPort: number;
  postgresPort: number;
  certificates: StackCertificates;
  jwksUrl: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** Writes the config and dynamic config files; returns the config file and the frontend's HTTP port. */
export async function writeTemporalServerConfig(input: TemporalServerConfigInput): Promise<{ configFile: string; httpPort: number }> {
  await fs.mkdir(input.configDir, { recursive: true });
  const taken = new Set([input.frontendPort]);
  const distinct = async (find: () => Promise<number>) => {
    let port: number;
    do port = await find(); while (taken.has(port));
    taken.add(port);
    return port;
  };
  const httpPort = await distinct(findFreePort);
  const services: Record<string, { rpc: object }> = {};
  for (const name of TEMPORAL_SERVICES) {
    const grpcPort = name === 'frontend' ? input.frontendPort : await distinct(findFreePort);
    // Membership ports are stored in cluster_membership.rpc_port, a SMALLINT in the PostgreSQL schema.
    const membershipPort = await distinct(() => findFreePortBetween(20_000, 32_767));
    services[name] = { rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...(name === 'frontend' ? { httpPort } : {}) } };
  }
  const { certificates: certs } = input;
  const sqlStore = (databaseName: string, maxConns: number) => ({
    pluginName: 'postgres12',
    databaseName,
    connectAddr: `127.0.0.1:${input.postgresPort}`,
    connectProtocol: 'tcp',
    user: 'postgres',
    password: '',
    maxConns,
    maxIdleConns: maxConns,
    maxConnLifetime: '1h',
  });
  const dynamicConfigFile = path.join(input.configDir, 'dynamicconfig.yaml');

  const config = {
    log: { stdout: true, level: input.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: {
        // Each of the five services opens its own pools: small ones, on a 2-core box.
        'postgres-default': { sql: sqlStore(TEMPORAL_DATABASES.default, 10) },
        'postgres-visibility': { sql: sqlStore(TEMPORAL_DATABASES.visibility, 2) },
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      tls: {
        // Clients: the server certificate, and mTLS with certificates of the client CA only.
        frontend: {
          server: { certFile: certs.serverCert, keyFile: certs.serverKey, requireClientAuth: true, clientCaFiles: [certs.clientCaCert] },
        },
        // Between the services, mTLS with the server CA. Not for the CPU's sake but because the internal
        // frontend (below) grants every caller system admin without a token: only nodes may reach it.
        internode: {
          server: { certFile: certs.serverCert, keyFile: certs.serverKey, requireClientAuth: true, clientCaFiles: [certs.serverCaCert] },
          client: { serverName: SERVER_NAME, rootCaFiles: [certs.serverCaCert] },
        },
      },
      authorization: {
        jwtKeyProvider: { keySourceURIs: [input.jwksUrl], refreshInterval: '1m' },
        permissionsClaimName: 'permissions',
        authorizer: 'default',
        claimMapper: 'default',
      },
    },
    // With an `internal-frontend` service the worker service's system workflows (schedules, Worker
    // Deployments, batch, ...) call it instead of the frontend: its claim mapper makes them system admin,
    // while the frontend lets in only callers with a signed API key.
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${SERVER_NAME}:${input.frontendPort}`, httpAddress: `${SERVER_NAME}:${httpPort}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  // Worker Deployments (versioning v3), which the product's workers use. Both are on by default in
  // 1.32; pinned so that a server upgrade that changes a default does not switch them off unnoticed.
  const dynamicConfig = {
    'system.enableDeploymentVersions': [{ value: true }],
    'frontend.workerVersioningWorkflowAPIs': [{ value: true }],
  };
  const configFile = path.join(input.configDir, 'production.yaml');
  await fs.writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  await fs.writeFile(dynamicConfigFile, `${JSON.stringify(dynamicConfig, null, 2)}\n`);
  return { configFile, httpPort };
}
