/**
 * The sandbox payment provider's own books (services/sandbox-payment-provider.ts), kept apart from ours
 * the way a real provider's would be, so tests can count what the provider actually did.
 */
import mongoose, { Schema } from 'mongoose';
import { insertOnce } from './duplicate-key.js';
import { PAYMENT_OPERATIONS, type PaymentOperation } from './payments.js';

const sandboxPaymentSchema = new Schema(
  {
    /** The idempotency key, so an entry is found by `_id` (entries from before this have an ObjectId). */
    _id: { type: String, required: true },
    idempotencyKey: { type: String, required: true },
    operation: { type: String, enum: PAYMENT_OPERATIONS, required: true },
    outcome: { type: String, enum: ['approved', 'declined'], required: true },
    reference: { type: String, required: true },
    authorizationId: String,
    amount: { type: Number, required: true },
    currency: { type: String, required: true },
    declineReason: String,
    reviewRequested: Boolean,
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
sandboxPaymentSchema.index({ idempotencyKey: 1 }, { unique: true });
sandboxPaymentSchema.index({ authorizationId: 1 });
export const SandboxPaymentModel = mongoose.model('SandboxPayment', sandboxPaymentSchema, 'sandbox_payments');

/** How many calls the sandbox has seen per idempotency key, to play transient failures (`tok_flaky`). */
const sandboxAttemptSchema = new Schema({ _id: { type: String, required: true }, count: { type: Number, required: true } }, { versionKey: false });
export const SandboxAttemptModel = mongoose.model('SandboxAttempt', sandboxAttemptSchema, 'sandbox_attempts');

export interface SandboxEntry {
  idempotencyKey: string;
  operation: PaymentOperation;
  outcome: 'approved' | 'declined';
  reference: string;
  authorizationId?: string;
  amount: number;
  currency: string;
  declineReason?: string;
  reviewRequested?: boolean;
}

/** Writes the entry once per idempotency key; a repeated key gets the first entry back. */
export async function recordSandboxEntryOnce(entry: SandboxEntry) {
  const created = await insertOnce(() => SandboxPaymentModel.create({ _id: entry.idempotencyKey, ...entry, at: new Date() }));
  if (created) return created.toObject();
  const first =
    (await SandboxPaymentModel.findById(entry.idempotencyKey).lean()) ?? (await SandboxPaymentModel.findOne({ idempotencyKey: entry.idempotencyKey }).lean());
  if (!first) throw new Error(`sandbox entry ${entry.idempotencyKey} was recorded but cannot be read back`);
  return first;
}

/**
 * The authorization with this id, if the sandbox made it (`approvedOnly`: and approved it): by its
 * idempotency key, or by its id for one made before ids carried their key (a scan).
 */
export async function findSandboxAuthorization(authorizationId: string, idempotencyKey: string | undefined, { approvedOnly = false } = {}) {
  const entry = idempotencyKey
    ? await SandboxPaymentModel.findById(idempotencyKey).lean()
    : await SandboxPaymentModel.findOne({ authorizationId, operation: 'authorize' }).lean();
  const matches = entry?.authorizationId === authorizationId && entry.operation === 'authorize' && (!approvedOnly || entry.outcome === 'approved');
  return matches ? entry : null;
}

/** Counts one more call under this key and returns how many there were. */
export async function countSandboxAttempt(key: string): Promise<number> {
  const doc = await SandboxAttemptModel.findOneAndUpdate({ _id: key }, { $inc: { count: 1 } }, { upsert: true, new: true }).lean();
  return doc?.count ?? 1;
}
