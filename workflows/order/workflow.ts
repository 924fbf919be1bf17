/**
 * One workflow per order, id `order-<orderId>`: payment, review, stock and shipments, then the warehouses'
 * shipment events until every shipment is delivered, then the return window. Each step is a file of its
 * own beside its compensation; a cancel or a failure unwinds the order (failure.ts).
 */
import { CancellationScope, condition, metricMeter, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import {
  cancelOrderUpdate,
  changeShippingAddressUpdate,
  getOrderQuery,
  requestReturnUpdate,
  retryReservationUpdate,
  returnReceivedSignal,
  reviewOrderUpdate,
  shipmentEventUpdate,
} from '../../contracts/messages.js';
import { orderSearchAttributes } from '../../contracts/search-attributes.js';
import type { OrderInput, OrderStatus } from '../../domain/order.js';
import { changeShippingAddress, validateAddressChange } from './address-change.js';
import { reserveAndShip } from './allocation.js';
import { retryReservation, validateRetryReservation, waitForStock } from './backorder.js';
import { cancelOrder, validateCancellation } from './cancellation.js';
import { handleFailure } from './failure.js';
import { authorizePayment } from './payment.js';
import { acceptReturns, receiveReturn, requestReturn, validateReturnRequest } from './returns.js';
import { decideReview, holdForReview, reviewReason, validateReviewDecision } from './review.js';
import { OrderRun } from './run.js';
import { applyShipmentEvent, validateShipmentEvent } from './shipment-events.js';
import { setVersioningBehavior } from '../versioning.js';

export interface OrderOutcome {
  orderId: string;
  status: OrderStatus;
}

// An order runs for weeks (backorders, the return window): it ends on the build it started on.
setVersioningBehavior('PINNED', orderWorkflow);

export async function orderWorkflow(input: OrderInput): Promise<OrderOutcome> {
  const order = new OrderRun(input);
  const { state } = order;
  setHandler(getOrderQuery, () => state);
  setHandler(shipmentEventUpdate, (e) => applyShipmentEvent(order, e), { validator: (e) => validateShipmentEvent(order, e) });
  setHandler(cancelOrderUpdate, (r) => cancelOrder(order, r), { validator: (r) => validateCancellation(order, r) });
  setHandler(changeShippingAddressUpdate, (r) => changeShippingAddress(order, r), { validator: (_r) => validateAddressChange(order) });
  setHandler(reviewOrderUpdate, (d) => decideReview(order, d), { validator: (_d) => validateReviewDecision(order) });
  setHandler(retryReservationUpdate, () => retryReservation(order), { validator: () => validateRetryReservation(order) });
  setHandler(requestReturnUpdate, (r) => requestReturn(order, r), { validator: (r) => validateReturnRequest(order, r) });
  setHandler(returnReceivedSignal, (s) => receiveReturn(order, s));

  // Also set here, not only at start, so an order started by any client is findable in the UI.
  upsertSearchAttributes(orderSearchAttributes(state));
  await order.record('received', `Order ${state.externalId} received from channel ${state.channel}`);

  let unexpectedFailure: unknown;
  try {
    const authorization = await authorizePayment(order);
    order.checkNotCancelled();
    const holdReason = reviewReason(order, authorization);
    if (holdReason) await holdForReview(order, holdReason);
    if (await reserveAndShip(order)) await order.notify('order_confirmed');
    else await waitForStock(order);
    // Then the warehouses' shipment events, until everything is delivered or a cancel arrives first.
    await condition(() => state.status === 'delivered' || order.cancelRequest !== undefined);
    order.checkNotCancelled();
  } catch (error) {
    unexpectedFailure = await CancellationScope.nonCancellable(() => handleFailure(order, error));
  }

  if (state.status === 'delivered') await acceptReturns(order);
  await order.finish();
  // Served with the worker's metrics; not counted again when the workflow is replayed.
  metricMeter.createCounter('oms_orders_ended', 'orders', 'Orders ended, by final status').add(1, { status: state.status });
  // Failing the workflow makes engineers see it; only now, so the order's `failed` event went out first.
  if (unexpectedFailure) throw unexpectedFailure;
  return { orderId: state.orderId, status: state.status };
}
