/**
 * Payment activities. Each is one call to the provider under the order's business key as the idempotency
 * key (`callProvider`), recorded once in our own books whatever the outcome; a refusal then becomes a typed
 * failure the workflow can tell from an outage.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { orderKeys } from '../contracts/keys.js';
import { FailureType } from '../domain/failures.js';
import type { Money } from '../domain/money.js';
import { approvedOperation, recordPaymentOnce, settledPayments, type PaymentOperation } from '../persistence/payments.js';
import type { OperationResult, PaymentProvider } from '../services/payment-provider.js';

export interface AuthorizedPayment {
  authorizationId: string;
  amount: number;
  reviewRequested: boolean;
}

/**
 * Calls the provider with `key` as the idempotency key and records the outcome under that key: a retried
 * activity calls again with the same key, the provider answers as the first time, and our record stays one.
 */
async function callProvider<Result extends OperationResult & { authorizationId?: string; reviewRequested?: boolean }>(
  operation: { key: string; orderId: string; operation: PaymentOperation; amount: Money; authorizationId?: string },
  call: (idempotencyKey: string) => Promise<Result>,
): Promise<Result> {
  const result = await call(operation.key);
  const approved = result.outcome === 'approved';
  await recordPaymentOnce({
    key: operation.key,
    orderId: operation.orderId,
    operation: operation.operation,
    outcome: result.outcome,
    amount: operation.amount.amount,
    currency: operation.amount.currency,
    authorizationId: operation.authorizationId ?? (approved ? result.authorizationId : undefined),
    providerReference: result.reference,
    declineReason: approved ? undefined : result.declineReason,
    reviewRequested: approved ? result.reviewRequested : undefined,
  });
  return result;
}

/** A void of `amount` of a known authorization, or of all of the order's first authorization. */
export type VoidRequest = { orderId: string; purpose?: string } & ({ authorizationId: string; amount: Money } | { authorizationId?: undefined });

/** The order's first authorization and all it holds, if it was approved. */
async function firstAuthorization(orderId: string): Promise<{ authorizationId: string; amount: Money } | undefined> {
  const record = await approvedOperation(orderKeys(orderId).authorization());
  return record?.authorizationId ? { authorizationId: record.authorizationId, amount: { amount: record.amount, currency: record.currency } } : undefined;
}

function refused(type: FailureType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}

export function paymentActivities(provider: PaymentProvider) {
  return {
    /**
     * Authorizes an amount; a decline is a non-retryable `PaymentDeclined` failure. `reauthorization` numbers
     * a fresh authorization that replaces one grown too old, so each has its own idempotency key.
     */
    async authorizePayment(input: { orderId: string; amount: Money; token: string; reauthorization?: number }): Promise<AuthorizedPayment> {
      const key = orderKeys(input.orderId).authorization(input.reauthorization);
      const result = await callProvider({ key, orderId: input.orderId, operation: 'authorize', amount: input.amount }, (idempotencyKey) =>
        provider.authorize({ idempotencyKey, amount: input.amount, token: input.token }),
      );
      if (result.outcome === 'declined') {
        throw refused(FailureType.PaymentDeclined, `payment declined: ${result.declineReason}`, { declineReason: result.declineReason });
      }
      return { authorizationId: result.authorizationId, amount: input.amount.amount, reviewRequested: result.reviewRequested };
    },

    /** Captures a shipment's value when it ships, once per shipment; a refusal is a non-retryable failure. */
    async capturePayment(input: { orderId: string; shipmentId: string; authorizationId: string; amount: Money }): Promise<{ captured: number }> {
      const key = orderKeys(input.orderId).capture(input.shipmentId);
      const { authorizationId, amount } = input;
      const result = await callProvider({ key, orderId: input.orderId, operation: 'capture', amount, authorizationId }, (idempotencyKey) =>
        provider.capture({ idempotencyKey, authorizationId, amount }),
      );
      if (result.outcome !== 'approved') throw refused(FailureType.PaymentDeclined, `capture refused: ${result.declineReason}`);
      return { captured: amount.amount };
    },

    /**
     * Voids (releases) an authorization: `amount` of it (all of what is left, or a partial reversal when
     * some lines are cancelled). `purpose` tells apart the voids of one order (`cancel:2`,
     * `reauthorization:1`); without it, this is the order's final void. Without an authorization it voids
     * all of the order's first authorization, if that was approved: the compensation runs this on every
     * failure path, also when the authorization's outcome never reached the workflow.
     */
    async voidAuthorization(input: VoidRequest): Promise<{ voided: boolean }> {
      const authorization = input.authorizationId ? input : await firstAuthorization(input.orderId);
      if (!authorization) return { voided: false };
      const { authorizationId, amount } = authorization;
      const key = orderKeys(input.orderId).void(input.purpose);
      const result = await callProvider({ key, orderId: input.orderId, operation: 'void', amount, authorizationId }, (idempotencyKey) =>
        provider.void({ idempotencyKey, authorizationId, amount }),
      );
      if (result.outcome !== 'approved') throw new Error(`provider refused to void ${authorizationId}: ${result.declineReason}`);
      return { voided: true };
    },

    /**
     * Refunds a return once (key `order:<id>:refund:<returnId>`), against the authorization that the order's
     * captures went to, and never more than was captured there and not refunded yet. A refusal, or nothing
     * left to refund, is a non-retryable `RefundRefused` failure.
     */
    async refundPayment(input: { orderId: string; returnId: string; amount: Money }): Promise<{ refunded: number }> {
      const key = orderKeys(input.orderId).refund(input.returnId);
      // A retry must not count its own earlier refund against itself.
      const source = mostRefundableAuthorization((await settledPayments(input.orderId)).filter((record) => record.key !== key));
      const amount = { amount: Math.min(input.amount.amount, source?.refundable ?? 0), currency: input.amount.currency };
      if (!source || amount.amount <= 0) throw refused(FailureType.RefundRefused, `nothing captured is left to refund for order ${input.orderId}`);
      const { authorizationId } = source;
      const result = await callProvider({ key, orderId: input.orderId, operation: 'refund', amount, authorizationId }, (idempotencyKey) =>
        provider.refund({ idempotencyKey, authorizationId, amount }),
      );
      if (result.outcome !== 'approved') throw refused(FailureType.RefundRefused, `refund refused: ${result.declineReason}`);
      return { refunded: amount.amount };
    },
  };
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
