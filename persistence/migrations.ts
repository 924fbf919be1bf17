/** Data changes that run once per database (collection `migrations` records which ran), at worker start. */
import mongoose, { Schema, type mongo, type Types } from 'mongoose';
import { loadWebhookSecretKeys, type WebhookSecretKeys } from '../domain/webhook-secrets.js';
import { encryptPlainWebhookSecrets } from './channels.js';
import { insertOnce } from './duplicate-key.js';
import { OrderModel, storeNestedOrdersAsJson } from './orders.js';
import { repairOrderInLists } from './order-lists.js';
import { alertId, StockAlertModel } from './stock-models.js';

const migrationSchema = new Schema({ _id: { type: String, required: true }, doneAt: { type: Date, required: true } }, { versionKey: false });
export const MigrationModel = mongoose.model('Migration', migrationSchema, 'migrations');

/** What a migration may need besides the database. */
export interface MigrationContext {
  /** The keys webhook secrets are encrypted with (WEBHOOK_SECRET_KEY). */
  webhookSecretKeys: WebhookSecretKeys;
}

const MIGRATIONS: Record<string, (context: MigrationContext) => Promise<void>> = {
  /** Orders saved before lists had entries of their own (persistence/order-lists.ts) join their lists. */
  'order-list-entries': relistEveryOrder,
  /** Orders saved before the lists by customer email and of those needing a person join those. */
  'order-lists-by-email-and-attention': relistEveryOrder,

  /**
   * Low-stock alerts had ObjectId ids; a SKU's open alert is now found by `<sku>/...` ids. Each moves to
   * one named after it, keeping its `openKey` (unique): the original gives the key up, the copy takes it.
   */
  'stock-alert-ids': async () => {
    // The driver's collection, not the model, for the originals: the model would cast their ids to strings.
    const originals = StockAlertModel.collection as unknown as mongo.Collection<{ _id: Types.ObjectId; sku: string; openedAt: Date; closedAt?: Date }>;
    for await (const alert of originals.find({ _id: { $type: 'objectId' } })) {
      const oldId = String(alert._id);
      const newId = alertId(alert.sku, alert.openedAt, oldId);
      // As the original had it (closed ones were renamed after their id), even if a run stopped half-way.
      const openKey = alert.closedAt ? `closed:${oldId}` : alert.sku;
      await originals.updateOne({ _id: alert._id }, { $set: { openKey: `moving:${oldId}` } });
      const copied = await insertOnce(() => StockAlertModel.create({ ...alert, _id: newId, openKey }));
      if (!copied && !(await StockAlertModel.exists({ _id: newId }))) throw new Error(`low-stock alert ${oldId} could not be copied to ${newId}`);
      await originals.deleteOne({ _id: alert._id });
    }
  },

  /** Webhook secrets stored in plain text are encrypted at rest (domain/webhook-secrets.ts). */
  'webhook-secrets-encrypted': async ({ webhookSecretKeys }) => {
    await encryptPlainWebhookSecrets(webhookSecretKeys);
  },

  /** Orders stored as nested documents keep their state as JSON (persistence/orders.ts); reads take both meanwhile. */
  'order-state-as-json': storeNestedOrdersAsJson,
};

async function relistEveryOrder(): Promise<void> {
  for await (const order of OrderModel.find({}, { status: 1, channel: 1, customer: 1, createdAt: 1, lateSince: 1 }).lean().cursor()) {
    await repairOrderInLists({ ...order, orderId: order._id });
  }
}

/**
 * Runs each migration that has not run on this database yet. Each is idempotent, so two processes racing
 * is harmless. The webhook secret keys default to those of the environment.
 */
export async function runMigrations(context: Partial<MigrationContext> = {}): Promise<void> {
  const full: MigrationContext = { webhookSecretKeys: context.webhookSecretKeys ?? loadWebhookSecretKeys(process.env) };
  for (const [name, migrate] of Object.entries(MIGRATIONS)) {
    if (await MigrationModel.exists({ _id: name })) continue;
    await migrate(full);
    await MigrationModel.updateOne({ _id: name }, { $set: { doneAt: new Date() } }, { upsert: true });
  }
}
