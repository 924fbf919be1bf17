/**
 * The built-in sandbox provider. It keeps its own ledger (collection `sandbox_payments`) the way a real
 * provider's books sit apart from ours, so tests can count what the provider actually did.
 *
 * Test tokens: `tok_ok` approves, `tok_decline` declines, `tok_flaky` fails transiently twice and then
 * approves, `tok_review` approves but asks for a manual review. Any other token is declined.
 */
import { randomUUID } from 'node:crypto';
import type { Money } from '../domain/money.js';
import { isDuplicateKeyError } from '../persistence/connection.js';
import { SandboxAttemptModel, SandboxPaymentModel } from '../persistence/models.js';
import {
  PaymentProviderUnavailable,
  type AuthorizationResult,
  type OperationResult,
  type PaymentProvider,
} from './payment-provider.js';

export const SANDBOX_TOKENS = ['tok_ok', 'tok_decline', 'tok_flaky', 'tok_review'] as const;
const FLAKY_FAILURES = 2;

type Operation = 'authorize' | 'capture' | 'void' | 'refund';
interface Entry {
  operation: Operation;
  outcome: 'approved' | 'declined';
  amount: Money;
  authorizationId?: string;
  declineReason?: string;
  reviewRequested?: boolean;
}

export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox';

  async authorize({ idempotencyKey, amount, token }: { idempotencyKey: string; amount: Money; token: string }) {
    if (token === 'tok_flaky' && (await this.countAttempt(idempotencyKey)) <= FLAKY_FAILURES) {
      throw new PaymentProviderUnavailable('sandbox provider is temporarily unavailable (tok_flaky)');
    }
    const approved = token === 'tok_ok' || token === 'tok_flaky' || token === 'tok_review';
    const entry = await this.record(idempotencyKey, {
      operation: 'authorize',
      outcome: approved ? 'approved' : 'declined',
      amount,
      authorizationId: approved ? `auth_${randomUUID()}` : undefined,
      declineReason: approved ? undefined : token === 'tok_decline' ? 'card_declined' : 'invalid_token',
      reviewRequested: token === 'tok_review',
    });
    const result: AuthorizationResult =
      entry.outcome === 'approved'
        ? {
            outcome: 'approved',
            authorizationId: entry.authorizationId!,
            reference: entry.reference,
            reviewRequested: Boolean(entry.reviewRequested),
          }
        : { outcome: 'declined', reference: entry.reference, declineReason: entry.declineReason ?? 'declined' };
    return result;
  }

  async capture({ idempotencyKey, authorizationId, amount }: { idempotencyKey: string; authorizationId: string; amount: Money }) {
    return this.operate(idempotencyKey, 'capture', authorizationId, amount);
  }

  async void({ idempotencyKey, authorizationId, amount }: { idempotencyKey: string; authorizationId: string; amount?: Money }) {
    const authorization = await SandboxPaymentModel.findOne({ authorizationId, operation: 'authorize' }).lean();
    const whole = authorization ? { amount: authorization.amount, currency: authorization.currency } : { amount: 0, currency: 'XXX' };
    return this.operate(idempotencyKey, 'void', authorizationId, amount ?? whole);
  }

  async refund({ idempotencyKey, authorizationId, amount }: { idempotencyKey: string; authorizationId: string; amount: Money }) {
    return this.operate(idempotencyKey, 'refund', authorizationId, amount);
  }

  private async operate(idempotencyKey: string, operation: Operation, authorizationId: string, amount: Money): Promise<OperationResult> {
    const authorization = await SandboxPaymentModel.findOne({ authorizationId, operation: 'authorize', outcome: 'approved' }).lean();
    const entry = await this.record(idempotencyKey, {
      operation,
      outcome: authorization ? 'approved' : 'declined',
      amount,
      authorizationId,
      declineReason: authorization ? undefined : 'unknown_authorization',
    });
    return { outcome: entry.outcome, reference: entry.reference, declineReason: entry.declineReason ?? undefined };
  }

  /** Writes the entry once per idempotency key; a repeated key gets the first entry back. */
  private async record(idempotencyKey: string, entry: Entry) {
    try {
      const created = await SandboxPaymentModel.create({
        idempotencyKey,
        operation: entry.operation,
        outcome: entry.outcome,
        reference: `sbx_${randomUUID()}`,
        authorizationId: entry.authorizationId,
        amount: entry.amount.amount,
        currency: entry.amount.currency,
        declineReason: entry.declineReason,
        reviewRequested: entry.reviewRequested,
        at: new Date(),
      });
      return created.toObject();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const first = await SandboxPaymentModel.findOne({ idempotencyKey }).lean();
      if (!first) throw error;
      return first;
    }
  }

  private async countAttempt(idempotencyKey: string): Promise<number> {
    const doc = await SandboxAttemptModel.findOneAndUpdate(
      { _id: `authorize:${idempotencyKey}` },
      { $inc: { count: 1 } },
      { upsert: true, new: true },
    ).lean();
    return doc?.count ?? 1;
  }
}
