/**
 * What the engine needs from a payment provider. Every call carries an idempotency key: a provider must
 * answer a repeated key with the first call's result instead of acting again (as real providers do).
 */
import type { Money } from '../domain/money.js';

export type AuthorizationResult =
  | { outcome: 'approved'; authorizationId: string; reference: string; reviewRequested: boolean }
  | { outcome: 'declined'; reference: string; declineReason: string };

export interface OperationResult {
  outcome: 'approved' | 'declined';
  reference: string;
  declineReason?: string;
}

export interface PaymentProvider {
  readonly name: string;
  authorize(request: { idempotencyKey: string; amount: Money; token: string }): Promise<AuthorizationResult>;
  capture(request: { idempotencyKey: string; authorizationId: string; amount: Money }): Promise<OperationResult>;
  /** Releases `amount` of the authorization (a partial reversal), or all of what is left of it. */
  void(request: { idempotencyKey: string; authorizationId: string; amount?: Money }): Promise<OperationResult>;
  refund(request: { idempotencyKey: string; authorizationId: string; amount: Money }): Promise<OperationResult>;
}

/** A transient provider failure: the caller should retry with the same idempotency key. */
export class PaymentProviderUnavailable extends Error {
  override name = 'PaymentProviderUnavailable';
}
