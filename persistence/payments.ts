/** Our record of each payment operation with the provider, one per business key (`order:<id>:capture:<shipment>`, ...). */
import mongoose, { Schema } from 'mongoose';
import { isDuplicateKeyError } from './duplicate-key.js';

export const PAYMENT_OPERATIONS = ['authorize', 'capture', 'void', 'refund'] as const;
export type PaymentOperation = (typeof PAYMENT_OPERATIONS)[number];

const paymentSchema = new Schema(
  {
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
  try {
    await PaymentModel.create({ ...record, at: new Date() });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

/** The order's latest approved authorization, or the one with this id. */
export async function approvedAuthorization(orderId: string, authorizationId?: string) {
  return PaymentModel.findOne({ orderId, operation: 'authorize', outcome: 'approved', ...(authorizationId ? { authorizationId } : {}) })
    .sort({ at: -1 })
    .lean();
}

/** The order's approved captures and refunds. */
export async function settledPayments(orderId: string) {
  return PaymentModel.find({ orderId, outcome: 'approved', operation: { $in: ['capture', 'refund'] } }).lean();
}
