/**
 * Starting and stopping the stack's processes (Temporal dev server, FerretDB, Mailpit, our Node entry points),
 * shared by `npm start`, the test global setup and end-to-end tests.
 *
 * Every start function resolves only once its service is usable, rejects with the child's last output
 * if it exits first, and returns a handle whose stop() sends SIGTERM, then SIGKILL after a timeout.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import mongoose from 'mongoose';
import { searchAttributeRegistrations } from '../contracts/search-attributes.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RECENT_LINES = 40;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Settles (never rejects) when the process has exited, for whatever reason. */
  readonly exited: Promise<ProcessExit>;
  hasExited(): boolean;
  /** The last lines the process printed, for error messages. */
  recentOutput(): string[];
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface OutputOptions {
  /** Receives each output line already prefixed (`[name] ...`); default: print to stdout. */
  onLine?: (prefixedLine: string) => void;
  /** Prefix shown before each line; default `[name]`. */
  logPrefix?: string;
}

export interface SpawnManagedOptions extends OutputOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Run in its own process group (default true) so a terminal Ctrl-C reaches only the launcher, which
   * then stops children in order. Pass false to let Ctrl-C hit the child directly (e.g. under vitest).
   */
  ownProcessGroup?: boolean;
  /** Record but don't print what it says once stop() was called (Temporal logs scary noise then). */
  quietWhileStopping?: boolean;
}

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use`);
  }
}

/** Children still running, killed synchronously if this process exits without stopping them. */
const liveChildren = new Set<{ pid: number; group: boolean }>();
process.on('exit', () => {
  for (const child of liveChildren) killQuietly(child.pid, child.group, 'SIGKILL');
});

export function spawnManaged(options: SpawnManagedOptions): ManagedProcess {
  const group = options.ownProcessGroup ?? true;
  const child = spawn(options.command, options.args, {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  const prefix = options.logPrefix ?? `[${options.name}]`;
  const onLine = options.onLine ?? ((line: string) => process.stdout.write(`${line}\n`));
  const recent: string[] = [];
  let stopRequested = false;
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      recent.push(line);
      if (recent.length > RECENT_LINES) recent.shift();
      if (!(stopRequested && options.quietWhileStopping)) onLine(`${prefix} ${line}`);
    });
  }

  let exitInfo: ProcessExit | undefined;
  const entry = { pid: child.pid ?? -1, group };
  const exited = new Promise<ProcessExit>((resolve) => {
    child.on('error', (error) => {
      recent.push(`failed to start ${options.command}: ${error.message}`);
      exitInfo ??= { code: null, signal: null };
      resolve(exitInfo);
    });
    child.on('exit', (code, signal) => {
      exitInfo ??= { code, signal };
      liveChildren.delete(entry);
      // Settle once the output is drained ('close'), so the last lines get printed; but don't wait
      // on a grandchild that inherited the pipes and outlives the child.
      setTimeout(() => resolve(exitInfo!), 1000).unref();
    });
    child.on('close', () => exitInfo && resolve(exitInfo));
  });
  if (child.pid !== undefined) liveChildren.add(entry);

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = 10_000): Promise<void> =>
    (stopping ??= (async () => {
      stopRequested = true;
      if (exitInfo || child.pid === undefined) return;
      killQuietly(child.pid, group, 'SIGTERM');
      const killTimer = setTimeout(() => killQuietly(child.pid!, group, 'SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(killTimer);
      // Anything the child left behind in its group (it should have none) goes too.
      if (group) killQuietly(child.pid, true, 'SIGKILL');
    })());

  return {
    name: options.name,
    pid: child.pid ?? -1,
    exited,
    hasExited: () => exitInfo !== undefined,
    recentOutput: () => [...recent],
    stop,
  };
}

function killQuietly(pid: number, group: boolean, signal: NodeJS.Signals): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // already gone
  }
}

export function describeExit(exit: ProcessExit): string {
  if (exit.signal) return `was killed by ${exit.signal}`;
  return exit.code === null ? 'could not be started' : `exited with code ${exit.code}`;
}

/** A port the OS considers free right now (there is an unavoidable race until someone binds it). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True if nobody listens on `port`, on loopback or on all interfaces. */
export async function isPortFree(port: number): Promise<boolean> {
  for (const host of ['127.0.0.1', undefined]) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EADDRINUSE' && error.code !== 'EACCES'));
      server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

export async function assertPortFree(port: number): Promise<void> {
  if (!(await isPortFree(port))) throw new PortInUseError(port);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitForTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(host, port))) {
    if (Date.now() > deadline) throw new Error(`nothing accepted connections on ${host}:${port} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Polls `isReady` until it returns true. Fails early if the process exits, and on timeout; in both
 * cases the process is stopped and its last output is part of the error.
 */
async function waitUntilReady(proc: ManagedProcess, timeoutMs: number, isReady: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (proc.hasExited()) {
      throw new Error(`${proc.name} ${describeExit(await proc.exited)} during startup. Last output:\n${proc.recentOutput().join('\n')}`);
    }
    try {
      if (await isReady()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      await proc.stop();
      const cause = lastError instanceof Error ? ` (last check: ${lastError.message})` : '';
      throw new Error(`${proc.name} was not ready within ${timeoutMs} ms${cause}. Last output:\n${proc.recentOutput().join('\n')}`);
    }
    await sleep(250);
  }
}

function outputOptions(options: OutputOptions & { ownProcessGroup?: boolean }) {
  return { onLine: options.onLine, logPrefix: options.logPrefix, ownProcessGroup: options.ownProcessGroup };
}

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
  if (options.headless) args.push('--headless');
  else {
    if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
    args.push('--ui-disable-news-fetch'); // the news feed lives on the internet
  }

  const proc = spawnManaged({ name: 'temporal', command: options.binary, args, ...outputOptions(options), quietWhileStopping: true });
  const address = `127.0.0.1:${options.port}`;
  const expectedAttributes = searchAttributeRegistrations.map((registration) => registration.split('=')[0]);
  let connection: Connection | undefined;
  try {
    await waitUntilReady(proc, options.startupTimeoutMs ?? 60_000, async () => {
      if (!(await canConnect('127.0.0.1', options.port))) return false;
      // No retry interceptor: we are the retry loop, and each probe should fail fast.
      connection ??= await Connection.connect({ address, connectTimeout: 2000, interceptors: [] });
      const { namespace } = options;
      await connection.withDeadline(Date.now() + 2000, () => connection!.workflowService.describeNamespace({ namespace }));
      const { customAttributes } = await connection.withDeadline(Date.now() + 2000, () =>
        connection!.operatorService.listSearchAttributes({ namespace }),
      );
      return expectedAttributes.every((name) => customAttributes && name in customAttributes);
    });
  } finally {
    await connection?.close();
  }
  const uiUrl = options.headless ? undefined : `http://localhost:${options.uiPort ?? options.port + 1000}`;
  return Object.assign(proc, { address, namespace: options.namespace, uiUrl });
}

export interface TaskQueuePollerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Only pollers seen at or after this time (ms since epoch) count, so stale ones from a previous run don't. */
  since: number;
  timeoutMs: number;
}

/** Resolves once some worker long-polls `taskQueue` for workflow tasks, i.e. a worker is really serving it. */
export async function waitForTaskQueuePoller(options: TaskQueuePollerOptions): Promise<void> {
  const connection = await Connection.connect({ address: options.address, connectTimeout: 5000 });
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

export interface FerretDBOptions extends OutputOptions {
  binary: string;
  port: number;
  /** Directory of FerretDB's SQLite files (one per database); created if missing. */
  dataDir: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  ownProcessGroup?: boolean;
  startupTimeoutMs?: number;
}

export interface FerretDBServer extends ManagedProcess {
  /** `host:port`. */
  address: string;
  /** A MongoDB connection string for `database`. */
  uri(database: string): string;
}

export async function startFerretDB(options: FerretDBOptions): Promise<FerretDBServer> {
  await assertPortFree(options.port);
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  const address = `127.0.0.1:${options.port}`;
  const args = ['-listen-addr', address, '-sqlite-url', `file:${dataDir}/`, '-log-level', options.logLevel ?? 'error'];
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

export interface NodeProcessOptions extends OutputOptions {
  /** Used for the `[name]` prefix and in messages. */
  name: string;
  /** A TypeScript (or JS) entry point, relative to the repo root or absolute. */
  entry: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  ownProcessGroup?: boolean;
}

/** Runs `node --import tsx <entry>` with this Node binary. */
export function startNodeProcess(options: NodeProcessOptions): ManagedProcess {
  const entry = path.resolve(repoRoot, options.entry);
  return spawnManaged({
    ...options,
    command: process.execPath,
    args: ['--import', 'tsx', entry, ...(options.args ?? [])],
    cwd: options.cwd ?? repoRoot,
  });
}
