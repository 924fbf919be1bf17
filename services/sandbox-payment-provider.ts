/**
 * The built-in sandbox provider. It keeps its own ledger (collection `sandbox_payments`) the way a real
 * provider's books sit apart from ours, so tests can count what the provider actually did.
 *
 * Test tokens: `tok_ok` approves, `tok_decline` declines, `tok_flaky` fails transiently twice and then
 * approves, `tok_review` approves but asks for a manual review. Any other token is declined.
 *
 * An authorization's id carries the idempotency key it was made under (`auth_<base64url of the key>`), so
 * the sandbox finds the authorization a capture or void names by `_id`, as a real provider would by its id.
 */
import { randomUUID } from 'node:crypto';
import type { Money } from '../domain/money.js';
import type { PaymentOperation } from '../persistence/payments.js';
import { countSandboxAttempt, findSandboxAuthorization, recordSandboxEntryOnce } from '../persistence/sandbox-payments.js';
import { PaymentProviderUnavailable, type AuthorizationResult, type OperationResult, type PaymentProvider } from './payment-provider.js';

export const SANDBOX_TOKENS = ['tok_ok', 'tok_decline', 'tok_flaky', 'tok_review'] as const;
const FLAKY_FAILURES = 2;

interface Entry {
  operation: PaymentOperation;
  outcome: 'approved' | 'declined';
  amount: Money;
  authorizationId?: string;
  declineReason?: string;
  reviewRequested?: boolean;
}

const AUTHORIZATION_PREFIX = 'auth_';

function authorizationIdFor(idempotencyKey: string): string {
  return `${AUTHORIZATION_PREFIX}${Buffer.from(idempotencyKey).toString('base64url')}`;
}

/** The idempotency key an authorization of this sandbox was made under, or undefined for an id it did not make. */
function idempotencyKeyOf(authorizationId: string): string | undefined {
  if (!authorizationId.startsWith(AUTHORIZATION_PREFIX)) return undefined;
  const key = Buffer.from(authorizationId.slice(AUTHORIZATION_PREFIX.length), 'base64url').toString();
  return authorizationIdFor(key) === authorizationId ? key : undefined;
}

export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox';

  async authorize({ idempotencyKey, amount, token }: { idempotencyKey: string; amount: Money; token: string }) {
    if (token === 'tok_flaky' && (await countSandboxAttempt(`authorize:${idempotencyKey}`)) <= FLAKY_FAILURES) {
      throw new PaymentProviderUnavailable('sandbox provider is temporarily unavailable (tok_flaky)');
    }
    const approved = token === 'tok_ok' || token === 'tok_flaky' || token === 'tok_review';
    const entry = await this.record(idempotencyKey, {
      operation: 'authorize',
      outcome: approved ? 'approved' : 'declined',
      amount,
      authorizationId: approved ? authorizationIdFor(idempotencyKey) : undefined,
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
    const authorization = await findSandboxAuthorization(authorizationId, idempotencyKeyOf(authorizationId));
    const whole = authorization ? { amount: authorization.amount, currency: authorization.currency } : { amount: 0, currency: 'XXX' };
    return this.operate(idempotencyKey, 'void', authorizationId, amount ?? whole);
  }

  async refund({ idempotencyKey, authorizationId, amount }: { idempotencyKey: string; authorizationId: string; amount: Money }) {
    return this.operate(idempotencyKey, 'refund', authorizationId, amount);
  }

  private async operate(idempotencyKey: string, operation: PaymentOperation, authorizationId: string, amount: Money): Promise<OperationResult> {
    const authorization = await findSandboxAuthorization(authorizationId, idempotencyKeyOf(authorizationId), { approvedOnly: true });
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
  private record(idempotencyKey: string, entry: Entry) {
    const { amount, ...rest } = entry;
    return recordSandboxEntryOnce({ ...rest, idempotencyKey, reference: `sbx_${randomUUID()}`, amount: amount.amount, currency: amount.currency });
  }
}
