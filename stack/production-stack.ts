/**
 * A production-shaped stack for tests and benchmarks: the real Temporal server (TLS with client
 * certificates, signed API keys, the default authorizer) and FerretDB, both on one PostgreSQL. Unlike the
 * dev stack, its Temporal server knows none of the product's search attributes: `npm run setup:temporal`
 * registers them, with the admin API key, as it would on a real cluster.
 */
import path from 'node:path';
import { SYSTEM_ADMIN_PERMISSION, startApiKeyIssuer } from './api-keys.js';
import { writeStackCertificates } from './certificates.js';
import { startPostgres, type PostgresServer } from './postgres.js';
import { findFreePort, type OutputOptions } from './processes.js';
import { startFerretDB, type FerretDBServer } from './services.js';
import { ensureTemporalServer } from './temporal-server-build.js';
import { startTemporalServer, temporalClientEnv } from './temporal-server.js';
import { ensureTools } from './tools.js';

const FERRETDB_DATABASE = 'ferretdb';

export interface ProductionStackOptions extends Pick<OutputOptions, 'onLine'> {
  /** The stack's files (certificates and keys, Temporal's config); created if missing, left for the caller to remove. PostgreSQL keeps its data in a temp dir of its own. */
  dir: string;
  /** Default `default`. */
  namespace?: string;
  /** Default: the tools cache's (stack/tools.ts), installed if missing. */
  ferretdbBinary?: string;
  /** Same process group as the caller (false under vitest, so a Ctrl-C that skips teardown still reaches the servers). */
  ownProcessGroup?: boolean;
  /** Build progress of the tools; default stderr. */
  log?: (line: string) => void;
}

export interface MintOptions {
  /** Default `['<namespace>:write']`: what the product's API and worker need. */
  permissions?: string[];
  subject?: string;
  /** A jose time span such as `10m`; default `24h`. */
  expiresIn?: string;
}

export interface ClientEnvOptions {
  withoutClientCert?: boolean;
  withoutApiKey?: boolean;
  /** Instead of the default key (`<namespace>:write`), e.g. `adminApiKey` for `npm run setup:temporal`. */
  apiKey?: string;
}

export interface ProductionStack {
  postgres: PostgresServer;
  /** FerretDB on `postgres`, database `ferretdb`. */
  ferretdb: FerretDBServer;
  temporal: { address: string; namespace: string; uiUrl?: undefined };
  /** `temporal-system:admin`: may register namespaces and search attributes. */
  adminApiKey: string;
  mintApiKey(options?: MintOptions): Promise<string>;
  /** TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME: what a client process reads (@temporalio/envconfig). */
  clientEnv(options?: ClientEnvOptions): Record<string, string>;
  mongoUri(database: string): string;
  /** Milliseconds each step of the start took, and `total`. */
  startupMs: Record<'tools' | 'postgres' | 'ferretdb' | 'temporal' | 'total', number>;
  /** Temporal, FerretDB, PostgreSQL, then the key server. */
  stop(): Promise<void>;
}

export async function startProductionStack(options: ProductionStackOptions): Promise<ProductionStack> {
  const started = Date.now();
  const namespace = options.namespace ?? 'default';
  const output = { onLine: options.onLine, ownProcessGroup: options.ownProcessGroup };
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.splice(0).reverse()) await stop();
  };
  /** Resolves to what `starting` started, and remembers how to stop it. */
  const track = async <T>(starting: Promise<T>, stop: (value: T) => Promise<void>): Promise<T> => {
    const value = await starting;
    stoppers.push(() => stop(value));
    return value;
  };
  let lapStart = started;
  const lap = () => {
    const ms = Date.now() - lapStart;
    lapStart = Date.now();
    return ms;
  };

  try {
    // One at a time: a first build of the server takes both cores for minutes.
    const ferretdbBinary = options.ferretdbBinary ?? (await ensureTools(options.log)).ferretdb;
    const temporalTool = await ensureTemporalServer(options.log);
    const tools = lap();

    const [certificates, issuer, postgres] = await Promise.all([
      writeStackCertificates(path.join(options.dir, 'tls')),
      track(startApiKeyIssuer(), (issuer) => issuer.close()),
      track(findFreePort().then((port) => startPostgres({ ...output, port })), (server) => server.stop()),
    ]);
    await postgres.createDatabase(FERRETDB_DATABASE);
    const postgresMs = lap();

    // FerretDB before Temporal, which picks its many ports only then, so they cannot collide.
    const ferretdb = await track(
      startFerretDB({ ...output, binary: ferretdbBinary, port: await findFreePort(), postgresqlUrl: postgres.url(FERRETDB_DATABASE) }),
      (server) => server.stop(),
    );
    const ferretdbMs = lap();

    const adminApiKey = await issuer.mint({ permissions: [SYSTEM_ADMIN_PERMISSION], subject: 'oms-stack-admin' });
    const mintApiKey = (mint: MintOptions = {}) => issuer.mint({ permissions: [`${namespace}:write`], ...mint });
    const appApiKey = await mintApiKey({ subject: 'oms-stack-app' });
    const temporal = await track(startTemporalServer({
      ...output,
      tool: temporalTool,
      configDir: path.join(options.dir, 'temporal'),
      postgres,
      certificates,
      jwksUrl: issuer.jwksUrl,
      adminApiKey,
      port: await findFreePort(),
      namespace,
    }), (server) => server.stop());

    return {
      postgres,
      ferretdb,
      temporal: { address: temporal.address, namespace },
      adminApiKey,
      mintApiKey,
      clientEnv: (env: ClientEnvOptions = {}) => temporalClientEnv({
        address: temporal.address,
        namespace,
        certificates,
        apiKey: env.withoutApiKey ? undefined : (env.apiKey ?? appApiKey),
        withoutClientCert: env.withoutClientCert,
      }),
      mongoUri: (database: string) => ferretdb.uri(database),
      startupMs: { tools, postgres: postgresMs, ferretdb: ferretdbMs, temporal: lap(), total: Date.now() - started },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
