/**
 * The stack the orders benchmark drives: its own, started with `npm start` (stack/start.ts) on free ports
 * with data in a temp dir, whose worker and API count their database calls (OMS_DB_PROFILE_DIR,
 * persistence/call-profile.ts): on the embedded servers, or on the production-shaped ones (the real
 * Temporal server with TLS, client certificates and API keys, FerretDB, both on PostgreSQL:
 * stack/production-stack.ts); or the one running at a URL.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, type TemporalConnectionOptions } from '../config.js';
import { describeExit, findFreePort, repoRoot, startNodeProcess } from '../stack/processes.js';
import { startProductionStack } from '../stack/production-stack.js';

export interface Stack {
  apiUrl: string;
  /** Address, TLS and API key of its Temporal. */
  temporal: TemporalConnectionOptions;
  namespace: string;
  mongoUri: string;
  describe: string;
  /** Processes whose CPU the benchmark reads (its own stack's supervisor, whose children are the servers). */
  pids: number[];
  /** Stops the stack; for its own stack, returns the database calls its worker and API counted until they stopped. */
  stop(): Promise<DatabaseCall[] | undefined>;
}

export interface DatabaseCall {
  process: string;
  call: string;
  count: number;
}

/**
 * The production-shaped servers, readied as an operator would (`npm run setup:temporal` with an admin key),
 * and `npm start` on them: it starts only Mailpit, the worker and the API, which connect with TLS, a client
 * certificate and a signed API key, and keep their documents in FerretDB on PostgreSQL.
 */
export async function startProductionOrderStack(): Promise<Stack> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-bench-production-'));
  const servers = await startProductionStack({ dir, onLine: () => {} });
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'stack/setup-temporal.ts'], {
      cwd: repoRoot,
      env: { ...process.env, ...servers.clientEnv({ apiKey: servers.adminApiKey }) },
    });
    const stack = await startOwnStack({ ...servers.clientEnv(), MONGODB_URI: servers.mongoUri('oms') },
      'production-shaped stack: Temporal server v1.32.2 (TLS, client certificates, API key) and FerretDB, both on PostgreSQL; npm start runs the worker and the API');
    return {
      // Its servers are this process's children: the CPU readings of the benchmark's own tree include them.
      ...stack,
      stop: async () => {
        const calls = await stack.stop();
        await servers.stop();
        await fs.rm(dir, { recursive: true, force: true });
        return calls;
      },
    };
  } catch (error) {
    await servers.stop();
    throw error;
  }
}

export async function startOwnStack(serverEnv: Record<string, string> = {}, describe?: string): Promise<Stack> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-bench-orders-'));
  const ports: Record<string, string> = {};
  for (const name of ['PORT', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'FERRETDB_PORT', 'SMTP_PORT', 'MAILPIT_UI_PORT']) ports[name] = String(await findFreePort());
  const profileDir = path.join(dataDir, 'db-calls');
  // A load test, not abuse: one support key polls every order, well past a key's limit per minute.
  const env = { ...process.env, ...ports, ...serverEnv, DATA_DIR: dataDir, OMS_DB_PROFILE_DIR: profileDir, RATE_LIMIT_PER_KEY: '1000000' };
  let up: () => void = () => {};
  const ready = new Promise<void>((resolve) => (up = resolve));
  const stack = startNodeProcess({
    name: 'stack',
    entry: 'stack/start.ts',
    env,
    onLine: (line) => {
      if (line.includes('Fulfillment engine is up.')) up();
    },
  });
  const failed = stack.exited.then((exit) => {
    throw new Error(`npm start ${describeExit(exit)}. Last output:\n${stack.recentOutput().join('\n')}`);
  });
  await Promise.race([ready, failed]);
  void failed.catch(() => undefined);
  const config = withEnv(env, loadConfig);
  return {
    apiUrl: `http://127.0.0.1:${ports.PORT}`,
    temporal: config.temporal.connection,
    namespace: config.temporal.namespace,
    mongoUri: config.mongo.uri,
    describe: describe ?? `own stack (npm start) on free ports, data in a temp dir; MongoDB: ${config.mongo.externalUri ? 'MONGODB_URI' : 'embedded FerretDB'}`,
    pids: [stack.pid],
    stop: async () => {
      await stack.stop(90_000);
      const calls = await databaseCalls(profileDir);
      await fs.rm(dataDir, { recursive: true, force: true });
      return calls;
    },
  };
}

export function runningStack(url: string): Stack {
  const config = loadConfig();
  return {
    apiUrl: url.replace(/\/$/, ''),
    temporal: config.temporal.connection,
    namespace: config.temporal.namespace,
    mongoUri: config.mongo.uri,
    describe: `the running stack at ${url}`,
    pids: [],
    stop: async () => undefined,
  };
}

function withEnv<T>(env: NodeJS.ProcessEnv, read: () => T): T {
  const saved = process.env;
  process.env = env;
  try {
    return read();
  } finally {
    process.env = saved;
  }
}

/** What the worker and the API wrote into `profileDir` as they stopped (persistence/call-profile.ts). */
async function databaseCalls(profileDir: string): Promise<DatabaseCall[]> {
  const files = await fs.readdir(profileDir).catch(() => [] as string[]);
  const rows: DatabaseCall[] = [];
  for (const file of files) {
    const counts: Record<string, number> = JSON.parse(await fs.readFile(path.join(profileDir, file), 'utf8'));
    for (const [call, count] of Object.entries(counts)) rows.push({ process: file.split('-')[0], call, count });
  }
  return rows.sort((a, b) => b.count - a.count);
}
