/**
 * A worker or the API as an OS process of its own (`node --import tsx <script>`) on the suite's servers,
 * configured through the environment the way worker/main.ts and api/main.ts read it, so a test can crash it
 * with SIGKILL (no shutdown hook runs, activities in flight simply stop, a worker's cache is gone) or stop
 * it with a signal and watch it shut down.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { loadTemporalConnection } from '../../config.js';
import { waitForTaskQueuePoller } from '../../stack/services.js';
import { TEST_INVENTORY } from './fixtures.js';
import { testSmtpUrl } from './mail.js';
import { SUITE_NAMESPACE } from './suite-temporal.js';
import { findFreePort, repoRoot, waitForTcp } from '../../stack/processes.js';

export interface WorkerProcessOptions {
  /** The script, relative to the repository root: `worker/main.ts` or a test worker. */
  script: string;
  /** Default: the suite's Temporal dev server. */
  temporalAddress?: string;
  mongoUri: string;
  /** Default: the suite's Mailpit. */
  smtpUrl?: string;
  taskQueue: string;
  /** More environment for the script. */
  env?: Record<string, string>;
  /** Until it polls its task queue (it bundles the workflow code first). */
  readyTimeoutMs?: number;
}

export type WorkerProcess = NodeProcess;

/** A `node --import tsx <script>` process whose output a test can wait on, and stop or kill. */
export interface NodeProcess {
  pid: number;
  /** The first line of its output matching `pattern`; fails when the process exits first or on timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGKILL, then waits until it has exited; resolves with the signal that ended it. */
  crash(): Promise<NodeJS.Signals | null>;
  /** Sends `signal` (a stop request) and resolves with how the process exited, within `timeoutMs`. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const execFileAsync = promisify(execFile);

/** Processes started and not yet seen to exit, so a failed test cannot leave one behind. */
const running = new Set<ChildProcess>();

/**
 * Starts `script` with the suite's servers in its environment (plus `env`) and waits until `ready` resolves;
 * if it exits first or `ready` fails, the error carries its output.
 */
async function startNodeProcess(
  script: string,
  env: Record<string, string>,
  ready: () => Promise<void>,
): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  let output = '';
  const lineListeners = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output += chunk;
      for (const listener of lineListeners) listener();
    });
  }
  const exitedEarly = (what: string) =>
    exited.then(({ code, signal }) => {
      throw new Error(`process ${script} exited (${code ?? signal}) before ${what}. Output:\n${output}`);
    });

  const started: NodeProcess = {
    pid: child.pid!,
    waitForLine(pattern, timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      let check: (() => void) | undefined;
      const found = new Promise<string>((resolve, reject) => {
        check = () => {
          const line = output.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) resolve(line);
        };
        lineListeners.add(check);
        check();
        timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms. Output:\n${output}`)), timeoutMs);
      });
      return Promise.race([found, exitedEarly(`printing ${pattern}`)]).finally(() => {
        clearTimeout(timer);
        lineListeners.delete(check!);
      });
    },
    async crash() {
      child.kill('SIGKILL');
      return (await exited).signal;
    },
    async stop(signal, timeoutMs) {
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${script} did not exit within ${timeoutMs} ms of ${signal}. Output:\n${output}`)), timeoutMs);
      });
      return Promise.race([exited, late]).finally(() => clearTimeout(timer));
    },
  };

  try {
    await Promise.race([ready(), exitedEarly('it was ready')]);
  } catch (error) {
    await started.crash();
    throw error;
  }
  return started;
}

/** The environment worker/main.ts and api/main.ts read, pointing at the given servers (or the suite's) and task queue. */
function suiteEnvironment(options: Pick<WorkerProcessOptions, 'temporalAddress' | 'mongoUri' | 'smtpUrl' | 'taskQueue'>): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: options.temporalAddress ?? inject('temporalAddress'),
    TEMPORAL_NAMESPACE: SUITE_NAMESPACE,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    MONGODB_URI: options.mongoUri,
    SMTP_URL: options.smtpUrl ?? testSmtpUrl(),
    LOW_STOCK_THRESHOLD: String(TEST_INVENTORY.lowStockThreshold),
    OPERATIONS_EMAIL: TEST_INVENTORY.operationsEmail,
  };
}

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const startedAt = Date.now();
  const env = { ...suiteEnvironment(options), ...options.env };
  return startNodeProcess(options.script, env, () =>
    waitForTaskQueuePoller({
      connection: { ...loadTemporalConnection(env).connectionOptions, address: env.TEMPORAL_ADDRESS },
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: options.taskQueue,
      since: startedAt,
      timeoutMs: options.readyTimeoutMs ?? 120_000,
    }),
  );
}

/** Runs `script` (relative to the repository root) to its end with `env` added; its exit code and its output. */
export async function runToEnd(script: string, env: Record<string, string>, timeoutMs = 90_000): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: timeoutMs });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
}

/** SIGKILLs every process started here and still running (an `afterEach` of tests that start them). */
export async function killNodeProcesses(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    }),
  );
}

export interface ApiProcess extends NodeProcess {
  baseUrl: string;
}

/** api/main.ts on a free port with `env` (e.g. SHUTDOWN_GRACE); ready once it listens (after connecting to its servers). */
export async function startApiProcess(options: Omit<WorkerProcessOptions, 'script' | 'readyTimeoutMs'>): Promise<ApiProcess> {
  const port = await findFreePort();
  const started = await startNodeProcess('api/main.ts', { ...suiteEnvironment(options), PORT: String(port), LOG_LEVEL: 'info', ...options.env }, () =>
    waitForTcp('127.0.0.1', port, 60_000),
  );
  return { ...started, baseUrl: `http://127.0.0.1:${port}` };
}
