/** Our record of each payment operation with the provider, one per business key (`order:<id>:capture:<shipment>`, ...). */
import mongoose, { Schema } from 'mongoose';
import { insertOnce } from './duplicate-key.js';

export const PAYMENT_OPERATIONS = ['authorize', 'capture', 'void', 'refund'] as const;
export type PaymentOperation = (typeof PAYMENT_OPERATIONS)[number];

const paymentSchema = new Schema(
  {
    /** The key, so a record is found by `_id` (records from before this have an ObjectId). */
    _id: { type: String, required: true },
    key: { type: String, required: true },
    orderId: { type: String, required: true },
    operation: { type: String, enum: PAYMENT_OPERATIONS, required: true },
    outcome: { type: String, enum: ['approved', 'declined'], required: true },
    amount: { type: Number, required: true },
    currency: { type: String, required: true },
    authorizationId: String,
    providerReference: String,
    declineReason: String,
    reviewRequested: Boolean,
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
paymentSchema.index({ key: 1 }, { unique: true });
paymentSchema.index({ orderId: 1 });
export const PaymentModel = mongoose.model('Payment', paymentSchema, 'payments');

export interface PaymentRecord {
  key: string;
  orderId: string;
  operation: PaymentOperation;
  outcome: 'approved' | 'declined';
  amount: number;
  currency: string;
  authorizationId?: string;
  providerReference: string;
  declineReason?: string;
  reviewRequested?: boolean;
}

/** Records a provider operation once per business key, however often the activity runs. */
export async function recordPaymentOnce(record: PaymentRecord): Promise<void> {
  await insertOnce(() => PaymentModel.create({ _id: record.key, ...record, at: new Date() }));
}

/** Our record of the operation with this business key, if it was approved. */
export async function approvedOperation(key: string) {
  // Records from before records were keyed by `_id` are found by their key (a scan, so only when missing).
  const record = (await PaymentModel.findById(key).lean()) ?? (await PaymentModel.findOne({ key }).lean());
  return record?.outcome === 'approved' ? record : undefined;
}

/** The order's approved captures and refunds. */
export async function settledPayments(orderId: string) {
  return PaymentModel.find({ orderId, outcome: 'approved', operation: { $in: ['capture', 'refund'] } }).lean();
}
