/** The worker process: runs order workflows and their activities until SIGINT/SIGTERM. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config.js';
import { profileDatabaseCalls } from '../persistence/call-profile.js';
import { connectMongo, disconnectMongo } from '../persistence/connection.js';
import { runMigrations } from '../persistence/migrations.js';
import { createOrderWorker, sandboxDependencies } from './create-worker.js';

const config = loadConfig();
// The Temporal SDK's worker metrics (task slots, poll and schedule-to-start latencies, ...) for Prometheus.
if (config.workerMetricsAddress) Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: config.workerMetricsAddress } } } });
if (config.dbProfileDir) profileDatabaseCalls(config.dbProfileDir, 'worker');
await connectMongo(config.mongo.uri);
await runMigrations();
const connection = await NativeConnection.connect({ address: config.temporal.address });
// Activities use a client too: the restock dispatcher wakes backordered orders with Updates.
const client = new Client({ connection: await Connection.connect({ address: config.temporal.address }), namespace: config.temporal.namespace });
const { namespace, taskQueue } = config.temporal;
const worker = await createOrderWorker({
  connection,
  namespace,
  taskQueue,
  dependencies: sandboxDependencies({ temporal: client, taskQueue, inventory: config.inventory, smtpUrl: config.mail.smtpUrl, mailFrom: config.mail.from }),
});
console.log(`worker polling task queue "${config.temporal.taskQueue}" in namespace "${config.temporal.namespace}"`);
// The SDK shuts the worker down gracefully on SIGINT/SIGTERM, letting running activities finish.
await worker.run();
await connection.close();
await client.connection.close();
await disconnectMongo();
