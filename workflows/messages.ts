/**
 * The order workflow's messages, defined once and shared by the workflow and its clients (API, tests).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderQuantity, OrderState, OrderStatus, ShipmentStatus } from '../domain/order.js';
import type { ShipmentEventType } from '../domain/shipment-events.js';

/** The order's live state. */
export const getOrderQuery = defineQuery<OrderState>('getOrder');

export interface ShipmentEventRequest {
  shipmentId: string;
  type: ShipmentEventType;
  trackingNumber?: string;
  /** When the warehouse or carrier says it happened (ISO 8601). */
  occurredAt: string;
}
export interface ShipmentEventResult {
  shipmentStatus: ShipmentStatus;
  orderStatus: OrderStatus;
}
/** A warehouse reports a shipment event; rejected at once when it is out of order. */
export const shipmentEventUpdate = defineUpdate<ShipmentEventResult, [ShipmentEventRequest]>('shipmentEvent');

export interface CancelOrderRequest {
  reason: string;
  requestedBy: string;
}
export interface CancelOrderResult {
  status: OrderStatus;
}
export interface ReviewDecision {
  decision: 'approve' | 'reject';
  note?: string;
  reviewer: string;
}
/** Support decides on an order held for review; rejected at once unless the order awaits review. */
export const reviewOrderUpdate = defineUpdate<{ status: OrderStatus }, [ReviewDecision]>('reviewOrder');

/** Cancel the whole order; rejected at once when something has shipped or the order has ended. */
export const cancelOrderUpdate = defineUpdate<CancelOrderResult, [CancelOrderRequest]>('cancelOrder');

export interface RetryReservationResult {
  status: OrderStatus;
  /** What the order still waits for after this attempt. */
  unallocated: OrderQuantity[];
}
/** Stock arrived: a backordered order tries its reservation again; the answer comes after the attempt. */
export const retryReservationUpdate = defineUpdate<RetryReservationResult, []>('retryReservation');

/** Stock of the dispatcher's SKU went up (received, adjusted, released): wake its backordered orders. */
export const stockReplenishedSignal = defineSignal<[]>('stockReplenished');
