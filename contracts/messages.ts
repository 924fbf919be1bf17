/**
 * The order workflow's messages, defined once and shared by the workflow and its clients (API, tests).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderState, OrderStatus, ReturnReceipt, ReturnStatus, ShipmentStatus } from '../domain/order.js';
import type { Address } from '../domain/customer.js';
import type { LineQuantity, OrderQuantity } from '../domain/quantities.js';
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
  /** Cancel only these units; without them, the whole order. */
  lines?: LineQuantity[];
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

/**
 * Cancel the whole order, or some units of some lines; rejected at once for anything that has shipped, or
 * when the order has ended. The answer comes once the stock is released and the amount voided.
 */
export const cancelOrderUpdate = defineUpdate<CancelOrderResult, [CancelOrderRequest]>('cancelOrder');

export interface ChangeShippingAddressRequest {
  address: Address;
  requestedBy: string;
}
export interface ChangeShippingAddressResult {
  status: OrderStatus;
  /** The order moved to other warehouses that serve the new address better. */
  rerouted: boolean;
  /** Where the order is allocated after the change. */
  warehouseIds: string[];
}
/** Change where the order goes; rejected at once once anything has shipped. Re-routes when that serves the new address better. */
export const changeShippingAddressUpdate = defineUpdate<ChangeShippingAddressResult, [ChangeShippingAddressRequest]>('changeShippingAddress');

export interface RetryReservationResult {
  status: OrderStatus;
  /** What the order still waits for after this attempt. */
  unallocated: OrderQuantity[];
}
/** Stock arrived: a backordered order tries its reservation again; the answer comes after the attempt. */
export const retryReservationUpdate = defineUpdate<RetryReservationResult, []>('retryReservation');

/** Stock of the dispatcher's SKU went up (received, adjusted, released): wake its backordered orders. */
export const stockReplenishedSignal = defineSignal<[]>('stockReplenished');

export interface ReturnRequest {
  lines: LineQuantity[];
  reason: string;
  requestedBy: string;
}
export interface ReturnOpened {
  returnId: string;
  status: ReturnStatus;
  receiptDeadline: string;
  orderStatus: OrderStatus;
}
/**
 * The customer sends delivered units of order lines back; rejected at once before delivery, after the return
 * window, for unknown lines, or for units of a line that were not delivered or are already on a return.
 * Starts the return's own workflow.
 */
export const requestReturnUpdate = defineUpdate<ReturnOpened, [ReturnRequest]>('requestReturn');

/** To the order, from its return's workflow: the goods arrived and are back in stock. */
export const returnReceivedSignal = defineSignal<[{ returnId: string; receipt: ReturnReceipt }]>('returnReceived');

export type ReturnReceiptRequest = Omit<ReturnReceipt, 'receivedAt'>;
/** To a return's workflow: the warehouse records what arrived; rejected at once when it does not fit the return or came before. */
export const returnReceiptUpdate = defineUpdate<{ returnId: string; status: ReturnStatus }, [ReturnReceiptRequest]>('recordReturnReceipt');
