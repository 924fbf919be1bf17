/**
 * The order's payment: authorized for the total before anything else (its compensation voids what is left),
 * kept fresh while money is still to be captured, captured per shipment as it ships, and partly voided when
 * lines are cancelled.
 */
import { condition } from '@temporalio/workflow';
import type { AuthorizedPayment } from '../../activities/payments.js';
import { formatMoney } from '../../domain/money.js';
import type { Shipment } from '../../domain/order.js';
import { captureForShipment, paymentStatusAfterCapture } from '../../domain/payments.js';
import { hasLeftWarehouse } from '../../domain/shipment-events.js';
import { authorizeOrderPayment, captureShipmentValue, db, failureMessage, payments } from '../activity-steps.js';
import type { OrderRun } from './run.js';

/** Authorizes the order's total. The void is registered first: a timed-out attempt may still have authorized. */
export async function authorizePayment(order: OrderRun): Promise<AuthorizedPayment> {
  const { state } = order;
  order.onFailureUndo('voidAuthorization', () => voidWhatIsLeft(order));
  const authorization = await order.exclusively(() =>
    authorizeOrderPayment({ orderId: state.orderId, amount: state.total, token: order.paymentToken }),
  );
  state.payment = {
    ...state.payment,
    status: 'authorized',
    authorized: authorization.amount,
    authorizationId: authorization.authorizationId,
    authorizedAt: new Date().toISOString(),
  };
  state.flaggedForReview = authorization.reviewRequested;
  await order.record(
    'payment_authorized',
    `Payment of ${formatMoney(state.total)} authorized${authorization.reviewRequested ? '; provider flagged it for review' : ''}`,
  );
  keepAuthorizationFresh(order);
  return authorization;
}

/** The compensation of `authorizePayment`: voids what the authorization still holds. */
async function voidWhatIsLeft(order: OrderRun): Promise<void> {
  const { state } = order;
  const rest = order.uncapturedValue();
  const { orderId } = state;
  const { authorizationId } = state.payment;
  // What is left is known only once the authorization came back; otherwise all of it.
  const { voided } = await db.voidAuthorization(authorizationId ? { orderId, authorizationId, amount: order.money(rest) } : { orderId });
  if (voided) state.payment = { ...state.payment, status: 'voided', voided: state.payment.voided + rest };
}

/** Voids the value of cancelled units (the n-th line cancellation), so exactly that is never charged. */
export async function voidCancelledValue(order: OrderRun, value: number, cancellation: number): Promise<void> {
  const { state } = order;
  if (value <= 0 || !state.payment.authorizationId) return;
  await db.voidAuthorization({
    orderId: state.orderId,
    authorizationId: state.payment.authorizationId,
    amount: order.money(value),
    purpose: `cancel:${cancellation}`,
  });
  state.payment.voided += value;
}

/** Captures the value of a shipment that left the warehouse (partial captures add up to the total). */
export async function captureShipment(order: OrderRun, shipment: Shipment): Promise<void> {
  const { state } = order;
  const shippedBefore = state.shipments.filter((s) => s !== shipment && hasLeftWarehouse(s)).flatMap((s) => s.lines);
  const amount = captureForShipment(order.activeLines(), shippedBefore, shipment.lines);
  if (authorizationExpired(order)) await renewAuthorization(order);
  try {
    await captureShipmentValue({
      orderId: state.orderId,
      shipmentId: shipment.shipmentId,
      authorizationId: state.payment.authorizationId!,
      amount: order.money(amount),
    });
    state.payment.captured += amount;
    state.payment.status = paymentStatusAfterCapture(state.payment.captured, state.payment.captured + order.uncapturedValue());
    await order.record('payment_captured', `Captured ${formatMoney(order.money(amount))} for shipment ${shipment.shipmentId}`);
  } catch (error) {
    // Refused (an unreachable provider is retried until it answers): the goods are on their way; support
    // settles the payment by hand.
    await order.record('capture_failed', `Capture of ${formatMoney(order.money(amount))} for shipment ${shipment.shipmentId} failed: ${failureMessage(error)}`);
  }
}

function authorizationExpired(order: OrderRun): boolean {
  const { authorizedAt } = order.state.payment;
  return authorizedAt !== undefined && Date.now() - Date.parse(authorizedAt) >= order.state.policy.authorizationValidityMs;
}

/**
 * A durable timer per authorization: when it grows older than the policy trusts while money is still to be
 * captured, the order re-authorizes what is left and voids the old one, so a capture never hits an expired hold.
 */
function keepAuthorizationFresh(order: OrderRun): void {
  const { state } = order;
  const settled = () => order.isFinal() || order.uncapturedValue() <= 0;
  // A loop beside the order's own steps, which must not wait for it. Not caught on purpose: a rejection
  // here is a bug, and the SDK fails the workflow task on it, so it shows and is retried.
  // eslint-disable-next-line @typescript-eslint/no-floating-promises -- a background loop, see above
  void (async () => {
    while (!settled()) {
      const expiresIn = Date.parse(state.payment.authorizedAt!) + state.policy.authorizationValidityMs - Date.now();
      if (await condition(settled, Math.max(1, expiresIn))) return;
      await order.exclusively(async () => {
        if (!settled() && authorizationExpired(order)) await renewAuthorization(order);
      });
    }
  })();
}

/** Authorizes what is left to capture anew, then voids the old authorization; a decline keeps the old one. */
async function renewAuthorization(order: OrderRun): Promise<void> {
  const { state } = order;
  const amount = order.uncapturedValue();
  const previous = state.payment.authorizationId!;
  const attempt = state.payment.reauthorizations + 1;
  try {
    const renewed = await payments.authorizePayment({ orderId: state.orderId, amount: order.money(amount), token: order.paymentToken, reauthorization: attempt });
    state.payment = {
      ...state.payment,
      authorized: renewed.amount,
      authorizationId: renewed.authorizationId,
      authorizedAt: new Date().toISOString(),
      reauthorizations: attempt,
    };
    await db.voidAuthorization({ orderId: state.orderId, authorizationId: previous, amount: order.money(amount), purpose: `reauthorization:${attempt}` });
    await order.record('payment_reauthorized', `Authorization renewed for ${formatMoney(order.money(amount))}: the previous one was older than the policy allows`);
  } catch (error) {
    state.payment = { ...state.payment, authorizedAt: new Date().toISOString(), reauthorizations: attempt };
    // Support decides; the next capture still tries the old authorization.
    await order.record('reauthorization_failed', `Renewing the authorization for ${formatMoney(order.money(amount))} failed: ${failureMessage(error)}`);
  }
}
