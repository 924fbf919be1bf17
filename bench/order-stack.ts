/**
 * The stack the orders benchmark drives: its own, started with `npm start` (stack/start.ts) on free ports
 * with data in a temp dir, whose worker and API count their database calls (OMS_DB_PROFILE_DIR,
 * persistence/call-profile.ts); or the one running at a URL.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type TemporalConnectionOptions } from '../config.js';
import { describeExit, findFreePort, startNodeProcess } from '../stack/processes.js';

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

export async function startOwnStack(): Promise<Stack> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-bench-orders-'));
  const ports: Record<string, string> = {};
  for (const name of ['PORT', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'FERRETDB_PORT', 'SMTP_PORT', 'MAILPIT_UI_PORT']) ports[name] = String(await findFreePort());
  const profileDir = path.join(dataDir, 'db-calls');
  // A load test, not abuse: one support key polls every order, well past a key's limit per minute.
  const env = { ...process.env, ...ports, DATA_DIR: dataDir, OMS_DB_PROFILE_DIR: profileDir, RATE_LIMIT_PER_KEY: '1000000' };
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
    describe: `own stack (npm start) on free ports, data in a temp dir; MongoDB: ${config.mongo.externalUri ? 'MONGODB_URI' : 'embedded FerretDB'}`,
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
