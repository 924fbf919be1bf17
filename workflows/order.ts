/**
 * One workflow per order, id `order-<orderId>`: payment check, routing, stock reservation, shipments,
 * notifications, then it waits for the warehouses' shipment events and ends when every shipment is delivered.
 * Stock that cannot be reserved puts the order on backorder: it waits (up to its deadline) for the restock
 * dispatcher to wake it, and ships complete, or ships what it has first when the channel allows partial
 * shipment. Each failure path unwinds what was done, in reverse order, in a non-cancellable scope.
 * With a return window, a delivered order stays open for it: each return runs as a child workflow
 * (workflows/return.ts), and the order ends once the window is over and its returns are settled.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import { FailureType } from '../domain/failures.js';
import {
  allocationDifference,
  applyLineCancellations,
  lineCancellationProblem,
  mergeAllocations,
  subtractAllocations,
  takeBackCancelledUnits,
} from '../domain/line-changes.js';
import { formatMoney, orderTotal } from '../domain/money.js';
import { captureForShipment, paymentStatusAfterCapture } from '../domain/payments.js';
import type { NotificationEvent } from '../domain/notifications.js';
import {
  activeQuantity,
  describeQuantities,
  FINAL_ORDER_STATUSES,
  type Allocation,
  type LineQuantity,
  type OrderInput,
  type OrderQuantity,
  type OrderState,
  type OrderStatus,
  type Shipment,
  type TimelineEntry,
} from '../domain/order.js';
import { routeOrder, sumQuantities } from '../domain/routing.js';
import { fulfillmentStatus, hasLeftWarehouse, nextShipmentStatus } from '../domain/shipment-events.js';
import { db, external, failureMessage, failureTypeOf, payments } from './activity-steps.js';
import { handleReturns } from './order-returns.js';
import { deliverToChannelWebhook } from './order-webhook.js';
import { timelineEntryId } from '../contracts/ids.js';
import {
  cancelOrderUpdate,
  changeShippingAddressUpdate,
  getOrderQuery,
  retryReservationUpdate,
  reviewOrderUpdate,
  shipmentEventUpdate,
  type CancelOrderRequest,
  type ChangeShippingAddressRequest,
  type ChangeShippingAddressResult,
  type ReviewDecision,
} from '../contracts/messages.js';
import { LateKey, orderSearchAttributes, OrderStatusKey } from '../contracts/search-attributes.js';
import { orderKeys } from '../contracts/keys.js';

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
    payment: { status: 'pending', authorized: 0, captured: 0, refunded: 0, voided: 0, reauthorizations: 0 },
    flaggedForReview: false,
    allocations: [],
    unallocated: [],
    waitingSkus: [],
    policy: input.policy,
    shipments: [],
    returns: [],
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
  /** Numbers partial cancellations, so each releases and voids under its own key. */
  let lineCancellations = 0;
  /** Numbers address changes, so each one's email goes out once. */
  let addressChanges = 0;
  const isFinal = () => FINAL_ORDER_STATUSES.includes(state.status);

  /**
   * Steps that change reservations, shipments or the payment run one at a time: a line cancellation or an
   * address change arriving while stock is being reserved waits for that step instead of racing it.
   * Long waits (review, backorder, shipment events) happen outside, so a change never waits on them.
   */
  let busy = false;
  async function exclusively<T>(step: () => Promise<T>): Promise<T> {
    await condition(() => !busy);
    busy = true;
    try {
      return await step();
    } finally {
      busy = false;
    }
  }

  // Read-model writes go out one after another, so the stored order never goes back in time.
  let viewWrites: Promise<void> = Promise.resolve();
  function saveView(): Promise<void> {
    state.revision += 1;
    const snapshot: OrderState = JSON.parse(JSON.stringify(state));
    viewWrites = viewWrites.then(() => db.saveOrderView(snapshot));
    return viewWrites;
  }

  function record(type: string, message: string, status?: OrderStatus): Promise<void> {
    const now = new Date().toISOString();
    if (status && status !== state.status) {
      state.status = status;
      upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    }
    const entry: TimelineEntry = { id: timelineEntryId(state.orderId, state.timeline.length + 1), at: now, type, message };
    state.timeline.push(entry);
    state.updatedAt = now;
    channelWebhook.send(entry);
    return saveView();
  }
  const channelWebhook = deliverToChannelWebhook(state, saveView);

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
      // After a line cancellation that is amending this shipment, so the ledger ships what the shipment holds.
      await exclusively(async () => {
        await db.recordShipmentEvent({ orderId: state.orderId, ...event });
        await record(
          `shipment_${event.type}`,
          `Shipment ${shipment.shipmentId} from ${shipment.warehouseId} ${event.type} (${shipment.carrier} ${shipment.trackingNumber})`,
          orderStatus,
        );
        if (event.type === 'shipped') await captureShipment(shipment);
      });
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
      if (request.lines && !cancelsEverything(request.lines)) {
        await exclusively(() => cancelLines(request, request.lines!));
        return { status: state.status };
      }
      cancelRequest ??= request;
      await condition(isFinal);
      return { status: state.status };
    },
    {
      validator: (request) => {
        if (isFinal()) throw new Error(`order has already ended (${state.status})`);
        if (cancelRequest) throw new Error('the order is already being cancelled');
        if (request.lines) {
          const problem = lineCancellationProblem(state.lines, state.shipments, request.lines);
          if (problem) throw new Error(problem);
          if (!cancelsEverything(request.lines)) return;
        }
        const shipped = state.shipments.find(hasLeftWarehouse);
        if (shipped) {
          throw new Error(
            `shipment ${shipped.shipmentId} has already ${shipped.status === 'shipped' ? 'shipped' : 'been delivered'}; cancel the lines that have not shipped instead`,
          );
        }
      },
    },
  );

  setHandler(
    changeShippingAddressUpdate,
    (request) => exclusively(() => changeShippingAddress(request)),
    {
      validator: (_request) => {
        if (isFinal() || cancelRequest) throw new Error(`the order is ${cancelRequest ? 'being cancelled' : state.status}`);
        const shipped = state.shipments.find(hasLeftWarehouse);
        if (shipped) throw new Error(`shipment ${shipped.shipmentId} has already left the warehouse`);
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
      await condition(() => reservationAttempts > attemptsBefore || isFinal() || state.unallocated.length === 0);
      return { status: state.status, unallocated: state.unallocated };
    },
    {
      validator: () => {
        if (isFinal() || cancelRequest) throw new Error(`the order is ${cancelRequest ? 'being cancelled' : state.status}`);
        if (state.unallocated.length === 0) throw new Error('the order is not waiting for stock');
      },
    },
  );

  const returns = handleReturns(state, record);

  function checkNotCancelled() {
    if (cancelRequest) throw new CancelRequested();
  }

  // Each step pushes the compensation that undoes it; failure paths run them newest first.
  const compensations: Array<{ name: string; run: () => Promise<unknown> }> = [];
  async function compensate() {
    // After any change in flight (a line cancellation voiding part of the amount), never alongside it.
    await CancellationScope.nonCancellable(() => exclusively(async () => {
      for (const { name, run } of compensations.reverse()) {
        try {
          await run();
        } catch (error) {
          log.error('compensation failed', { orderId: state.orderId, compensation: name, error: String(error) });
        }
      }
    }));
  }

  // Also set here, not only at start, so an order started by any client is findable in the UI.
  upsertSearchAttributes(orderSearchAttributes(state));
  await record('received', `Order ${state.externalId} received from channel ${state.channel}`);

  let unexpectedFailure: unknown;
  try {
    // 1. Payment check. The void is registered first: a timed-out attempt may still have authorized.
    compensations.push({
      name: 'voidAuthorization',
      run: async () => {
        const rest = uncapturedValue();
        const { voided } = await db.voidAuthorization({
          orderId: state.orderId,
          authorizationId: state.payment.authorizationId,
          // The amount is known only once the authorization came back; otherwise all of it.
          amount: state.payment.authorizationId ? money(rest) : undefined,
        });
        if (voided) state.payment = { ...state.payment, status: 'voided', voided: state.payment.voided + rest };
      },
    });
    const authorization = await exclusively(() =>
      payments.authorizePayment({ orderId: state.orderId, amount: state.total, token: input.paymentToken }),
    );
    state.payment = {
      ...state.payment,
      status: 'authorized',
      authorized: authorization.amount,
      authorizationId: authorization.authorizationId,
      authorizedAt: new Date().toISOString(),
    };
    state.flaggedForReview = authorization.reviewRequested;
    await record(
      'payment_authorized',
      `Payment of ${formatMoney(state.total)} authorized${authorization.reviewRequested ? '; provider flagged it for review' : ''}`,
    );
    keepAuthorizationFresh();
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
    const allocatedAtOnce = await exclusively(async () => {
      checkNotCancelled();
      await reserveWhatIsAvailable(activeQuantities());
      checkNotCancelled();
      // 3. Shipments now, or a backorder first.
      if (state.unallocated.length > 0) return false;
      await shipAllocated();
      await record('allocated', `Allocated to ${describeShipments(state.shipments)}`, 'allocated');
      return true;
    });
    if (allocatedAtOnce) await notify('order_confirmed');
    else await waitForStock();

    // 4. Wait for the warehouses until everything is delivered, or a cancel arrives first.
    await condition(() => state.status === 'delivered' || cancelRequest !== undefined);
    checkNotCancelled();
  } catch (error) {
    unexpectedFailure = await CancellationScope.nonCancellable(() => handleFailure(error));
  }

  // 5. A delivered order takes returns for its window, and ends once they are settled.
  if (state.status === 'delivered') await returns.acceptReturns();

  await condition(allHandlersFinished);
  // Before the last view write: each delivery the webhook accepts is saved to the view.
  await channelWebhook.allDelivered();
  await viewWrites;
  // Failing the workflow makes engineers see it; only now, so the order's `failed` event went out first.
  if (unexpectedFailure) throw unexpectedFailure;
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

  /** The order's lines as they stand, cancelled units taken out. */
  function activeLines() {
    return state.lines.map((line) => ({ ...line, quantity: activeQuantity(line) })).filter((line) => line.quantity > 0);
  }

  function activeQuantities(): OrderQuantity[] {
    return sumQuantities(activeLines());
  }

  /** True when these cancellations take every unit still wanted and nothing has shipped: that is a whole-order cancel. */
  function cancelsEverything(cancellations: LineQuantity[]): boolean {
    if (state.shipments.some(hasLeftWarehouse)) return false;
    return state.lines.every((line) => activeQuantity(line) === (cancellations.find((c) => c.lineId === line.lineId)?.quantity ?? 0));
  }

  function money(amount: number) {
    return { amount, currency: state.total.currency };
  }

  /** What the authorization must still cover: the value of the units still wanted, less what was captured. */
  function uncapturedValue(): number {
    return orderTotal(activeLines(), state.total.currency).amount - state.payment.captured;
  }

  function authorizationExpired(): boolean {
    const authorizedAt = state.payment.authorizedAt;
    return authorizedAt !== undefined && Date.now() - Date.parse(authorizedAt) >= state.policy.authorizationValidityMs;
  }

  /**
   * A durable timer per authorization: when it grows older than the policy trusts while money is still to be
   * captured, the order re-authorizes what is left and voids the old one, so a capture never hits an expired hold.
   */
  function keepAuthorizationFresh(): void {
    const settled = () => isFinal() || uncapturedValue() <= 0;
    void (async () => {
      while (!settled()) {
        const expiresIn = Date.parse(state.payment.authorizedAt!) + state.policy.authorizationValidityMs - Date.now();
        if (await condition(settled, Math.max(1, expiresIn))) return;
        await exclusively(async () => {
          if (!settled() && authorizationExpired()) await renewAuthorization();
        });
      }
    })();
  }

  /** Authorizes what is left to capture anew, then voids the old authorization; a decline keeps the old one. */
  async function renewAuthorization(): Promise<void> {
    const amount = uncapturedValue();
    const previous = state.payment.authorizationId!;
    const attempt = state.payment.reauthorizations + 1;
    try {
      const renewed = await payments.authorizePayment({ orderId: state.orderId, amount: money(amount), token: input.paymentToken, reauthorization: attempt });
      state.payment = {
        ...state.payment,
        authorized: renewed.amount,
        authorizationId: renewed.authorizationId,
        authorizedAt: new Date().toISOString(),
        reauthorizations: attempt,
      };
      await db.voidAuthorization({ orderId: state.orderId, authorizationId: previous, amount: money(amount), purpose: `reauthorization:${attempt}` });
      await record('payment_reauthorized', `Authorization renewed for ${formatMoney(money(amount))}: the previous one was older than the policy allows`);
    } catch (error) {
      state.payment = { ...state.payment, authorizedAt: new Date().toISOString(), reauthorizations: attempt };
      // Support decides; the next capture still tries the old authorization.
      await record('reauthorization_failed', `Renewing the authorization for ${formatMoney(money(amount))} failed: ${failureMessage(error)}`);
    }
  }

  /** Captures the value of a shipment that left the warehouse (partial captures add up to the total). */
  async function captureShipment(shipment: Shipment): Promise<void> {
    const shippedBefore = state.shipments
      .filter((s) => s !== shipment && hasLeftWarehouse(s))
      .flatMap((s) => s.lines);
    const amount = captureForShipment(activeLines(), shippedBefore, shipment.lines);
    if (authorizationExpired()) await renewAuthorization();
    try {
      await payments.capturePayment({
        orderId: state.orderId,
        shipmentId: shipment.shipmentId,
        authorizationId: state.payment.authorizationId!,
        amount: money(amount),
      });
      state.payment.captured += amount;
      state.payment.status = paymentStatusAfterCapture(state.payment.captured, state.payment.captured + uncapturedValue());
      await record('payment_captured', `Captured ${formatMoney(money(amount))} for shipment ${shipment.shipmentId}`);
    } catch (error) {
      // The goods are on their way; support settles the payment by hand.
      await record('capture_failed', `Capture of ${formatMoney(money(amount))} for shipment ${shipment.shipmentId} failed: ${failureMessage(error)}`);
    }
  }

  /**
   * Cancels some units that have not shipped: takes them back from the backorder, the reserved stock or the
   * pending shipments, releases that stock, voids exactly their value, and tells the customer.
   */
  async function cancelLines(request: CancelOrderRequest, cancellations: LineQuantity[]): Promise<void> {
    if (isFinal() || cancelRequest) return;
    const number = ++lineCancellations;
    const wasWaiting = state.unallocated.length > 0;
    const { lines, cancelledValue, cancelled } = applyLineCancellations(state.lines, cancellations);
    const taken = takeBackCancelledUnits({ unallocated: state.unallocated, held: unshipped, shipments: state.shipments }, cancelled);
    state.lines = lines;
    state.unallocated = taken.unallocated;
    state.waitingSkus = taken.unallocated.map((q) => q.sku);
    state.shipments = taken.shipments;
    state.allocations = subtractAllocations(state.allocations, taken.released);
    unshipped = taken.held;
    for (const { shipmentId, lines: remaining } of taken.amendedShipments) {
      await db.amendPendingShipment({ orderId: state.orderId, shipmentId, lines: remaining });
    }
    if (taken.released.length > 0) {
      await db.releaseStock({ orderId: state.orderId, reason: `lines cancelled: ${request.reason}`, allocations: taken.released, releaseKey: `cancel-${number}` });
    }
    if (cancelledValue > 0 && state.payment.authorizationId) {
      await db.voidAuthorization({
        orderId: state.orderId,
        authorizationId: state.payment.authorizationId,
        amount: money(cancelledValue),
        purpose: `cancel:${number}`,
      });
      state.payment.voided += cancelledValue;
    }
    const what = describeQuantities(cancelled);
    await record(
      'lines_cancelled',
      `Cancelled ${what} (${formatMoney(money(cancelledValue))} released) by ${request.requestedBy}: ${request.reason}`,
      state.allocations.length + state.unallocated.length > 0 || state.shipments.some(hasLeftWarehouse)
        ? fulfillmentStatus(state.shipments, state.unallocated)
        : undefined,
    );
    await notify('lines_cancelled', { subjectId: `cancel-${number}`, detail: `${what}, ${formatMoney(money(cancelledValue))}` });
    // What was missing is no longer wanted: ship what the order holds now.
    if (wasWaiting && state.unallocated.length === 0) {
      await shipAllocated();
      await record('allocated', `Nothing left to wait for; allocated to ${describeShipments(state.shipments)}`, fulfillmentStatus(state.shipments, []));
      await notify('order_confirmed');
    }
  }

  /**
   * Changes where the order goes. Once stock is reserved, it is routed again for the new address; when other
   * warehouses serve it better, the difference is reserved first and only then released where it was (so a
   * concurrent order cannot take the stock in between), and pending shipments are booked anew.
   */
  async function changeShippingAddress(request: ChangeShippingAddressRequest): Promise<ChangeShippingAddressResult> {
    if (isFinal() || cancelRequest) return { status: state.status, rerouted: false, warehouseIds: [] };
    state.shippingAddress = request.address;
    let rerouted = false;
    if (state.allocations.length > 0) {
      // The order's own reservations are available to it.
      const stock = (await db.loadStock({ skus: [...new Set(state.allocations.map((a) => a.sku))] })).map((warehouse) => {
        const available = { ...warehouse.available };
        for (const { sku, warehouseId, quantity } of state.allocations) {
          if (warehouseId === warehouse.warehouseId) available[sku] = (available[sku] ?? 0) + quantity;
        }
        return { ...warehouse, available };
      });
      const plan = routeOrder(sumQuantities(state.allocations), stock, request.address);
      const { reserve, release } = allocationDifference(state.allocations, plan.allocations);
      if (plan.unallocated.length === 0 && reserve.length > 0) {
        round += 1;
        const { reserved, short } = await db.reserveStock({ orderId: state.orderId, round, allocations: reserve });
        const releaseKey = `reroute-${round}`;
        if (short.length === 0) {
          await db.releaseStock({ orderId: state.orderId, reason: 'shipping address changed', allocations: release, releaseKey });
          state.allocations = plan.allocations;
          rerouted = true;
        } else if (reserved.length > 0) {
          await db.releaseStock({ orderId: state.orderId, reason: 'the re-route lost stock to another order', allocations: reserved, releaseKey });
        }
      }
      // Nothing has shipped, so every allocation is held or on a pending shipment: book those anew.
      unshipped = state.allocations;
      if (state.shipments.some((s) => s.status === 'pending')) {
        await db.cancelPendingShipments({ orderId: state.orderId });
        for (const shipment of state.shipments) if (shipment.status === 'pending') shipment.status = 'cancelled';
        round += 1;
        await shipAllocated();
      }
    }
    const warehouseIds = [...new Set(state.allocations.map((a) => a.warehouseId))];
    await record(
      'shipping_address_changed',
      `Shipping address changed by ${request.requestedBy} to ${request.address.city}, ${request.address.country}` +
        (state.allocations.length === 0 ? '' : rerouted ? `; re-routed to ${warehouseIds.join(', ')}` : `; still served from ${warehouseIds.join(', ')}`),
    );
    const { name, line1, line2, postalCode, city, country } = request.address;
    await notify('shipping_address_changed', {
      subjectId: `address-${++addressChanges}`,
      detail: [name, line1, line2, `${postalCode} ${city}`, country].filter(Boolean).join(', '),
    });
    return { status: state.status, rerouted, warehouseIds };
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
      remaining = sumQuantities([...unallocated, ...short]);
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
        key: orderKeys(state.orderId).lateAlert(),
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
          shipmentKey: orderKeys(state.orderId).shipment(round, warehouseId),
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
    if (partial) await exclusively(shipAllocated);
    await record(
      'backordered',
      `Waiting for stock of ${describeQuantities(state.unallocated)} until ${state.backorderDeadline}` +
        (partial ? `; shipping what is available now from ${describeShipments(state.shipments)}` : ''),
      fulfillmentStatus(state.shipments, state.unallocated),
    );
    await notify('order_backordered', { detail: describeQuantities(state.unallocated) });

    while (state.unallocated.length > 0) {
      const woken = await condition(
        () => retryRequested || cancelRequest !== undefined || state.unallocated.length === 0,
        Math.max(1, deadline - Date.now()),
      );
      checkNotCancelled();
      // A line cancellation took away what was missing (and shipped the rest).
      if (state.unallocated.length === 0) break;
      if (!woken) {
        cancelRequest = {
          reason: `no stock arrived for ${describeQuantities(state.unallocated)} by ${state.backorderDeadline}`,
          requestedBy: 'the backorder deadline',
        };
        throw new CancelRequested();
      }
      retryRequested = false;
      const complete = await exclusively(async () => {
        if (state.unallocated.length === 0 || cancelRequest) return false;
        const before = describeQuantities(state.unallocated);
        await reserveWhatIsAvailable(state.unallocated);
        const allReserved = state.unallocated.length === 0;
        if (allReserved || state.policy.allowPartialShipment) await shipAllocated();
        await record(
          allReserved ? 'allocated' : 'backorder_retried',
          allReserved
            ? `Stock arrived for ${before}; allocated to ${describeShipments(state.shipments)}`
            : `Stock arrived; still waiting for ${describeQuantities(state.unallocated)}`,
          fulfillmentStatus(state.shipments, state.unallocated),
        );
        return allReserved;
      });
      if (complete) await notify('order_confirmed');
    }
  }

  /** Unwinds after a cancel or a failure; returns an unexpected error for the workflow to fail with. */
  async function handleFailure(error: unknown): Promise<unknown> {
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
    // Anything else is unexpected: unwind and show it on the order.
    await record('failed', `Order failed: ${failureMessage(error)}`, 'failed');
    await notify('order_failed');
    return error;
  }
}

function describeShipments(shipments: Shipment[]): string {
  return shipments
    .filter((s) => s.status !== 'cancelled')
    .map((s) => `${s.warehouseId} (${s.carrier} ${s.trackingNumber})`)
    .join(', ');
}
