/**
 * Every setting the processes read, from the environment, in one place.
 * `TEMPORAL_ADDRESS` / `MONGODB_URI` / `SMTP_URL` point at existing servers; without them `npm start`
 * runs the embedded dev stack (Temporal CLI dev server, FerretDB on SQLite, Mailpit) on the ports below.
 */
import os from 'node:os';
import path from 'node:path';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import type { AdmissionSettings } from './domain/admission.js';
import type { OrderPolicySettings } from './domain/order.js';
import { SettingsError } from './domain/settings-error.js';


/** The exit code of a process stopped by a SettingsError (EX_CONFIG): `npm start` does not restart it. */
export const EXIT_SETTINGS = 78;

/** Runs a start step; a SettingsError stops the process with its one line instead of a stack trace. */
export async function exitOnSettingsError<T>(processName: string, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(`${processName} cannot start: ${error.message}`);
    process.exit(EXIT_SETTINGS);
  }
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new SettingsError(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

const DURATION_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `90s`, `30m`, `12h` or `14d`, in milliseconds. */
function durationFromEnv(name: string, fallback: string): number {
  const raw = strFromEnv(name, fallback);
  const match = /^(\d+)\s*([smhd])$/.exec(raw.trim());
  if (!match) throw new SettingsError(`${name} must be a duration such as 90s, 30m, 12h or 14d, got "${raw}"`);
  return Number(match[1]) * DURATION_UNITS_MS[match[2]];
}

function strFromEnv(name: string, fallback: string): string {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

export interface Config {
  production: boolean;
  port: number;
  /** Where the embedded servers keep their data (Temporal history, FerretDB's SQLite files). */
  dataDir: string;
  temporal: {
    /** Set when an existing cluster is used (an address in the environment or a profile); then no local server is started. */
    externalAddress: string | undefined;
    address: string;
    /** Address, TLS (server CA, client certificate, server name), API key and gRPC metadata, for Connection.connect and NativeConnection.connect. */
    connection: TemporalConnectionOptions;
    port: number;
    uiPort: number;
    /** Where engineers open the Temporal UI; the console links each order's workflow there. */
    uiUrl: string;
    namespace: string;
    taskQueue: string;
    /** Set when the worker runs versioned (TEMPORAL_WORKER_DEPLOYMENT); unset: an unversioned worker. */
    workerVersioning: WorkerVersioningSettings | undefined;
  };
  mongo: {
    externalUri: string | undefined;
    uri: string;
    ferretdbPort: number;
  };
  inventory: InventorySettings;
  mail: MailSettings;
  orderPolicy: OrderPolicySettings;
  /** Set by `npm run bench:orders`: the worker and the API count their database calls into this folder. */
  dbProfileDir: string | undefined;
  /** `host:port` where the worker serves the Temporal SDK's Prometheus metrics; unset: not served. */
  workerMetricsAddress: string | undefined;
  /** How many worker and API processes `npm start` runs (WORKER_PROCESSES, API_PROCESSES); the APIs on PORT, PORT+1, ... */
  processes: { workers: number; apis: number };
  /**
   * How many workflow tasks a worker process runs at once (WORKER_MAX_WORKFLOW_TASKS); the rest wait in
   * Temporal's task queue, where admission control sees them (its backlog bound).
   */
  workerMaxWorkflowTasks: number;
  /** On SIGTERM/SIGINT, how long the API lets requests in flight finish and the worker its running activities. */
  shutdownGraceMs: number;
  /** How long the outbox of order changes keeps them (ORDER_EVENTS_RETENTION): event streams resume from within it. */
  orderEventsRetentionMs: number;
  /** When the API refuses intake and changes because the engine is behind (api/admission.ts); undefined: never. */
  admission: AdmissionSettings | undefined;
}

export interface MailSettings {
  /** Set when an existing SMTP server is used (`SMTP_URL`); then no local Mailpit is started. */
  externalSmtpUrl: string | undefined;
  /** Where email goes: `smtp://[user:pass@]host:port` (STARTTLS when offered) or `smtps://` (TLS). May hold credentials: never log it unmasked. */
  smtpUrl: string;
  /** SMTP port of the local Mailpit. */
  smtpPort: number;
  /** Port of the local Mailpit's HTTP API (and UI). */
  mailpitUiPort: number;
  /** The From header of every email. */
  from: string;
}

/**
 * Worker Versioning: the worker joins a Worker Deployment as one version (its build), and each order stays
 * on the build it started on. Off unless `TEMPORAL_WORKER_DEPLOYMENT` is set, also in production: with it on,
 * a deploy must keep the old build's workers running until its orders are done, so turning it on is the
 * operator's decision (docs/upgrades.md), and `npm start` stays unversioned: there a restart with a new
 * commit would otherwise leave every open order pinned to a build no worker serves any more.
 */
export interface WorkerVersioningSettings {
  /** `TEMPORAL_WORKER_DEPLOYMENT`: the Worker Deployment's name, the same for every build. */
  deploymentName: string;
  /** `TEMPORAL_WORKER_BUILD_ID`; unset: derived from the checkout when the worker starts (worker/build-id.ts). */
  buildId: string | undefined;
  /**
   * `TEMPORAL_WORKER_PROMOTE`: `if-none` (default) makes the worker's build current when the deployment has no
   * current build, so the first versioned deploy serves new orders by itself; `never` leaves every promotion
   * to `npm run workers -- promote`. Later builds are always promoted by an operator.
   */
  promote: 'if-none' | 'never';
}

const PROMOTE_VALUES = ['if-none', 'never'] as const;

function workerVersioningFromEnv(): WorkerVersioningSettings | undefined {
  const deploymentName = process.env.TEMPORAL_WORKER_DEPLOYMENT || undefined;
  if (!deploymentName) return undefined;
  const promote = strFromEnv('TEMPORAL_WORKER_PROMOTE', 'if-none');
  if (!(PROMOTE_VALUES as readonly string[]).includes(promote)) throw new Error(`TEMPORAL_WORKER_PROMOTE must be ${PROMOTE_VALUES.join(' or ')}, got "${promote}"`);
  return { deploymentName, buildId: process.env.TEMPORAL_WORKER_BUILD_ID || undefined, promote: promote as WorkerVersioningSettings['promote'] };
}

export const DEFAULT_MAIL_FROM = 'Fulfillment <orders@localhost>';

export interface InventorySettings {
  /** Low-stock threshold for SKUs without their own: availability at or below it opens an alert. */
  lowStockThreshold: number;
  /** Who is told about low stock. */
  operationsEmail: string;
}

export function loadConfig(): Config {
  const temporalPort = intFromEnv('TEMPORAL_PORT', 7233);
  const ferretdbPort = intFromEnv('FERRETDB_PORT', 27017);
  const temporal = loadTemporalConnection(process.env);
  const externalTemporal = temporal.connectionOptions.address;
  const externalMongo = process.env.MONGODB_URI || undefined;
  const smtpPort = intFromEnv('SMTP_PORT', 1025);
  const externalSmtp = process.env.SMTP_URL || undefined;
  return {
    production: process.env.NODE_ENV === 'production',
    port: intFromEnv('PORT', 3000),
    dataDir: path.resolve(strFromEnv('DATA_DIR', path.join(process.cwd(), '.data'))),
    temporal: {
      externalAddress: externalTemporal,
      address: externalTemporal ?? `127.0.0.1:${temporalPort}`,
      connection: { ...temporal.connectionOptions, address: externalTemporal ?? `127.0.0.1:${temporalPort}` },
      port: temporalPort,
      uiPort: intFromEnv('TEMPORAL_UI_PORT', 8233),
      uiUrl: strFromEnv('TEMPORAL_UI_URL', `http://localhost:${intFromEnv('TEMPORAL_UI_PORT', 8233)}`),
      namespace: temporal.namespace ?? 'default',
      taskQueue: strFromEnv('TEMPORAL_TASK_QUEUE', 'orders'),
      workerVersioning: workerVersioningFromEnv(),
    },
    mongo: {
      externalUri: externalMongo,
      uri: externalMongo ?? `mongodb://127.0.0.1:${ferretdbPort}/oms`,
      ferretdbPort,
    },
    inventory: {
      lowStockThreshold: intFromEnv('LOW_STOCK_THRESHOLD', 5),
      operationsEmail: strFromEnv('OPERATIONS_EMAIL', 'operations@localhost'),
    },
    mail: {
      externalSmtpUrl: externalSmtp,
      smtpUrl: externalSmtp ?? `smtp://127.0.0.1:${smtpPort}`,
      smtpPort,
      mailpitUiPort: intFromEnv('MAILPIT_UI_PORT', 8025),
      from: strFromEnv('MAIL_FROM', DEFAULT_MAIL_FROM),
    },
    orderPolicy: {
      backorderTimeoutMs: durationFromEnv('BACKORDER_TIMEOUT', '14d'),
      reviewAboveAmount: intFromEnv('REVIEW_ABOVE_AMOUNT', 100_000),
      reviewTimeoutMs: durationFromEnv('REVIEW_TIMEOUT', '48h'),
      shipWithinMs: durationFromEnv('SHIP_SLA', '48h'),
      returnWindowMs: durationFromEnv('RETURN_WINDOW', '30d'),
      returnReceiptTimeoutMs: durationFromEnv('RETURN_RECEIPT_TIMEOUT', '14d'),
      authorizationValidityMs: durationFromEnv('AUTHORIZATION_VALIDITY', '7d'),
    },
    dbProfileDir: process.env.OMS_DB_PROFILE_DIR || undefined,
    workerMetricsAddress: process.env.WORKER_METRICS_ADDRESS || undefined,
    processes: { workers: Math.max(1, intFromEnv('WORKER_PROCESSES', 1)), apis: Math.max(1, intFromEnv('API_PROCESSES', 1)) },
    workerMaxWorkflowTasks: workerMaxWorkflowTasks(),
    shutdownGraceMs: durationFromEnv('SHUTDOWN_GRACE', '10s'),
    orderEventsRetentionMs: durationFromEnv('ORDER_EVENTS_RETENTION', '24h'),
    admission: admissionSettings(process.env),
  };
}

/**
 * The SDK's default is 40. A worker whose CPU is saturated still takes every task it has a slot for, so
 * with 40 the task queue's backlog stayed empty while orders waited tens of seconds inside the worker;
 * with 4 the tasks it cannot get to wait in Temporal, and at twice the sustainable rate the orders it
 * accepted were delivered in 7.6 s at the median instead of 22-26 s (docs/performance.md).
 */
const DEFAULT_WORKER_MAX_WORKFLOW_TASKS = 4;

/** At least 2: the SDK's sticky and normal task queues need a slot each. */
function workerMaxWorkflowTasks(): number {
  const value = intFromEnv('WORKER_MAX_WORKFLOW_TASKS', DEFAULT_WORKER_MAX_WORKFLOW_TASKS);
  if (value < 2) throw new SettingsError(`WORKER_MAX_WORKFLOW_TASKS must be at least 2, got "${process.env.WORKER_MAX_WORKFLOW_TASKS}"`);
  return value;
}

/**
 * The defaults, from runs of orders arriving at a fixed rate on the 2-core machine (docs/operations.md#refusal-before-collapse):
 * within capacity the order task queue has no backlog at all (every task is taken at once) and the API's
 * event loop is late by 0-8 ms; past it the backlog's age grows without end (4 s, 10 s, 30 s, 100 s) and
 * the loop is late by 200-1,500 ms. An order's whole life at half the sustainable rate takes 1 s at p99,
 * its first save a fraction of that: 2 s of intake lag is past anything within capacity, and so is 2 s of
 * backlog (with the worker's workflow tasks bounded, WORKER_MAX_WORKFLOW_TASKS, the backlog is where an
 * overloaded engine's work waits; at 10 s, 14 of the 233 orders accepted at twice the rate took longer
 * than 30 s, at 2 s none). The loop's is the 100 ms a refusal must be answered within: a loop later than that on
 * average cannot keep that promise.
 */
const DEFAULT_MAX_INTAKE_LAG_MS = 2_000;
const DEFAULT_MAX_BACKLOG_AGE_MS = 2_000;
const DEFAULT_MAX_EVENT_LOOP_DELAY_MS = 100;

/** `ADMISSION_MAX_*`: each bound in ms, or `off`; all off turns admission control off. */
export function admissionSettings(env: NodeJS.ProcessEnv): AdmissionSettings | undefined {
  const maxIntakeLagMs = boundFromEnv(env, 'ADMISSION_MAX_INTAKE_LAG_MS', DEFAULT_MAX_INTAKE_LAG_MS);
  const maxBacklogAgeMs = boundFromEnv(env, 'ADMISSION_MAX_BACKLOG_AGE_MS', DEFAULT_MAX_BACKLOG_AGE_MS);
  const maxEventLoopDelayMs = boundFromEnv(env, 'ADMISSION_MAX_EVENT_LOOP_DELAY_MS', DEFAULT_MAX_EVENT_LOOP_DELAY_MS);
  const settings = { maxIntakeLagMs, maxBacklogAgeMs, maxEventLoopDelayMs };
  return Object.values(settings).every((bound) => bound === undefined) ? undefined : settings;
}

function boundFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number | undefined {
  const raw = (env[name] || String(fallback)).trim();
  if (raw === 'off') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1) throw new SettingsError(`${name} must be a whole number of milliseconds of at least 1, or off, got "${raw}"`);
  return value;
}

export type TemporalConnectionOptions = ClientConnectConfig['connectionOptions'] & { address: string };

/** Where each TLS file's path may come from, to name the setting when one cannot be read. */
const TLS_FILE_SETTINGS = ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'];

/**
 * Temporal's own client settings, as its CLI and every SDK read them: a profile of the TOML file
 * (`TEMPORAL_CONFIG_FILE`, default ~/.config/temporalio/temporal.toml; `TEMPORAL_PROFILE`), overridden by
 * `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`, `TEMPORAL_TLS_*` and
 * `TEMPORAL_GRPC_META_*`. An API key turns TLS on. Certificate files are read here, so a wrong path stops
 * the process at start.
 */
export function loadTemporalConnection(env: NodeJS.ProcessEnv): ClientConnectConfig {
  // An empty variable means unset, as for every other setting here (envconfig would take "" as a value).
  const setVariables = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  let loaded: ClientConnectConfig;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: setVariables as Record<string, string> });
  } catch (error) {
    const { code, path: file, message } = error as NodeJS.ErrnoException;
    if (code !== undefined && file !== undefined) {
      const setting = TLS_FILE_SETTINGS.find((name) => setVariables[name] === file)
        ?? (file === setVariables.TEMPORAL_CONFIG_FILE ? 'TEMPORAL_CONFIG_FILE' : `the Temporal profile's TLS settings`);
      throw new SettingsError(`${setting}: cannot read ${file} (${code})`);
    }
    throw new SettingsError(`Temporal client settings (${setVariables.TEMPORAL_CONFIG_FILE ?? 'TEMPORAL_* variables or ~/.config/temporalio/temporal.toml'}): ${message}`);
  }
  const { tls } = loaded.connectionOptions;
  if (typeof tls === 'object' && tls?.clientCertPair === undefined && (setVariables.TEMPORAL_TLS_CLIENT_CERT_PATH ?? setVariables.TEMPORAL_TLS_CLIENT_KEY_PATH)) {
    throw new SettingsError('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together: set both or neither');
  }
  return loaded;
}

export const defaultToolsCacheDir = path.join(
  process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
  'fulfillment-engine',
  'tools',
);
