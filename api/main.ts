/** The API process. */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config.js';
import { profileDatabaseCalls } from '../persistence/call-profile.js';
import { connectMongo } from '../persistence/connection.js';
import { SmtpMailer } from '../services/mailer.js';
import { createApp, DATABASE_WAIT_MS, temporalConnectionOptions } from './app.js';

const config = loadConfig();
if (config.dbProfileDir) profileDatabaseCalls(config.dbProfileDir, 'api');
await connectMongo(config.mongo.uri, { waitMs: DATABASE_WAIT_MS });
const connection = await Connection.connect(temporalConnectionOptions(config.temporal.address));
const temporal = new Client({ connection, namespace: config.temporal.namespace });
const app = createApp({
  temporal,
  taskQueue: config.temporal.taskQueue,
  inventory: config.inventory,
  mailer: new SmtpMailer({ url: config.mail.smtpUrl, from: config.mail.from }),
  orderPolicy: config.orderPolicy,
  temporalUi: { url: config.temporal.uiUrl, namespace: config.temporal.namespace },
});
const server = app.listen(config.port, () => console.log(`API listening on http://localhost:${config.port}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
