/**
 * How the workflows call their activities: the proxies, grouped by what they talk to (and so how they are
 * retried), and how a failed step is read. Each step carries a one-line summary, shown next to it in the
 * Temporal UI's event history ("Reserve 2 x TSHIRT at berlin (round 1)" rather than just "reserveStock");
 * summaries are written from the step's input, so call sites stay plain `await db.reserveStock(...)`.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.js';
import { FailureType } from '../domain/failures.js';
import { formatMoney } from '../domain/money.js';
import { describeQuantities } from '../domain/quantities.js';

type Summaries = { [Name in keyof OrderActivities]?: (...args: Parameters<OrderActivities[Name]>) => string };

const SUMMARIES: Summaries = {
  authorizePayment: ({ amount, reauthorization }) =>
    `${reauthorization ? `Re-authorize (#${reauthorization})` : 'Authorize'} ${formatMoney(amount)}`,
  capturePayment: ({ amount, shipmentId }) => `Capture ${formatMoney(amount)} for shipment ${shipmentId}`,
  voidAuthorization: (input) =>
    `Void ${input.authorizationId ? formatMoney(input.amount) : 'the rest'} of the authorization${input.purpose ? ` (${input.purpose})` : ''}`,
  loadStock: ({ skus }) => `Read availability of ${skus.join(', ')}`,
  reserveStock: ({ allocations, round }) =>
    `Reserve ${allocations.map((a) => `${a.quantity} x ${a.sku} at ${a.warehouseId}`).join(', ')} (round ${round})`,
  reserveRound: ({ wanted, round }) => `Route and reserve ${describeQuantities(wanted)} (round ${round})`,
  releaseStock: ({ allocations, reason }) =>
    `Release ${allocations ? describeQuantities(allocations) : 'all reserved stock'}: ${reason}`,
  createShipment: ({ warehouseId, lines }) => `Book shipment from ${warehouseId}: ${describeQuantities(lines)}`,
  amendPendingShipment: ({ shipmentId, lines }) =>
    lines.length > 0 ? `Reduce shipment ${shipmentId} to ${describeQuantities(lines)}` : `Cancel shipment ${shipmentId}`,
  recordShipmentEvent: ({ shipmentId, type }) => `Record shipment ${shipmentId} ${type}`,
  cancelPendingShipments: () => 'Cancel the shipments that have not left the warehouse',
  restockReturn: ({ returnId, warehouseId, lines }) => `Restock return ${returnId} at ${warehouseId}: ${describeQuantities(lines)}`,
  refundPayment: ({ returnId, amount }) => `Refund ${formatMoney(amount)} for return ${returnId}`,
  notifyCustomer: ({ event, recipient }) => `Email ${recipient.email}: ${event}`,
  notifyOperations: ({ event }) => `Email operations: ${event}`,
  saveOrderView: (state) => `Save order view (revision ${state.revision}, ${state.status})`,
  deliverOrderEvent: ({ id, type, channel }) => `Send event ${id} (${type}) to the webhook of channel ${channel}`,
  channelHasWebhook: ({ channel }) => `Look up the webhook of channel ${channel}`,
};

/** Activity proxies whose steps carry their summary into the workflow history. */
function withSummaries<Options extends ActivityOptions | LocalActivityOptions>(
  proxy: (options: Options) => OrderActivities,
  options: Options,
): OrderActivities {
  const activities = proxy(options);
  return new Proxy(activities, {
    get(target, name: string) {
      const activity = target[name as keyof OrderActivities];
      const summarize = SUMMARIES[name as keyof OrderActivities] as ((...args: unknown[]) => string) | undefined;
      if (!summarize) return activity;
      return (...args: unknown[]) =>
        (activity as unknown as { executeWithOptions(o: { summary: string }, a: unknown[]): Promise<unknown> }).executeWithOptions(
          { summary: summarize(...args) },
          args,
        );
    },
  });
}

/** Our own database: retried until it answers (an outage pauses orders, it does not fail them). */
const ourDatabase = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} as const;

export const db = withSummaries(proxyActivities<OrderActivities>, ourDatabase);

const localDatabaseSteps = withSummaries(proxyLocalActivities<OrderActivities>, ourDatabase);

/** Orders started before the order path's short database steps became local activities keep running them as activities. */
const LOCAL_DATABASE_STEPS_PATCH = 'local-database-steps';

/**
 * The short reads and writes of our own database on an order's main path (its view, routing's stock read,
 * reservations), run as local activities: the worker runs them inside the workflow task,
 * so each costs one marker in the history rather than a round trip through the Temporal server (three
 * events and a workflow task). Retried and idempotent as `db`'s steps are.
 */
export function localDb(): Pick<OrderActivities, 'saveOrderView' | 'loadStock' | 'reserveStock' | 'reserveRound' | 'channelHasWebhook'> {
  return patched(LOCAL_DATABASE_STEPS_PATCH) ? localDatabaseSteps : db;
}

/**
 * Orders started before their history was made leaner keep the steps they had: customer email and the
 * carrier's booking as activities only, a delivery to the channel's webhook to learn that there is none,
 * the return window opened by a view save of its own.
 */
const LEANER_ORDER_HISTORY_PATCH = 'leaner-order-history';

export function leanerOrderHistory(): boolean {
  return patched(LEANER_ORDER_HISTORY_PATCH);
}

/**
 * The payment provider: slower, retried with backoff (to one attempt a minute) for as long as the provider
 * is unavailable, so an outage of any length pauses orders rather than failing them; a decline or refusal
 * is final.
 */
export const payments = withSummaries(proxyActivities<OrderActivities>, {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [FailureType.PaymentDeclined, FailureType.RefundRefused],
  },
});

/** Carrier and email: external, retried with backoff. */
export const external = withSummaries(proxyActivities<OrderActivities>, {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** One local attempt of an external step, not retried locally: `locallyFirst` falls back to the step's activity. */
const localAttempt = withSummaries(proxyLocalActivities<OrderActivities>, {
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});

/**
 * A step that calls a service outside the engine (the mail server, the carrier, the payment provider),
 * tried once as a local activity: the worker runs it inside the workflow task, so it costs the order one
 * marker in its history instead of an activity's round trip through the Temporal server (three events and
 * a workflow task). The workflow task, and with it the acceptance of an Update that arrives meanwhile,
 * waits for that attempt, so it is short (5 s at most). If it fails for any reason but a final one (the
 * service is down or slow), the step runs as the activity it always was, retried with backoff: an outage
 * holds up that step, not the order's workflow tasks. The step must be idempotent by its key, as they all
 * are: a local attempt that timed out may still finish while the activity runs. `since` says whether the
 * order runs on code from after the patch that made the step local-first.
 */
function locallyFirst<Name extends keyof OrderActivities>(name: Name, activities: OrderActivities, since: () => boolean = leanerOrderHistory): OrderActivities[Name] {
  const run = (steps: OrderActivities, args: unknown[]) => (steps[name] as (...input: unknown[]) => Promise<unknown>)(...args);
  const step = async (...args: unknown[]) => {
    if (!since()) return run(activities, args);
    try {
      return await run(localAttempt, args);
    } catch (error) {
      if (isCancellation(error) || isFinalFailure(error)) throw error;
      return run(activities, args);
    }
  };
  return step as OrderActivities[Name];
}

/** Customer email and booking with the carrier: once locally, then as `external` activities (`locallyFirst`). */
export const emailCustomer = locallyFirst('notifyCustomer', external);
export const bookShipment = locallyFirst('createShipment', external);

/** Orders started before their first authorization and captures were tried locally run them as activities only. */
const LOCAL_FIRST_PAYMENTS_PATCH = 'local-first-payments';

const localFirstPayments = () => patched(LOCAL_FIRST_PAYMENTS_PATCH);

/**
 * The order's authorization and its captures: once locally, then as `payments` activities (`locallyFirst`).
 * Each saves the order an activity's round trip (three events and a workflow task). A decline stays final:
 * it is not tried again as an activity.
 */
export const authorizeOrderPayment = locallyFirst('authorizePayment', payments, localFirstPayments);
export const captureShipmentValue = locallyFirst('capturePayment', payments, localFirstPayments);

/**
 * Channel webhooks: retried without limit until the channel's endpoint accepts, backing off to one attempt
 * every 10 minutes, so an endpoint that is down for a while still receives every event.
 */
export const webhooks = withSummaries(proxyActivities<OrderActivities>, {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** A failed step that would fail the same way again (a non-retryable failure). */
function isFinalFailure(error: unknown): boolean {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure && failure.nonRetryable === true;
}

/** The typed business failure (`FailureType`) behind a failed step, if it was one. */
export function failureTypeOf(error: unknown): string | undefined {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure ? failure.type ?? undefined : undefined;
}

/** What went wrong in a failed step or child workflow, in words for the timeline. */
export function failureMessage(error: unknown): string {
  const failure = (error instanceof ActivityFailure || error instanceof ChildWorkflowFailure) && error.cause ? error.cause : error;
  return failure instanceof Error ? failure.message : String(failure);
}
