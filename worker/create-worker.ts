/** Builds the order worker; used by the worker process and by tests with their own connection. */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type NativeConnection, Runtime, Worker, type Logger, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
import { trackingLinks } from '../services/tracking-links.js';
import { DEFAULT_MAIL_FROM, type InventorySettings } from '../config.js';
import { SmtpMailer } from '../services/mailer.js';
import { SandboxCarrier } from '../services/carrier.js';
import { SandboxPaymentProvider } from '../services/sandbox-payment-provider.js';
import { loadWebhookSettings } from '../services/webhook-targets.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface SandboxDependencyOptions {
  temporal: Client;
  taskQueue: string;
  inventory: InventorySettings;
  /** Where email goes (config `SMTP_URL`, or the test suite's Mailpit). */
  smtpUrl: string;
  /** The From header; default `Fulfillment <orders@localhost>`. */
  mailFrom?: string;
}

/**
 * The built-in sandbox payment provider and carrier, real email over SMTP with tracking links from the
 * environment (PUBLIC_URL, TRACKING_SECRET), webhooks as the environment allows them
 * (WEBHOOK_SECRET_KEY, WEBHOOK_ALLOWED_PRIVATE_NETWORKS), and the rest of what activities need.
 */
export function sandboxDependencies({ temporal, taskQueue, inventory, smtpUrl, mailFrom }: SandboxDependencyOptions): ActivityDependencies {
  return {
    payments: new SandboxPaymentProvider(),
    carrier: new SandboxCarrier(),
    temporal,
    taskQueue,
    inventory,
    mailer: new SmtpMailer({ url: smtpUrl, from: mailFrom ?? DEFAULT_MAIL_FROM }),
    tracking: trackingLinks(),
    webhooks: loadWebhookSettings(process.env),
  };
}

export async function createOrderWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dependencies: ActivityDependencies;
  /** Tests pass a prebuilt bundle so the workflow code is bundled once per suite. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long running activities may go on when the worker stops (`runUntilStopped`); unset: the SDK's 0. */
  shutdownGraceMs?: number;
  /** The Worker Deployment and build this worker serves (config `workerVersioning`); unset: unversioned. */
  deploymentVersion?: WorkerDeploymentVersion;
  /** How many workflow tasks run at once (config `workerMaxWorkflowTasks`); unset: the SDK's 40. */
  maxWorkflowTasks?: number;
}): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle ?? (await bundleWorkflowCode({ workflowsPath, logger: warningsOnly(Runtime.instance().logger) })),
    activities: createActivities(options.dependencies),
    ...(options.shutdownGraceMs !== undefined && { shutdownGraceTime: options.shutdownGraceMs }),
    ...(options.maxWorkflowTasks !== undefined && { maxConcurrentWorkflowTaskExecutions: options.maxWorkflowTasks }),
    ...(options.deploymentVersion && {
      workerDeploymentOptions: {
        useWorkerVersioning: true,
        version: options.deploymentVersion,
        // Workflow types say their own (workflows/versioning.ts); this covers runs begun on an unversioned worker.
        defaultVersioningBehavior: 'PINNED',
      },
    }),
  });
}

/** After the grace period, how long a stopping worker still waits for activities that were asked to stop. */
const ABANDON_AFTER_GRACE_MS = 5_000;

/**
 * Runs the worker until SIGINT/SIGTERM. The SDK then stops polling, lets running activities go on for the
 * grace period and asks them to stop; one that still runs 5 s later is abandoned and the process exits. It is
 * not lost: Temporal retries it on another worker once its timeout passes (every activity is idempotent).
 */
export async function runUntilStopped(worker: Worker, graceMs: number): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        console.warn('activities still running after the shutdown grace period were abandoned; Temporal retries them after their timeout');
        process.exit(0);
      }, graceMs + ABANDON_AFTER_GRACE_MS).unref();
    });
  }
  await worker.run();
}

/** Webpack's module listing is noise in the worker's log; its warnings and errors are not. */
function warningsOnly(logger: Logger): Logger {
  const ignore = () => {};
  return {
    log: (level, message, meta) => (level === 'WARN' || level === 'ERROR' ? logger.log(level, message, meta) : undefined),
    trace: ignore,
    debug: ignore,
    info: ignore,
    warn: logger.warn.bind(logger),
    error: logger.error.bind(logger),
  };
}
