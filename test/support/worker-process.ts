/**
 * A worker as an OS process of its own (`node --import tsx <script>`) on the suite's servers, configured
 * through the environment the way worker/main.ts reads it, so a test can crash it with SIGKILL: no shutdown
 * hook runs, activities in flight simply stop, and its workflow cache is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { waitForTaskQueuePoller } from '../../stack/services.js';
import { TEST_INVENTORY } from './fixtures.js';
import { SUITE_NAMESPACE } from './suite-temporal.js';
import { repoRoot } from '../../stack/processes.js';

export interface WorkerProcessOptions {
  /** The script, relative to the repository root: `worker/main.ts` or a test worker. */
  script: string;
  temporalAddress: string;
  mongoUri: string;
  smtpUrl: string;
  taskQueue: string;
  /** More environment for the script. */
  env?: Record<string, string>;
  /** Until it polls its task queue (it bundles the workflow code first). */
  readyTimeoutMs?: number;
}

export interface WorkerProcess {
  pid: number;
  /** The first line of its output matching `pattern`; fails when the process exits first or on timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGKILL, then waits until it has exited; resolves with the signal that ended it. */
  crash(): Promise<NodeJS.Signals | null>;
}

/** Processes started and not yet seen to exit, so a failed test cannot leave one behind. */
const running = new Set<ChildProcess>();

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', options.script], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: options.temporalAddress,
      TEMPORAL_NAMESPACE: SUITE_NAMESPACE,
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      MONGODB_URI: options.mongoUri,
      SMTP_URL: options.smtpUrl,
      LOW_STOCK_THRESHOLD: String(TEST_INVENTORY.lowStockThreshold),
      OPERATIONS_EMAIL: TEST_INVENTORY.operationsEmail,
      ...options.env,
    },
  });
  running.add(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => {
      running.delete(child);
      resolve(signal);
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
    exited.then((signal) => {
      throw new Error(`worker process ${options.script} exited (${child.exitCode ?? signal}) before ${what}. Output:\n${output}`);
    });

  const worker: WorkerProcess = {
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
      return exited;
    },
  };

  try {
    await Promise.race([
      waitForTaskQueuePoller({
        address: options.temporalAddress,
        namespace: SUITE_NAMESPACE,
        taskQueue: options.taskQueue,
        since: startedAt,
        timeoutMs: options.readyTimeoutMs ?? 120_000,
      }),
      exitedEarly('polling its task queue'),
    ]);
  } catch (error) {
    await worker.crash();
    throw error;
  }
  return worker;
}

/** SIGKILLs every worker process still running (an `afterEach` of tests that start them). */
export async function stopWorkerProcesses(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    }),
  );
}
