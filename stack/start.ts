/**
 * `npm start`: the whole system on one machine. Starts the Temporal dev server, FerretDB and Mailpit
 * (unless TEMPORAL_ADDRESS / MONGODB_URI / SMTP_URL point at existing ones), then the worker and the API,
 * prints where everything is, restarts any of them that dies, and on Ctrl-C stops it all in reverse order,
 * keeping the data in DATA_DIR.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT_SETTINGS, loadConfig } from '../config.js';
import { describeExit, isPortFree, type ManagedProcess, PortInUseError, repoRoot, startNodeProcess, waitForTcp } from './processes.js';
import { startFerretDB, startMailpit, startTemporalDevServer, waitForTaskQueuePoller } from './services.js';
import { ensureTools } from './tools.js';

const say = (line: string) => console.log(`[start] ${line}`);
const running: ManagedProcess[] = []; // in start order; stopped in reverse
let shuttingDown = false;

/** Stops everything in reverse order and exits; a second request (npm forwards the signal the terminal sent) is ignored. */
function shutDown(exitCode: number, reason: string): void {
  if (shuttingDown) return;
  shuttingDown = true;
  (exitCode === 0 ? say : (line: string) => console.error(`[start] ${line}`))(reason);
  stopAll().then(
    () => {
      if (exitCode === 0) say('stopped; data is kept.');
      process.exit(exitCode);
    },
    (error: unknown) => {
      console.error(`[start] stopping failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

async function stopAll(): Promise<void> {
  // The API and the worker drain within the grace period (SHUTDOWN_GRACE); give them that and a margin before SIGKILL.
  const { shutdownGraceMs } = loadConfig();
  for (const proc of [...running].reverse()) {
    await proc.stop(/^(worker|api)\b/.test(proc.name) ? shutdownGraceMs + 10_000 : 10_000);
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => shutDown(0, `${signal} received, stopping ...`));
}

// `npm start` runs us under `sh -c`, which dies on a SIGTERM sent to npm without passing it on;
// then we are reparented and nobody would ever stop the stack. Treat that as a stop request.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) shutDown(0, 'parent process exited, stopping ...');
}, 1000).unref();

/** Restarts wait 1, 2, 4 ... s (at most RESTART_MAX_WAIT_MS); a process that ran STABLE_MS is well again. */
const RESTART_FIRST_WAIT_MS = 1_000;
const RESTART_MAX_WAIT_MS = 30_000;
const STABLE_MS = 60_000;
const restartWaitMs = (failures: number) => Math.min(RESTART_FIRST_WAIT_MS * 2 ** failures, RESTART_MAX_WAIT_MS);

/**
 * Keeps a child running: when it exits on its own (a crash, a kill), it is started again after a wait
 * that doubles while it keeps failing, with a line saying so. The others carry on and reconnect by
 * themselves once it is back (mongoose, the Temporal client and worker retry their connections).
 */
function supervise(proc: ManagedProcess, restart: () => Promise<ManagedProcess>, failures = 0): ManagedProcess {
  running.push(proc);
  const started = Date.now();
  proc.exited
    .then((exit) => exit.code === EXIT_SETTINGS
      ? shutDown(1, `${proc.name} stopped on a setting (its line above says which); starting it again would not help.`)
      : restartAfterExit(proc, describeExit(exit), restart, Date.now() - started >= STABLE_MS ? 0 : failures))
    .catch((error: unknown) => shutDown(1, `supervising ${proc.name} failed: ${error instanceof Error ? error.message : String(error)}`));
  return proc;
}

async function restartAfterExit(proc: ManagedProcess, how: string, restart: () => Promise<ManagedProcess>, failed: number): Promise<void> {
  if (shuttingDown) return;
  running.splice(running.indexOf(proc), 1);
  console.error(`[start] ${proc.name} ${how} unexpectedly; restarting it in ${restartWaitMs(failed) / 1000} s (restart ${failed + 1}).`);
  for (let attempt = failed + 1; !shuttingDown; attempt++) {
    await sleep(restartWaitMs(attempt - 1));
    if (shuttingDown) return;
    try {
      supervise(await restart(), restart, attempt);
      say(`${proc.name} is running again.`);
      return;
    } catch (error) {
      console.error(`[start] ${proc.name} did not start again (${error instanceof Error ? error.message : String(error)}); trying again.`);
    }
  }
}

/** `scheme://user:pass@host...` -> `scheme://user:****@host...` (MongoDB and SMTP URLs). */
function maskPassword(uri: string): string {
  return uri.replace(/^([a-z+]+:\/\/[^:@/]*):[^@/]*@/i, '$1:****@');
}

async function main(): Promise<void> {
  const config = loadConfig();
  const startTemporal = config.temporal.externalAddress === undefined;
  const startMongo = config.mongo.externalUri === undefined;
  const startMail = config.mail.externalSmtpUrl === undefined;

  const wantedPorts: Array<[number, string]> = Array.from({ length: config.processes.apis }, (_, index) => [config.port + index, index === 0 ? 'PORT' : 'PORT (API process ' + (index + 1) + ')']);
  if (startTemporal) wantedPorts.push([config.temporal.port, 'TEMPORAL_PORT'], [config.temporal.uiPort, 'TEMPORAL_UI_PORT']);
  if (startMongo) wantedPorts.push([config.mongo.ferretdbPort, 'FERRETDB_PORT']);
  if (startMail) wantedPorts.push([config.mail.smtpPort, 'SMTP_PORT'], [config.mail.mailpitUiPort, 'MAILPIT_UI_PORT']);
  const envVarOfPort = new Map(wantedPorts);
  for (const [port, envVar] of wantedPorts) {
    if (!(await isPortFree(port))) throw new Error(`port ${port} is already in use; set ${envVar} to a free port (or stop what uses it).`);
  }
  for (const entry of ['worker/main.ts', 'api/main.ts']) {
    if (!existsSync(path.join(repoRoot, entry))) throw new Error(`${entry} not found; run npm start from the repository root.`);
  }

  const tools = await ensureTools();
  const keepRunning = (start: () => Promise<ManagedProcess>) => start().then((proc) => supervise(proc, start));
  const [temporal, ferretdb, mailpit] = await Promise.allSettled([
    startTemporal
      ? keepRunning(() => startTemporalDevServer({ binary: tools.temporal, port: config.temporal.port, uiPort: config.temporal.uiPort,
          dbFile: path.join(config.dataDir, 'temporal', 'temporal.db'), namespace: config.temporal.namespace }))
      : undefined,
    startMongo
      ? keepRunning(() => startFerretDB({ binary: tools.ferretdb, port: config.mongo.ferretdbPort, dataDir: path.join(config.dataDir, 'ferretdb') }))
      : undefined,
    startMail
      ? keepRunning(() => startMailpit({ binary: tools.mailpit, smtpPort: config.mail.smtpPort, httpPort: config.mail.mailpitUiPort,
          dataFile: path.join(config.dataDir, 'mailpit', 'mailpit.db') }))
      : undefined,
  ]);
  for (const started of [temporal, ferretdb, mailpit]) {
    if (started.status === 'rejected') {
      const error = started.reason;
      if (error instanceof PortInUseError) throw new Error(`port ${error.port} is already in use; set ${envVarOfPort.get(error.port)} to a free port.`);
      throw error;
    }
  }

  const env = { ...process.env, TEMPORAL_ADDRESS: config.temporal.address, MONGODB_URI: config.mongo.uri, SMTP_URL: config.mail.smtpUrl };
  const workerStarted = Date.now();
  const { workers, apis } = config.processes;
  const numbered = (name: string, index: number, count: number) => (count === 1 ? name : `${name}-${index + 1}`);
  for (let index = 0; index < workers; index++) {
    await keepRunning(async () => startNodeProcess({ name: numbered('worker', index, workers), entry: 'worker/main.ts', env }));
  }
  // Each API process has a port of its own (PORT, PORT+1, ...), for a load balancer in front of them.
  for (let index = 0; index < apis; index++) {
    await keepRunning(async () => startNodeProcess({ name: numbered('api', index, apis), entry: 'api/main.ts', env: { ...env, PORT: String(config.port + index) } }));
  }
  // Up means: the APIs accept connections and a worker polls its task queue (after bundling workflows).
  await Promise.all([
    ...Array.from({ length: apis }, (_, index) => waitForTcp('localhost', config.port + index, 120_000)),
    waitForTaskQueuePoller({ connection: config.temporal.connection, namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue, since: workerStarted, timeoutMs: 120_000 }),
  ]);

  const apiUrl = `http://localhost:${config.port}`;
  const lines = [
    'Fulfillment engine is up.',
    `  API          ${apiUrl}${apis > 1 ? ` and the next ${apis - 1} port(s), one per API process` : ''}`,
    `  API docs     ${apiUrl}/docs`,
    `  Console      ${apiUrl}/console  (sign in with a support, warehouse or admin key)`,
    startTemporal
      ? `  Temporal UI  http://localhost:${config.temporal.uiPort}`
      : `  Temporal     ${config.temporal.address} (external)`,
    `  MongoDB      ${maskPassword(config.mongo.uri)}${startMongo ? ' (FerretDB)' : ' (external)'}`,
    ...(startMail
      ? [`  Mailpit UI   http://localhost:${config.mail.mailpitUiPort}  (API /api/v1/messages; a message as text: /view/<ID>.txt)`,
          `  SMTP         ${config.mail.smtpUrl} (Mailpit catches all mail)`]
      : [`  SMTP         ${maskPassword(config.mail.smtpUrl)} (external)`]),
  ];
  if (!config.production && !process.env.API_KEYS) {
    lines.push('  Dev API keys (API_KEYS is unset, so these are accepted):',
      '    dev-channel-web    channel web', '    dev-channel-store  channel store',
      '    dev-support        support', '    dev-warehouse      warehouse', '    dev-admin          admin');
  }
  if (startTemporal || startMongo || startMail) lines.push(`  Data in      ${config.dataDir}`);
  lines.push('Ctrl-C stops everything.');
  const rule = '-'.repeat(64);
  console.log(['', rule, ...lines, rule, ''].join('\n'));
}

main().catch((error: unknown) => {
  shutDown(1, `cannot start: ${error instanceof Error ? error.message : String(error)}`);
});
