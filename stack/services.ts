/**
 * Starting the stack's servers (Temporal dev server, FerretDB on SQLite or PostgreSQL, Mailpit), shared by `npm start`, the test
 * global setup and end-to-end tests. Every start function resolves only once its service is usable,
 * rejects with the child's last output if it exits first, and returns a handle whose stop() sends SIGTERM,
 * then SIGKILL after a timeout.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import mongoose from 'mongoose';
import type { TemporalConnectionOptions } from '../config.js';
import { searchAttributeRegistrations } from '../contracts/search-attributes.js';
import { missingSearchAttributes } from '../services/temporal-connection.js';
import { assertPortFree, canConnect, outputOptions, spawnManaged, waitUntilReady, type ManagedProcess, type OutputOptions } from './processes.js';

export interface TemporalDevServerOptions extends OutputOptions {
  binary: string;
  port: number;
  /** Web UI port; ignored when headless. Defaults to port + 1000 (the CLI's default). */
  uiPort?: number;
  headless?: boolean;
  /** SQLite file for the history; it survives restarts. */
  dbFile: string;
  namespace: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  ownProcessGroup?: boolean;
  startupTimeoutMs?: number;
  /** Server settings (`--dynamic-config-value key=value`, the value in YAML: `'"2s"'`, `true`). */
  dynamicConfig?: Record<string, string>;
}

export interface TemporalDevServer extends ManagedProcess {
  /** `host:port` of the frontend, for `Connection.connect({ address })`. */
  address: string;
  namespace: string;
  uiUrl: string | undefined;
}

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  await assertPortFree(options.port);
  if (!options.headless && options.uiPort !== undefined) await assertPortFree(options.uiPort);
  await fs.mkdir(path.dirname(options.dbFile), { recursive: true });
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port),
    '--db-filename', options.dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--log-level', options.logLevel ?? 'warn'];
  // "default" is always created; only other namespaces need the flag.
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const registration of searchAttributeRegistrations) args.push('--search-attribute', registration);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${value}`);
  if (options.headless) args.push('--headless');
  else {
    if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
    args.push('--ui-disable-news-fetch'); // the news feed lives on the internet
  }

  const proc = spawnManaged({ name: 'temporal', command: options.binary, args, ...outputOptions(options), quietWhileStopping: true });
  const address = `127.0.0.1:${options.port}`;
  let connection: Connection | undefined;
  try {
    await waitUntilReady(proc, options.startupTimeoutMs ?? 60_000, async () => {
      if (!(await canConnect('127.0.0.1', options.port))) return false;
      // No retry interceptor: we are the retry loop, and each probe should fail fast.
      connection ??= await Connection.connect({ address, connectTimeout: 2000, interceptors: [] });
      const { namespace } = options;
      await connection.withDeadline(Date.now() + 2000, () => connection!.workflowService.describeNamespace({ namespace }));
      const missing = await connection.withDeadline(Date.now() + 2000, () => missingSearchAttributes(connection!, namespace));
      return missing.length === 0;
    });
  } finally {
    await connection?.close();
  }
  const uiUrl = options.headless ? undefined : `http://localhost:${options.uiPort ?? options.port + 1000}`;
  return Object.assign(proc, { address, namespace: options.namespace, uiUrl });
}

export interface TaskQueuePollerOptions {
  /** Address, TLS and API key, as config.temporal.connection. */
  connection: TemporalConnectionOptions;
  namespace: string;
  taskQueue: string;
  /** Only pollers seen at or after this time (ms since epoch) count, so stale ones from a previous run don't. */
  since: number;
  timeoutMs: number;
}

/** Resolves once some worker long-polls `taskQueue` for workflow tasks, i.e. a worker is really serving it. */
export async function waitForTaskQueuePoller(options: TaskQueuePollerOptions): Promise<void> {
  const connection = await Connection.connect({ ...options.connection, connectTimeout: 5000 });
  try {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace: options.namespace,
        taskQueue: { name: options.taskQueue, kind: 1 }, // TASK_QUEUE_KIND_NORMAL
        taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
      });
      if (pollers?.some((poller) => tsToMs(poller.lastAccessTime) >= options.since - 1000)) return;
      if (Date.now() > deadline) throw new Error(`no worker polled task queue "${options.taskQueue}" within ${options.timeoutMs} ms`);
      await sleep(250);
    }
  } finally {
    await connection.close();
  }
}

interface FerretDBCommonOptions extends OutputOptions {
  binary: string;
  port: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  ownProcessGroup?: boolean;
  startupTimeoutMs?: number;
}

/** FerretDB keeps its data either in SQLite files or in a PostgreSQL database. */
export type FerretDBOptions = FerretDBCommonOptions & (
  | {
    /** Directory of FerretDB's SQLite files (one per database); created if missing. */
    dataDir: string;
    postgresqlUrl?: undefined;
  }
  | {
    /** `postgres://user@host:port/database`, an existing database: each MongoDB database becomes a schema in it. */
    postgresqlUrl: string;
    dataDir?: undefined;
  }
);

export interface FerretDBServer extends ManagedProcess {
  /** `host:port`. */
  address: string;
  /** A MongoDB connection string for `database`. */
  uri(database: string): string;
}

export async function startFerretDB(options: FerretDBOptions): Promise<FerretDBServer> {
  await assertPortFree(options.port);
  const address = `127.0.0.1:${options.port}`;
  const args = ['-listen-addr', address, '-log-level', options.logLevel ?? 'error'];
  if (options.postgresqlUrl !== undefined) args.push('-postgresql-url', options.postgresqlUrl);
  else {
    const dataDir = path.resolve(options.dataDir);
    await fs.mkdir(dataDir, { recursive: true });
    args.push('-sqlite-url', `file:${dataDir}/`);
  }
  const proc = spawnManaged({ name: 'ferretdb', command: options.binary, args, ...outputOptions(options) });
  const uri = (database: string) => `mongodb://${address}/${database}`;

  await waitUntilReady(proc, options.startupTimeoutMs ?? 30_000, async () => {
    if (!(await canConnect('127.0.0.1', options.port))) return false;
    const connection = mongoose.createConnection(uri('admin'), { serverSelectionTimeoutMS: 2000 });
    try {
      await connection.asPromise();
      await connection.db!.command({ ping: 1 });
      return true;
    } finally {
      await connection.close().catch(() => {});
    }
  });
  return Object.assign(proc, { address, uri });
}

export interface MailpitOptions extends OutputOptions {
  binary: string;
  smtpPort: number;
  /** Port of its web UI and HTTP API. */
  httpPort: number;
  /** SQLite file for the messages, kept across restarts; without it Mailpit uses a temp file it deletes on exit. */
  dataFile?: string;
  /** Further flags, e.g. `--enable-chaos` in tests. */
  extraArgs?: string[];
  ownProcessGroup?: boolean;
  startupTimeoutMs?: number;
}

export interface MailpitServer extends ManagedProcess {
  /** `smtp://127.0.0.1:<smtpPort>`: no TLS and no authentication, on loopback only. */
  smtpUrl: string;
  /** `http://127.0.0.1:<httpPort>`; its JSON API is under /api/v1 (GET /api/v1/messages, /api/v1/message/{ID}). */
  apiUrl: string;
  /** The same, as a browser would be given it. */
  uiUrl: string;
}

/**
 * Mailpit on loopback. It must never reach out: no version check (the UI's "about" would ask GitHub),
 * no reverse DNS of SMTP clients, no proxying of remote CSS and fonts; relaying, webhooks, POP3 and the
 * spam checkers are off unless configured, and MP_* variables (Mailpit reads its settings from them too)
 * are not passed on, so nothing in our environment can turn them on.
 */
export async function startMailpit(options: MailpitOptions): Promise<MailpitServer> {
  await assertPortFree(options.smtpPort);
  await assertPortFree(options.httpPort);
  const args = [
    '--smtp', `127.0.0.1:${options.smtpPort}`,
    '--listen', `127.0.0.1:${options.httpPort}`,
    '--disable-version-check',
    '--smtp-disable-rdns',
    '--block-remote-css-and-fonts',
    '--quiet',
  ];
  if (options.dataFile) {
    await fs.mkdir(path.dirname(path.resolve(options.dataFile)), { recursive: true });
    args.push('--database', path.resolve(options.dataFile));
  }
  args.push(...(options.extraArgs ?? []));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MP_')));
  const proc = spawnManaged({ name: 'mailpit', command: options.binary, args, env, ...outputOptions(options) });
  const apiUrl = `http://127.0.0.1:${options.httpPort}`;

  await waitUntilReady(proc, options.startupTimeoutMs ?? 30_000, async () => {
    if (!(await canConnect('127.0.0.1', options.smtpPort))) return false;
    const response = await fetch(`${apiUrl}/api/v1/messages?limit=1`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  });
  return Object.assign(proc, { smtpUrl: `smtp://127.0.0.1:${options.smtpPort}`, apiUrl, uiUrl: `http://localhost:${options.httpPort}` });
}
