/** One mongoose connection per process, with every index the models declare built before use. */
import mongoose from 'mongoose';
import { ChannelSettingModel, WebhookDeliveryModel } from './channels.js';
import { NotificationModel } from './notifications.js';
import { MigrationModel } from './migrations.js';
import { OrderListEntryModel } from './order-lists.js';
import { OrderModel } from './orders.js';
import { PaymentModel } from './payments.js';
import { rateLimitModels } from './rate-limits.js';
import { SandboxAttemptModel, SandboxPaymentModel } from './sandbox-payments.js';
import { ShipmentModel } from './shipments.js';
import { stockModels } from './stock-models.js';
import { WarehouseModel } from './warehouses.js';

const allModels = [
  WarehouseModel,
  ...stockModels,
  OrderModel,
  OrderListEntryModel,
  MigrationModel,
  PaymentModel,
  ShipmentModel,
  NotificationModel,
  SandboxPaymentModel,
  SandboxAttemptModel,
  ChannelSettingModel,
  WebhookDeliveryModel,
  ...rateLimitModels,
];

/**
 * `waitMs`: how long a call waits for an unreachable database before it fails. The API waits briefly, so a
 * client hears 503 at once; the worker's activities wait longer, and Temporal retries them anyway.
 */
export async function connectMongo(uri: string, { waitMs = 10_000 }: { waitMs?: number } = {}): Promise<typeof mongoose> {
  mongoose.set('bufferTimeoutMS', waitMs);
  // FerretDB v1 has no sessions or retryable writes; MongoDB works either way.
  await mongoose.connect(uri, { retryWrites: false, serverSelectionTimeoutMS: waitMs });
  await ensureIndexes();
  return mongoose;
}

/** Unique indexes are our serialization points, so they must exist before the first write. */
export async function ensureIndexes(): Promise<void> {
  await Promise.all(allModels.map((model) => model.createIndexes()));
}

export async function disconnectMongo(): Promise<void> {
  await mongoose.disconnect();
}

export async function pingMongo(): Promise<boolean> {
  try {
    await mongoose.connection.db?.admin().command({ ping: 1 });
    return mongoose.connection.readyState === 1;
  } catch {
    return false;
  }
}
