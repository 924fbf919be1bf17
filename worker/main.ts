/** The worker process: runs order workflows and their activities until SIGINT/SIGTERM. */
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { exitOnSettingsError, loadConfig } from '../config.js';
import { profileDatabaseCalls } from '../persistence/call-profile.js';
import { connectMongo, disconnectMongo } from '../persistence/connection.js';
import { runMigrations } from '../persistence/migrations.js';
import { reencryptWebhookSecrets } from '../persistence/channels.js';
import { allowedNetworksWarning } from '../domain/webhook-addresses.js';
import { checkOrderNamespace, connectTemporalClient, whyTemporalIsUnreachable } from '../services/temporal-connection.js';
import { loadWebhookSettings } from '../services/webhook-targets.js';
import { defaultBuildId } from './build-id.js';
import { createOrderWorker, runUntilStopped, sandboxDependencies } from './create-worker.js';
import { promoteIfNone } from './deployment.js';
import { SettingsError } from '../domain/settings-error.js';

const config = await exitOnSettingsError('worker', async () => loadConfig());
const versioning = config.temporal.workerVersioning;
// Resolved before anything connects: without git and TEMPORAL_WORKER_BUILD_ID the worker stops here, saying so.
const deploymentVersion = versioning && (await exitOnSettingsError('worker', () => ({ deploymentName: versioning.deploymentName, buildId: versioning.buildId ?? defaultBuildId() })));
// The Temporal SDK's worker metrics (task slots, poll and schedule-to-start latencies, ...) for Prometheus.
if (config.workerMetricsAddress) Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: config.workerMetricsAddress } } } });
if (config.dbProfileDir) profileDatabaseCalls(config.dbProfileDir, 'worker');
await connectMongo(config.mongo.uri);
const webhooks = await exitOnSettingsError('worker', () => loadWebhookSettings(process.env));
await runMigrations({ webhookSecretKeys: webhooks.keys });
// Key rotation: secrets still encrypted with a previous WEBHOOK_SECRET_KEY are encrypted with the current one.
const { unreadable } = await reencryptWebhookSecrets(webhooks.keys);
if (unreadable.length > 0) {
  console.error(`the webhook secrets of channels ${unreadable.join(', ')} decrypt with no configured key (WEBHOOK_SECRET_KEY, WEBHOOK_SECRET_PREVIOUS_KEYS): their events are held until it is set`);
}
const networksWarning = allowedNetworksWarning(webhooks.policy);
if (networksWarning) console.warn(`WARNING: ${networksWarning}`);
const { namespace, taskQueue } = config.temporal;
// Activities use a client too: the restock dispatcher wakes backordered orders with Updates.
const client = await exitOnSettingsError('worker', async () => {
  const clientConnection = await connectTemporalClient(config.temporal.connection);
  await checkOrderNamespace(clientConnection, config.temporal.connection, namespace);
  return new Client({ connection: clientConnection, namespace });
});
const connection = await exitOnSettingsError('worker', () =>
  NativeConnection.connect(config.temporal.connection).catch(async (error: unknown) => {
    throw new SettingsError(await whyTemporalIsUnreachable(config.temporal.connection, error));
  }),
);
const worker = await createOrderWorker({
  connection,
  namespace,
  taskQueue,
  shutdownGraceMs: config.shutdownGraceMs,
  maxWorkflowTasks: config.workerMaxWorkflowTasks,
  deploymentVersion,
  dependencies: sandboxDependencies({ temporal: client, taskQueue, inventory: config.inventory, smtpUrl: config.mail.smtpUrl, mailFrom: config.mail.from }),
});
console.log(`worker polling task queue "${taskQueue}" in namespace "${namespace}"`);
if (deploymentVersion) console.log(`worker versioning: build ${deploymentVersion.buildId} of Worker Deployment "${deploymentVersion.deploymentName}"`);
else if (config.production) console.warn('worker versioning is off (TEMPORAL_WORKER_DEPLOYMENT unset): a deploy that changes workflow code needs patched() for running orders');
const stopped = new AbortController();
await Promise.all([
  runUntilStopped(worker, config.shutdownGraceMs).finally(() => stopped.abort()),
  versioning?.promote === 'if-none' && deploymentVersion && announcePromotion(deploymentVersion, stopped.signal),
]);
await connection.close();
await client.connection.close();
await disconnectMongo();

/** The first versioned deploy: this build becomes current if the deployment has none (worker/deployment.ts). */
async function announcePromotion(version: { deploymentName: string; buildId: string }, signal: AbortSignal): Promise<void> {
  try {
    const outcome = await promoteIfNone(client, version, { signal, timeoutMs: 120_000 });
    if (outcome.promoted) console.log(`build ${version.buildId} is now current: the Worker Deployment had no current build`);
    else if (outcome.current !== version.buildId) {
      console.log(`build ${version.buildId} serves no new orders until promoted (current: ${outcome.current}): npm run workers -- promote ${version.buildId}`);
    }
  } catch (error) {
    if (!signal.aborted) console.error(`could not make build ${version.buildId} current; promote it with npm run workers -- promote ${version.buildId}:`, error);
  }
}
