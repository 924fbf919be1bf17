/**
 * One workflow per order, id `order-<orderId>`: payment check, routing, stock reservation, shipments,
 * notifications, then it waits for the warehouses' shipment events and ends when every shipment is delivered.
 * Each failure path unwinds what was done, in reverse order, in a non-cancellable scope.
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
import type { NotificationEvent } from '../domain/notifications.js';
import { FINAL_ORDER_STATUSES, type OrderInput, type OrderState, type OrderStatus, type Shipment } from '../domain/order.js';
import { quantitiesBySku, routeToSingleWarehouse } from '../domain/routing.js';
import { nextShipmentStatus, orderStatusFromShipments } from '../domain/shipment-events.js';
import { cancelOrderUpdate, getOrderQuery, shipmentEventUpdate, type CancelOrderRequest } from './messages.js';
import { orderSearchAttributes, OrderStatusKey } from './search-attributes.js';

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
    shipments: [],
    timeline: [],
    requestHash: input.requestHash,
    createdAt: input.receivedAt,
    updatedAt: input.receivedAt,
    revision: 0,
  };
  let cancelRequest: CancelOrderRequest | undefined;
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
      const orderStatus = orderStatusFromShipments(state.shipments);
      await db.recordShipmentEvent({ orderId: state.orderId, ...event });
      await record(
        `shipment_${event.type}`,
        `Shipment ${shipment.shipmentId} from ${shipment.warehouseId} ${event.type} (${shipment.carrier} ${shipment.trackingNumber})`,
        orderStatus,
      );
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
        const shipped = state.shipments.find((s) => s.status === 'shipped' || s.status === 'delivered');
        if (shipped) throw new Error(`shipment ${shipped.shipmentId} has already ${shipped.status === 'shipped' ? 'shipped' : 'been delivered'}`);
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
    compensations.push({ name: 'voidAuthorization', run: () => db.voidAuthorization({ orderId: state.orderId }) });
    const authorization = await payments.authorizePayment({ orderId: state.orderId, amount: state.total, token: input.paymentToken });
    state.payment = { ...state.payment, status: 'authorized', authorized: authorization.amount };
    state.flaggedForReview = authorization.reviewRequested;
    await record(
      'payment_authorized',
      `Payment of ${formatMoney(state.total)} authorized${authorization.reviewRequested ? '; provider flagged it for review' : ''}`,
    );
    checkNotCancelled();

    // 2. Routing, then reservation (released on failure even if the reservation was partial).
    const stock = await db.loadStock({ skus: [...quantitiesBySku(state.lines).keys()] });
    const allocations = routeToSingleWarehouse(state.lines, stock, state.shippingAddress);
    if (!allocations) {
      throw ApplicationFailure.create({
        type: FailureType.InsufficientStock,
        message: 'no warehouse can supply the whole order',
        nonRetryable: true,
      });
    }
    compensations.push({ name: 'releaseStock', run: () => db.releaseStock({ orderId: state.orderId, reason: 'order not fulfilled' }) });
    await db.reserveStock({ orderId: state.orderId, allocations });
    state.allocations = allocations;
    checkNotCancelled();

    // 3. One shipment per allocated warehouse.
    compensations.push({
      name: 'cancelPendingShipments',
      run: async () => {
        await db.cancelPendingShipments({ orderId: state.orderId });
        for (const shipment of state.shipments) if (shipment.status === 'pending') shipment.status = 'cancelled';
      },
    });
    for (const warehouseId of [...new Set(allocations.map((a) => a.warehouseId))]) {
      const lines = allocations.filter((a) => a.warehouseId === warehouseId).map(({ sku, quantity }) => ({ sku, quantity }));
      state.shipments.push(
        await external.createShipment({
          orderId: state.orderId,
          shipmentId: `shp_${uuid4().replace(/-/g, '').slice(0, 20)}`,
          warehouseId,
          lines,
          shippingAddress: state.shippingAddress,
        }),
      );
    }
    await record(
      'allocated',
      `Allocated to ${state.shipments.map((s) => `${s.warehouseId} (${s.carrier} ${s.trackingNumber})`).join(', ')}`,
      'allocated',
    );
    await notify('order_confirmed');

    // 4. Wait for the warehouses until everything is delivered, or a cancel arrives first.
    await condition(() => state.status === 'delivered' || cancelRequest !== undefined);
    checkNotCancelled();
  } catch (error) {
    await CancellationScope.nonCancellable(() => handleFailure(error));
  }

  await condition(allHandlersFinished);
  await viewWrites;
  return { orderId: state.orderId, status: state.status };

  async function handleFailure(error: unknown) {
    if (error instanceof CancelRequested || isCancellation(error)) {
      await compensate();
      state.payment.status = state.payment.authorized > 0 ? 'voided' : state.payment.status;
      const reason = cancelRequest?.reason ?? 'workflow cancelled';
      await record('cancelled', `Order cancelled by ${cancelRequest?.requestedBy ?? 'an engineer'}: ${reason}`, 'cancelled');
      await notify('order_cancelled', { detail: reason });
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
    state.payment.status = state.payment.authorized > 0 ? 'voided' : state.payment.status;
    if (failureType === FailureType.InsufficientStock) {
      await record('failed', `Not enough stock: ${failureMessage(error)}`, 'failed');
      await notify('order_failed', { detail: 'some items are out of stock' });
      return;
    }
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
