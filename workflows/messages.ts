/**
 * The order workflow's messages, defined once and shared by the workflow and its clients (API, tests).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { OrderState, OrderStatus, ShipmentStatus } from '../domain/order.js';
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
/** Cancel the whole order; rejected at once when something has shipped or the order has ended. */
export const cancelOrderUpdate = defineUpdate<CancelOrderResult, [CancelOrderRequest]>('cancelOrder');
