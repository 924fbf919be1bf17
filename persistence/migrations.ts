/** Data changes that run once per database (collection `migrations` records which ran), at worker start. */
import mongoose, { Schema } from 'mongoose';
import { OrderModel } from './orders.js';
import { repairOrderInLists } from './order-lists.js';

const migrationSchema = new Schema({ _id: { type: String, required: true }, doneAt: { type: Date, required: true } }, { versionKey: false });
export const MigrationModel = mongoose.model('Migration', migrationSchema, 'migrations');

const MIGRATIONS: Record<string, () => Promise<void>> = {
  /** Orders saved before lists had entries of their own (persistence/order-lists.ts) join their lists. */
  'order-list-entries': async () => {
    for await (const order of OrderModel.find({}, { status: 1, channel: 1, customer: 1, createdAt: 1 }).lean().cursor()) {
      await repairOrderInLists({ ...order, orderId: order._id });
    }
  },
};

/** Runs each migration that has not run on this database yet. Each is idempotent, so two processes racing is harmless. */
export async function runMigrations(): Promise<void> {
  for (const [name, migrate] of Object.entries(MIGRATIONS)) {
    if (await MigrationModel.exists({ _id: name })) continue;
    await migrate();
    await MigrationModel.updateOne({ _id: name }, { $set: { doneAt: new Date() } }, { upsert: true });
  }
}
