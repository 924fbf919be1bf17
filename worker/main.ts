/** The worker process: runs order workflows and their activities until SIGINT/SIGTERM. */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config.js';
import { connectMongo, disconnectMongo } from '../persistence/connection.js';
import { createOrderWorker } from './create-worker.js';

const config = loadConfig();
await connectMongo(config.mongo.uri);
const connection = await NativeConnection.connect({ address: config.temporal.address });
const worker = await createOrderWorker({ connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue });
console.log(`worker polling task queue "${config.temporal.taskQueue}" in namespace "${config.temporal.namespace}"`);
// The SDK shuts the worker down gracefully on SIGINT/SIGTERM, letting running activities finish.
await worker.run();
await connection.close();
await disconnectMongo();
