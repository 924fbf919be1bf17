/** Payment activities: each provider call carries the order's business key as its idempotency key. */
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../domain/failures.js';
import type { Money } from '../domain/money.js';
import { isDuplicateKeyError } from '../persistence/connection.js';
import { PaymentModel } from '../persistence/models.js';
import type { PaymentProvider } from './payment-provider.js';

export interface AuthorizedPayment {
  authorizationId: string;
  amount: number;
  reviewRequested: boolean;
}

export function paymentActivities(provider: PaymentProvider) {
  return {
    /** Authorizes the order total; a decline is a non-retryable `PaymentDeclined` failure. */
    async authorizePayment(input: { orderId: string; amount: Money; token: string }): Promise<AuthorizedPayment> {
      const key = `order:${input.orderId}:authorize`;
      const result = await provider.authorize({ idempotencyKey: key, amount: input.amount, token: input.token });
      await recordOnce({
        key,
        orderId: input.orderId,
        operation: 'authorize',
        outcome: result.outcome,
        amount: input.amount.amount,
        currency: input.amount.currency,
        authorizationId: result.outcome === 'approved' ? result.authorizationId : undefined,
        providerReference: result.reference,
        declineReason: result.outcome === 'declined' ? result.declineReason : undefined,
        reviewRequested: result.outcome === 'approved' ? result.reviewRequested : undefined,
      });
      if (result.outcome === 'declined') {
        throw ApplicationFailure.create({
          type: FailureType.PaymentDeclined,
          message: `payment declined: ${result.declineReason}`,
          nonRetryable: true,
          details: [{ declineReason: result.declineReason }],
        });
      }
      return { authorizationId: result.authorizationId, amount: input.amount.amount, reviewRequested: result.reviewRequested };
    },

    /** Captures a shipment's value when it ships, once per shipment; a refusal is a non-retryable failure. */
    async capturePayment(input: { orderId: string; shipmentId: string; amount: number }): Promise<{ captured: number }> {
      const authorization = await PaymentModel.findOne({ key: `order:${input.orderId}:authorize`, outcome: 'approved' }).lean();
      if (!authorization?.authorizationId) throw new Error(`order ${input.orderId} has no authorization to capture`);
      const key = `order:${input.orderId}:capture:${input.shipmentId}`;
      const amount = { amount: input.amount, currency: authorization.currency };
      const result = await provider.capture({ idempotencyKey: key, authorizationId: authorization.authorizationId, amount });
      await recordOnce({
        key,
        orderId: input.orderId,
        operation: 'capture',
        outcome: result.outcome,
        amount: input.amount,
        currency: authorization.currency,
        authorizationId: authorization.authorizationId,
        providerReference: result.reference,
        declineReason: result.declineReason,
      });
      if (result.outcome !== 'approved') {
        throw ApplicationFailure.create({
          type: FailureType.PaymentDeclined,
          message: `capture refused: ${result.declineReason}`,
          nonRetryable: true,
        });
      }
      return { captured: input.amount };
    },

    /**
     * Voids the order's authorization if there is one. Safe to call when authorization never happened
     * or is still unknown (compensation runs it on every failure path).
     */
    async voidAuthorization(input: { orderId: string }): Promise<{ voided: boolean }> {
      const authorization = await PaymentModel.findOne({ key: `order:${input.orderId}:authorize`, outcome: 'approved' }).lean();
      if (!authorization?.authorizationId) return { voided: false };
      const key = `order:${input.orderId}:void`;
      const result = await provider.void({ idempotencyKey: key, authorizationId: authorization.authorizationId });
      await recordOnce({
        key,
        orderId: input.orderId,
        operation: 'void',
        outcome: result.outcome,
        amount: authorization.amount,
        currency: authorization.currency,
        authorizationId: authorization.authorizationId,
        providerReference: result.reference,
        declineReason: result.declineReason,
      });
      if (result.outcome !== 'approved') throw new Error(`provider refused to void ${authorization.authorizationId}: ${result.declineReason}`);
      return { voided: true };
    },
  };
}

interface PaymentRecord {
  key: string;
  orderId: string;
  operation: 'authorize' | 'capture' | 'void' | 'refund';
  outcome: 'approved' | 'declined';
  amount: number;
  currency: string;
  authorizationId?: string;
  providerReference: string;
  declineReason?: string;
  reviewRequested?: boolean;
}

/** Our record of a provider operation, once per business key however often the activity runs. */
async function recordOnce(record: PaymentRecord): Promise<void> {
  try {
    await PaymentModel.create({ ...record, at: new Date() });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}
