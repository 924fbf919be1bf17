/**
 * Child processes of the stack: spawning with prefixed output, stopping (SIGTERM, then SIGKILL after a
 * timeout), waiting until a process is usable, and free ports. Used by stack/services.ts, `npm start`,
 * the test global setup and end-to-end tests.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

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

/**
 * A free port between `min` and `max`, tried at random: for a server that cannot take just any port the
 * OS hands out (Linux's ephemeral range, from which findFreePort picks, starts at 32768).
 */
export async function findFreePortBetween(min: number, max: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port between ${min} and ${max} in 100 tries`);
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

export function canConnect(host: string, port: number): Promise<boolean> {
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
export async function waitUntilReady(proc: ManagedProcess, timeoutMs: number, isReady: () => Promise<boolean>): Promise<void> {
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

export function outputOptions(options: OutputOptions & { ownProcessGroup?: boolean }) {
  return { onLine: options.onLine, logPrefix: options.logPrefix, ownProcessGroup: options.ownProcessGroup };
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
