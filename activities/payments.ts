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
    /**
     * Authorizes an amount; a decline is a non-retryable `PaymentDeclined` failure. `reauthorization` numbers
     * a fresh authorization that replaces one grown too old, so each has its own idempotency key.
     */
    async authorizePayment(input: { orderId: string; amount: Money; token: string; reauthorization?: number }): Promise<AuthorizedPayment> {
      const key = `order:${input.orderId}:authorize${input.reauthorization ? `:${input.reauthorization}` : ''}`;
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
    async capturePayment(input: { orderId: string; shipmentId: string; authorizationId: string; amount: Money }): Promise<{ captured: number }> {
      const key = `order:${input.orderId}:capture:${input.shipmentId}`;
      const result = await provider.capture({ idempotencyKey: key, authorizationId: input.authorizationId, amount: input.amount });
      await recordOnce({
        key,
        orderId: input.orderId,
        operation: 'capture',
        outcome: result.outcome,
        amount: input.amount.amount,
        currency: input.amount.currency,
        authorizationId: input.authorizationId,
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
      return { captured: input.amount.amount };
    },

    /**
     * Voids (releases) an authorization: all of what is left of it, or just `amount` of it (a partial
     * reversal, when some lines are cancelled). `purpose` tells apart the voids of one order (`cancel:2`,
     * `reauthorization:1`); without it, this is the order's final void. Without an `authorizationId` it
     * voids the order's latest approved authorization, if there is one: the compensation runs this on
     * every failure path, also when the authorization's outcome never reached the workflow.
     */
    async voidAuthorization(input: { orderId: string; authorizationId?: string; amount?: Money; purpose?: string }): Promise<{ voided: boolean }> {
      const authorization = await PaymentModel.findOne(
        { orderId: input.orderId, operation: 'authorize', outcome: 'approved', ...(input.authorizationId ? { authorizationId: input.authorizationId } : {}) },
      )
        .sort({ at: -1 })
        .lean();
      if (!authorization?.authorizationId) return { voided: false };
      const key = `order:${input.orderId}:${input.purpose ? `${input.purpose}:` : ''}void`;
      const amount = input.amount ?? { amount: authorization.amount, currency: authorization.currency };
      const result = await provider.void({ idempotencyKey: key, authorizationId: authorization.authorizationId, amount });
      await recordOnce({
        key,
        orderId: input.orderId,
        operation: 'void',
        outcome: result.outcome,
        amount: amount.amount,
        currency: amount.currency,
        authorizationId: authorization.authorizationId,
        providerReference: result.reference,
        declineReason: result.declineReason,
      });
      if (result.outcome !== 'approved') throw new Error(`provider refused to void ${authorization.authorizationId}: ${result.declineReason}`);
      return { voided: true };
    },

    /**
     * Refunds a return once (key `order:<id>:refund:<returnId>`), against the authorization that the order's
     * captures went to, and never more than was captured there and not refunded yet. A refusal, or nothing
     * left to refund, is a non-retryable `RefundRefused` failure.
     */
    async refundPayment(input: { orderId: string; returnId: string; amount: Money }): Promise<{ refunded: number }> {
      const key = `order:${input.orderId}:refund:${input.returnId}`;
      const settled = await PaymentModel.find({ orderId: input.orderId, outcome: 'approved', operation: { $in: ['capture', 'refund'] } }).lean();
      // A retry must not count its own earlier refund against itself.
      const source = mostRefundableAuthorization(settled.filter((record) => record.key !== key));
      const amount = Math.min(input.amount.amount, source?.refundable ?? 0);
      if (!source || amount <= 0) throw refundRefused(`nothing captured is left to refund for order ${input.orderId}`);
      const result = await provider.refund({ idempotencyKey: key, authorizationId: source.authorizationId, amount: { amount, currency: input.amount.currency } });
      await recordOnce({
        key,
        orderId: input.orderId,
        operation: 'refund',
        outcome: result.outcome,
        amount,
        currency: input.amount.currency,
        authorizationId: source.authorizationId,
        providerReference: result.reference,
        declineReason: result.declineReason,
      });
      if (result.outcome !== 'approved') throw refundRefused(`refund refused: ${result.declineReason}`);
      return { refunded: amount };
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

/**
 * Of the authorizations the order's captures went to (more than one after a re-authorization), the one with
 * the most captured and not yet refunded.
 */
function mostRefundableAuthorization(
  records: ReadonlyArray<{ operation: string; amount: number; authorizationId?: string | null }>,
): { authorizationId: string; refundable: number } | undefined {
  const byAuthorization = new Map<string, { authorizationId: string; refundable: number }>();
  for (const { operation, amount, authorizationId } of records) {
    if (!authorizationId) continue;
    const entry = byAuthorization.get(authorizationId) ?? { authorizationId, refundable: 0 };
    entry.refundable += operation === 'capture' ? amount : -amount;
    byAuthorization.set(authorizationId, entry);
  }
  return [...byAuthorization.values()].sort((a, b) => b.refundable - a.refundable)[0];
}

function refundRefused(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.RefundRefused, message, nonRetryable: true });
}
