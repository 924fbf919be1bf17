/** The API process. */
import { Client } from '@temporalio/client';
import { exitOnSettingsError, loadConfig } from '../config.js';
import { profileDatabaseCalls } from '../persistence/call-profile.js';
import { connectMongo, disconnectMongo } from '../persistence/connection.js';
import { SmtpMailer } from '../services/mailer.js';
import { checkOrderNamespace, connectTemporalClient } from '../services/temporal-connection.js';
import { createApp, DATABASE_WAIT_MS, temporalConnectionOptions } from './app.js';
import { pruneOrderChangesEvery } from './order-feed.js';
import { createLogger } from './request-log.js';
import { drain, Draining } from './shutdown.js';

const config = await exitOnSettingsError('api', loadConfig);
const logger = createLogger(process.env);
if (config.dbProfileDir) profileDatabaseCalls(config.dbProfileDir, 'api');
await connectMongo(config.mongo.uri, { waitMs: DATABASE_WAIT_MS });
const connection = await exitOnSettingsError('api', async () => {
  const opened = await connectTemporalClient(temporalConnectionOptions(config.temporal.connection));
  await checkOrderNamespace(opened, config.temporal.connection, config.temporal.namespace);
  return opened;
});
const temporal = new Client({ connection, namespace: config.temporal.namespace });
const draining = new Draining();
// A setting the app reads itself (API_KEYS, TRUST_PROXY, ...) stops the process with its one line too.
const app = await exitOnSettingsError('api', () => createApp({
  temporal,
  taskQueue: config.temporal.taskQueue,
  inventory: config.inventory,
  mailer: new SmtpMailer({ url: config.mail.smtpUrl, from: config.mail.from }),
  orderPolicy: config.orderPolicy,
  temporalUi: { url: config.temporal.uiUrl, namespace: config.temporal.namespace },
  draining,
  orderEventsRetentionMs: config.orderEventsRetentionMs,
  admission: config.admission,
}));
const stopPruning = pruneOrderChangesEvery({ retentionMs: config.orderEventsRetentionMs, log: logger });
const server = app.listen(config.port, () => logger.info(`API listening on http://localhost:${config.port}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    logger.info({ graceMs: config.shutdownGraceMs }, `${signal}: no new requests; letting those in flight finish`);
    stopPruning();
    const outcome = await drain(server, draining, config.shutdownGraceMs);
    if (outcome.drained) logger.info('every request in flight finished; stopping');
    else logger.warn({ connections: outcome.cut }, 'the grace period ended with requests still running; they were cut');
    await connection.close();
    await disconnectMongo();
    process.exit(0);
  });
}
