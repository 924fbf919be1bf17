/**
 * One workflow per order, id `order-<orderId>`: payment check, routing, stock reservation, shipments,
 * notifications, then it waits for the warehouses' shipment events and ends when every shipment is delivered.
 * Stock that cannot be reserved puts the order on backorder: it waits (up to its deadline) for the restock
 * dispatcher to wake it, and ships complete, or ships what it has first when the channel allows partial
 * shipment. Each failure path unwinds what was done, in reverse order, in a non-cancellable scope.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.js';
import { FailureType } from '../domain/failures.js';
import { formatMoney } from '../domain/money.js';
import { captureForShipment, paymentStatusAfterCapture } from '../domain/payments.js';
import type { NotificationEvent } from '../domain/notifications.js';
import {
  describeQuantities,
  FINAL_ORDER_STATUSES,
  type Allocation,
  type OrderInput,
  type OrderQuantity,
  type OrderState,
  type OrderStatus,
  type Shipment,
} from '../domain/order.js';
import { quantitiesBySku, routeOrder } from '../domain/routing.js';
import { fulfillmentStatus, hasLeftWarehouse, nextShipmentStatus } from '../domain/shipment-events.js';
import {
  cancelOrderUpdate,
  getOrderQuery,
  retryReservationUpdate,
  reviewOrderUpdate,
  shipmentEventUpdate,
  type CancelOrderRequest,
  type ReviewDecision,
} from './messages.js';
import { LateKey, orderSearchAttributes, OrderStatusKey } from './search-attributes.js';

/** Our own database: quick, retried until it answers (an outage pauses orders, it does not fail them). */
const db = proxyActivities<OrderActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** The payment provider: slower, retried with backoff, a decline is final. */
const payments = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [FailureType.PaymentDeclined],
  },
});

/** Carrier and notifications: external, retried with backoff. */
const external = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export interface OrderOutcome {
  orderId: string;
  status: OrderStatus;
}

/** Thrown inside the workflow when a cancel request is seen between steps. */
class CancelRequested extends Error {}

/** How often one reservation attempt re-routes what it lost to a concurrent order before backordering it. */
const MAX_ROUTING_ROUNDS = 3;

export async function orderWorkflow(input: OrderInput): Promise<OrderOutcome> {
  const state: OrderState = {
    orderId: input.orderId,
    externalId: input.externalId,
    channel: input.channel,
    status: 'received',
    customer: input.customer,
    shippingAddress: input.shippingAddress,
    lines: input.lines,
    total: input.total,
    payment: { status: 'pending', authorized: 0, captured: 0, refunded: 0 },
    flaggedForReview: false,
    allocations: [],
    unallocated: [],
    waitingSkus: [],
    policy: input.policy,
    shipments: [],
    timeline: [],
    requestHash: input.requestHash,
    createdAt: input.receivedAt,
    updatedAt: input.receivedAt,
    revision: 0,
  };
  let cancelRequest: CancelOrderRequest | undefined;
  let reviewDecision: ReviewDecision | undefined;
  let shippingSlaWatched = false;
  let retryRequested = false;
  let reservationAttempts = 0;
  /** Allocations reserved but not yet on a shipment (held while the order waits to ship complete). */
  let unshipped: Allocation[] = [];
  /** Numbers each reservation and shipment round, so their business keys stay unique across rounds. */
  let round = 0;
  const isFinal = () => FINAL_ORDER_STATUSES.includes(state.status);

  // Read-model writes go out one after another, so the stored order never goes back in time.
  let viewWrites: Promise<void> = Promise.resolve();
  function record(type: string, message: string, status?: OrderStatus): Promise<void> {
    const now = new Date().toISOString();
    if (status && status !== state.status) {
      state.status = status;
      upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    }
    state.timeline.push({ at: now, type, message });
    state.updatedAt = now;
    state.revision += 1;
    const snapshot: OrderState = JSON.parse(JSON.stringify(state));
    viewWrites = viewWrites.then(() => db.saveOrderView(snapshot));
    return viewWrites;
  }

  function notify(event: NotificationEvent, extra: { subjectId?: string; detail?: string; shipment?: Shipment } = {}) {
    return external.notifyCustomer({
      orderId: state.orderId,
      event,
      subjectId: extra.subjectId,
      recipient: { email: state.customer.email, name: state.customer.name },
      externalId: state.externalId,
      total: state.total,
      detail: extra.detail,
      carrier: extra.shipment?.carrier,
      trackingNumber: extra.shipment?.trackingNumber,
    });
  }

  setHandler(getOrderQuery, () => state);

  setHandler(
    shipmentEventUpdate,
    async (event) => {
      const shipment = state.shipments.find((s) => s.shipmentId === event.shipmentId)!;
      // Applied before any await, so a concurrent duplicate event fails validation instead of applying twice.
      shipment.status = (nextShipmentStatus(shipment.status, event.type) as { status: Shipment['status'] }).status;
      if (event.trackingNumber) shipment.trackingNumber = event.trackingNumber;
      const orderStatus = fulfillmentStatus(state.shipments, state.unallocated);
      await db.recordShipmentEvent({ orderId: state.orderId, ...event });
      await record(
        `shipment_${event.type}`,
        `Shipment ${shipment.shipmentId} from ${shipment.warehouseId} ${event.type} (${shipment.carrier} ${shipment.trackingNumber})`,
        orderStatus,
      );
      if (event.type === 'shipped') await captureShipment(shipment);
      await notify(event.type === 'shipped' ? 'shipment_shipped' : 'shipment_delivered', { subjectId: shipment.shipmentId, shipment });
      return { shipmentStatus: shipment.status, orderStatus: state.status };
    },
    {
      validator: (event) => {
        const shipment = state.shipments.find((s) => s.shipmentId === event.shipmentId);
        if (!shipment) throw new Error(`shipment ${event.shipmentId} does not belong to order ${state.orderId}`);
        const next = nextShipmentStatus(shipment.status, event.type);
        if (!next.ok) throw new Error(next.reason);
        if (isFinal() || cancelRequest) throw new Error(`the order is ${cancelRequest ? 'being cancelled' : state.status}`);
      },
    },
  );

  setHandler(
    cancelOrderUpdate,
    async (request) => {
      cancelRequest ??= request;
      await condition(isFinal);
      return { status: state.status };
    },
    {
      validator: (_request) => {
        if (isFinal()) throw new Error(`order has already ended (${state.status})`);
        const shipped = state.shipments.find(hasLeftWarehouse);
        if (shipped) throw new Error(`shipment ${shipped.shipmentId} has already ${shipped.status === 'shipped' ? 'shipped' : 'been delivered'}`);
      },
    },
  );

  setHandler(
    reviewOrderUpdate,
    async (decision) => {
      reviewDecision = decision;
      await condition(() => state.status !== 'awaiting_review');
      return { status: state.status };
    },
    {
      validator: (_decision) => {
        if (state.status !== 'awaiting_review' || reviewDecision) throw new Error(`the order is not awaiting review (${state.status})`);
      },
    },
  );

  setHandler(
    retryReservationUpdate,
    async () => {
      retryRequested = true;
      const attemptsBefore = reservationAttempts;
      await condition(() => reservationAttempts > attemptsBefore || isFinal());
      return { status: state.status, unallocated: state.unallocated };
    },
    {
      validator: () => {
        if (isFinal() || cancelRequest) throw new Error(`the order is ${cancelRequest ? 'being cancelled' : state.status}`);
        if (state.unallocated.length === 0) throw new Error('the order is not waiting for stock');
      },
    },
  );

  function checkNotCancelled() {
    if (cancelRequest) throw new CancelRequested();
  }

  // Each step pushes the compensation that undoes it; failure paths run them newest first.
  const compensations: Array<{ name: string; run: () => Promise<unknown> }> = [];
  async function compensate() {
    await CancellationScope.nonCancellable(async () => {
      for (const { name, run } of compensations.reverse()) {
        try {
          await run();
        } catch (error) {
          log.error('compensation failed', { orderId: state.orderId, compensation: name, error: String(error) });
        }
      }
    });
  }

  // Also set here, not only at start, so an order started by any client is findable in the UI.
  upsertSearchAttributes(orderSearchAttributes(state));
  await record('received', `Order ${state.externalId} received from channel ${state.channel}`);

  try {
    // 1. Payment check. The void is registered first: a timed-out attempt may still have authorized.
    compensations.push({
      name: 'voidAuthorization',
      run: async () => {
        if ((await db.voidAuthorization({ orderId: state.orderId })).voided) state.payment.status = 'voided';
      },
    });
    const authorization = await payments.authorizePayment({ orderId: state.orderId, amount: state.total, token: input.paymentToken });
    state.payment = { ...state.payment, status: 'authorized', authorized: authorization.amount };
    state.flaggedForReview = authorization.reviewRequested;
    await record(
      'payment_authorized',
      `Payment of ${formatMoney(state.total)} authorized${authorization.reviewRequested ? '; provider flagged it for review' : ''}`,
    );
    checkNotCancelled();
    const holdReason = authorization.reviewRequested
      ? 'the payment provider asked for a review'
      : state.total.amount > state.policy.reviewAboveAmount
        ? `the total is above ${formatMoney({ amount: state.policy.reviewAboveAmount, currency: state.total.currency })}`
        : undefined;
    if (holdReason) await holdForReview(holdReason);

    // 2. Routing and reservation; the release is registered first, since a reservation may be partial.
    compensations.push({ name: 'releaseStock', run: () => db.releaseStock({ orderId: state.orderId, reason: 'order not fulfilled' }) });
    compensations.push({
      name: 'cancelPendingShipments',
      run: async () => {
        await db.cancelPendingShipments({ orderId: state.orderId });
        for (const shipment of state.shipments) if (shipment.status === 'pending') shipment.status = 'cancelled';
      },
    });
    await reserveWhatIsAvailable(mergeQuantities(state.lines));
    checkNotCancelled();

    // 3. Shipments now, or a backorder first.
    if (state.unallocated.length === 0) {
      await shipAllocated();
      await record('allocated', `Allocated to ${describeShipments(state.shipments)}`, 'allocated');
      await notify('order_confirmed');
    } else {
      await waitForStock();
    }

    // 4. Wait for the warehouses until everything is delivered, or a cancel arrives first.
    await condition(() => state.status === 'delivered' || cancelRequest !== undefined);
    checkNotCancelled();
  } catch (error) {
    await CancellationScope.nonCancellable(() => handleFailure(error));
  }

  await condition(allHandlersFinished);
  await viewWrites;
  return { orderId: state.orderId, status: state.status };

  /** Holds the order before any stock is reserved until support decides, or rejects it at the deadline. */
  async function holdForReview(reason: string): Promise<void> {
    const deadline = new Date(Date.now() + state.policy.reviewTimeoutMs).toISOString();
    state.review = { reason, deadline };
    await record('awaiting_review', `Held for review: ${reason}; to be decided by ${deadline}`, 'awaiting_review');
    const decided = await condition(() => reviewDecision !== undefined || cancelRequest !== undefined, state.policy.reviewTimeoutMs);
    checkNotCancelled();
    const { decision, note, reviewer } = decided ? reviewDecision! : { decision: 'reject' as const, note: 'no decision by the deadline', reviewer: 'the review deadline' };
    state.review = { ...state.review, decision, note, reviewer };
    if (decision === 'reject') {
      cancelRequest = { reason: `rejected in review${note ? `: ${note}` : ''}`, requestedBy: reviewer };
      throw new CancelRequested();
    }
    await record('review_approved', `Approved in review by ${reviewer}${note ? `: ${note}` : ''}`, 'received');
  }

  /** Captures the value of a shipment that left the warehouse (partial captures add up to the total). */
  async function captureShipment(shipment: Shipment): Promise<void> {
    const shippedBefore = state.shipments
      .filter((s) => s !== shipment && hasLeftWarehouse(s))
      .flatMap((s) => s.lines);
    const amount = captureForShipment(state.lines, shippedBefore, shipment.lines);
    try {
      await payments.capturePayment({ orderId: state.orderId, shipmentId: shipment.shipmentId, amount });
      state.payment.captured += amount;
      state.payment.status = paymentStatusAfterCapture(state.payment.captured, state.total.amount);
      await record('payment_captured', `Captured ${formatMoney({ amount, currency: state.total.currency })} for shipment ${shipment.shipmentId}`);
    } catch (error) {
      // The goods are on their way; support settles the payment by hand.
      await record('capture_failed', `Capture of ${formatMoney({ amount, currency: state.total.currency })} for shipment ${shipment.shipmentId} failed: ${failureMessage(error)}`);
    }
  }

  /**
   * Routes what is wanted over the current stock and reserves it. A reservation that loses a race to another
   * order is routed again with fresh stock (bounded); what still cannot be reserved stays in `unallocated`.
   */
  async function reserveWhatIsAvailable(wanted: OrderQuantity[]): Promise<void> {
    let remaining = wanted;
    for (let attempt = 0; attempt < MAX_ROUTING_ROUNDS && remaining.length > 0; attempt++) {
      const stock = await db.loadStock({ skus: remaining.map((q) => q.sku) });
      const { allocations, unallocated } = routeOrder(remaining, stock, state.shippingAddress);
      if (allocations.length === 0) break;
      round += 1;
      const { reserved, short } = await db.reserveStock({ orderId: state.orderId, round, allocations });
      state.allocations = mergeAllocations(state.allocations, reserved);
      unshipped = mergeAllocations(unshipped, reserved);
      remaining = mergeQuantities(unallocated, short);
      if (short.length === 0) break; // nothing was lost to a race: the rest is simply not in stock
    }
    state.unallocated = remaining;
    state.waitingSkus = remaining.map((q) => q.sku);
    reservationAttempts += 1;
  }

  /** From the first shipment on: if nothing ships within the SLA, the order is marked late (once). */
  function watchShippingSla(): void {
    if (shippingSlaWatched) return;
    shippingSlaWatched = true;
    const shippedOrEnded = () => isFinal() || state.shipments.some(hasLeftWarehouse);
    void condition(shippedOrEnded, state.policy.shipWithinMs).then(async (inTime) => {
      if (inTime) return;
      state.lateSince = new Date().toISOString();
      upsertSearchAttributes([{ key: LateKey, value: true }]);
      const message = `Not shipped within ${Math.round(state.policy.shipWithinMs / 3_600_000)}h of allocation`;
      await record('late', message);
      await external.notifyOperations({
        key: `order:${state.orderId}:late`,
        orderId: state.orderId,
        event: 'order_late',
        subject: `Late: order ${state.externalId} (${state.orderId}) has not shipped`,
        body: `${message}. Warehouses: ${describeShipments(state.shipments)}.`,
      });
    });
  }

  /** One shipment per warehouse for everything reserved and not yet on a shipment. */
  async function shipAllocated(): Promise<void> {
    const byWarehouse = new Map<string, Allocation[]>();
    for (const allocation of unshipped) {
      byWarehouse.set(allocation.warehouseId, [...(byWarehouse.get(allocation.warehouseId) ?? []), allocation]);
    }
    for (const [warehouseId, allocations] of byWarehouse) {
      state.shipments.push(
        await external.createShipment({
          orderId: state.orderId,
          shipmentId: `shp_${uuid4().replace(/-/g, '').slice(0, 20)}`,
          shipmentKey: `order:${state.orderId}:shipment:${round}:${warehouseId}`,
          warehouseId,
          lines: allocations.map(({ sku, quantity }) => ({ sku, quantity })),
          shippingAddress: state.shippingAddress,
        }),
      );
    }
    unshipped = [];
    if (state.shipments.length > 0) watchShippingSla();
  }

  /** Backorder: wait for the restock dispatcher (or the deadline), shipping what is there first if allowed. */
  async function waitForStock(): Promise<void> {
    const deadline = Date.now() + state.policy.backorderTimeoutMs;
    state.backorderDeadline = new Date(deadline).toISOString();
    const partial = state.policy.allowPartialShipment && unshipped.length > 0;
    if (partial) await shipAllocated();
    await record(
      'backordered',
      `Waiting for stock of ${describeQuantities(state.unallocated)} until ${state.backorderDeadline}` +
        (partial ? `; shipping what is available now from ${describeShipments(state.shipments)}` : ''),
      fulfillmentStatus(state.shipments, state.unallocated),
    );
    await notify('order_backordered', { detail: describeQuantities(state.unallocated) });

    while (state.unallocated.length > 0) {
      const woken = await condition(() => retryRequested || cancelRequest !== undefined, Math.max(1, deadline - Date.now()));
      checkNotCancelled();
      if (!woken) {
        cancelRequest = {
          reason: `no stock arrived for ${describeQuantities(state.unallocated)} by ${state.backorderDeadline}`,
          requestedBy: 'the backorder deadline',
        };
        throw new CancelRequested();
      }
      retryRequested = false;
      const before = describeQuantities(state.unallocated);
      await reserveWhatIsAvailable(state.unallocated);
      const complete = state.unallocated.length === 0;
      if (complete || state.policy.allowPartialShipment) await shipAllocated();
      await record(
        complete ? 'allocated' : 'backorder_retried',
        complete
          ? `Stock arrived for ${before}; allocated to ${describeShipments(state.shipments)}`
          : `Stock arrived; still waiting for ${describeQuantities(state.unallocated)}`,
        fulfillmentStatus(state.shipments, state.unallocated),
      );
      if (complete) await notify('order_confirmed');
    }
  }

  async function handleFailure(error: unknown) {
    if (error instanceof CancelRequested || isCancellation(error)) {
      await compensate();
      const reason = cancelRequest?.reason ?? 'workflow cancelled';
      await record('cancelled', `Order cancelled by ${cancelRequest?.requestedBy ?? 'an engineer'}: ${reason}`, 'cancelled');
      await notify(state.review?.decision === 'reject' ? 'review_rejected' : 'order_cancelled', { detail: reason });
      return;
    }
    const failureType = failureTypeOf(error);
    if (failureType === FailureType.PaymentDeclined) {
      state.payment.status = 'declined';
      await record('payment_declined', `Payment declined: ${failureMessage(error)}`, 'payment_declined');
      await notify('payment_declined', { detail: failureMessage(error) });
      return;
    }
    await compensate();
    // Anything else is unexpected: unwind, show it on the order, and fail the workflow so engineers see it.
    await record('failed', `Order failed: ${failureMessage(error)}`, 'failed');
    await notify('order_failed');
    throw error;
  }
}

function failureTypeOf(error: unknown): string | undefined {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure ? failure.type ?? undefined : undefined;
}

function failureMessage(error: unknown): string {
  const failure = error instanceof ActivityFailure && error.cause ? error.cause : error;
  return failure instanceof Error ? failure.message : String(failure);
}

function mergeAllocations(into: Allocation[], more: Allocation[]): Allocation[] {
  const merged = into.map((a) => ({ ...a }));
  for (const { sku, warehouseId, quantity } of more) {
    const existing = merged.find((a) => a.sku === sku && a.warehouseId === warehouseId);
    if (existing) existing.quantity += quantity;
    else merged.push({ sku, warehouseId, quantity });
  }
  return merged;
}

function mergeQuantities(...lists: OrderQuantity[][]): OrderQuantity[] {
  return [...quantitiesBySku(lists.flat())].map(([sku, quantity]) => ({ sku, quantity }));
}

function describeShipments(shipments: Shipment[]): string {
  return shipments
    .filter((s) => s.status !== 'cancelled')
    .map((s) => `${s.warehouseId} (${s.carrier} ${s.trackingNumber})`)
    .join(', ');
}
