/**
 * The order as the whole system sees it: statuses, lines, allocations, shipments, timeline.
 * Plain data only, so the workflow, the activities and the API can all share it.
 */
import type { Address, Customer } from './customer.js';
import type { Money } from './money.js';
import type { Allocation, LineQuantity, OrderQuantity } from './quantities.js';

export const ORDER_STATUSES = [
  'received',
  'awaiting_review',
  'payment_declined',
  'backordered',
  'allocated',
  'partially_shipped',
  'shipped',
  'delivered',
  'partially_returned',
  'returned',
  'cancelled',
  'failed',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Statuses in which the order's fulfilment is over: no shipment event, cancellation, change or reservation
 * applies any more. The workflow of a delivered order stays open for its return window, in which only
 * returns change it (`partially_returned`, `returned`); every other final status ends the workflow.
 */
export const FINAL_ORDER_STATUSES: readonly OrderStatus[] = ['payment_declined', 'delivered', 'partially_returned', 'returned', 'cancelled', 'failed'];

export const SHIPMENT_STATUSES = ['pending', 'shipped', 'delivered', 'cancelled'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export const PAYMENT_STATUSES = [
  'pending',
  'authorized',
  'partially_captured',
  'captured',
  'voided',
  'partially_refunded',
  'refunded',
  'declined',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface OrderLine {
  lineId: string;
  sku: string;
  quantity: number;
  /** Minor units of the order currency. */
  unitPrice: number;
  /** Units of this line cancelled while the order ran; they are neither shipped nor charged. */
  cancelledQuantity?: number;
}

/** What a channel submitted, as the workflow receives it. */
export interface OrderInput {
  orderId: string;
  externalId: string;
  channel: string;
  customer: Customer;
  shippingAddress: Address;
  lines: OrderLine[];
  total: Money;
  paymentToken: string;
  policy: FulfillmentPolicy;
  /** Hash of the channel's request, to tell a retried request from a conflicting one. */
  requestHash: string;
  receivedAt: string;
}

/** Units of one order line on a return; the SKU too, for reading and for matching the warehouse's receipt. */
export interface ReturnLine extends LineQuantity {
  sku: string;
}

/** How an order may be fulfilled; set at intake from the channel's request and the configuration. */
export interface FulfillmentPolicy {
  /** Ship what is available now and backorder the rest, instead of waiting to ship complete. */
  allowPartialShipment: boolean;
  /** How long a backordered order waits for stock before it is cancelled (ms). */
  backorderTimeoutMs: number;
  /** Orders whose total is above this (minor units) are held for review before stock is reserved. */
  reviewAboveAmount: number;
  /** How long a held order waits for a review decision before it is rejected (ms). */
  reviewTimeoutMs: number;
  /** How long after allocation the first shipment should ship before the order is marked late (ms). */
  shipWithinMs: number;
  /** How long after delivery the customer may open a return; 0 accepts no returns (ms). */
  returnWindowMs: number;
  /** How long an opened return waits for its goods to arrive before it expires (ms). */
  returnReceiptTimeoutMs: number;
  /** How long a payment authorization is trusted; a capture due later re-authorizes first (ms). */
  authorizationValidityMs: number;
}

/** The policy settings that come from configuration rather than from the channel's request. */
export type OrderPolicySettings = Omit<FulfillmentPolicy, 'allowPartialShipment'>;

export interface ReviewHold {
  reason: string;
  /** When the order is rejected if nobody decided (ISO 8601). */
  deadline: string;
  decision?: 'approve' | 'reject';
  note?: string;
  reviewer?: string;
}

export interface ShipmentLine {
  sku: string;
  quantity: number;
}

export interface Shipment {
  shipmentId: string;
  warehouseId: string;
  status: ShipmentStatus;
  carrier: string;
  trackingNumber: string;
  lines: ShipmentLine[];
}

export interface PaymentSummary {
  status: PaymentStatus;
  /** Minor units. */
  authorized: number;
  captured: number;
  refunded: number;
  /** Released back to the customer's card without charging: cancelled lines, a cancelled rest. */
  voided: number;
  /** The authorization captures go against: the latest, after any re-authorization. */
  authorizationId?: string;
  authorizedAt?: string;
  /** How often the authorization was renewed because it grew older than the policy trusts. */
  reauthorizations: number;
}

export interface TimelineEntry {
  /** `<orderId>-<n>` for the order's n-th entry; the event id its channel's webhook receives. */
  id: string;
  at: string;
  type: string;
  message: string;
  /** Set once the channel's webhook accepted this entry as an event. */
  webhook?: { deliveredAt: string; attempts: number };
}

export const RETURN_STATUSES = ['requested', 'received', 'refunded', 'refund_failed', 'expired', 'failed'] as const;
/**
 * `requested`: waiting for the goods; `received`: the warehouse recorded what arrived and it is back in
 * stock; then `refunded`, or `refund_failed` (support settles it by hand). `expired`: nothing arrived by the
 * receipt deadline, so nothing is restocked or refunded. `failed`: its workflow ended unexpectedly.
 */
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

/** What the warehouse recorded when a return arrived. */
export interface ReturnReceipt {
  warehouseId: string;
  /** Per SKU: a warehouse sees SKUs, not order lines. */
  lines: OrderQuantity[];
  receivedAt: string;
  recordedBy: string;
}

/** A return of delivered units, run by its own child workflow (`return-<returnId>`). */
export interface OrderReturn {
  /** `<orderId>-<n>` for the order's n-th return. */
  returnId: string;
  /** What the customer said they send back, per order line. */
  lines: ReturnLine[];
  reason: string;
  requestedBy: string;
  status: ReturnStatus;
  requestedAt: string;
  /** When the return expires if nothing has arrived (ISO 8601). */
  receiptDeadline: string;
  receipt?: ReturnReceipt;
  /** Minor units refunded, once settled. */
  amount?: number;
  /** When it was refunded, expired or failed. */
  settledAt?: string;
  /** Why the refund or the return failed. */
  detail?: string;
}

/** The order's live state: what the workflow answers to a query and writes to the order read model. */
export interface OrderState {
  orderId: string;
  externalId: string;
  channel: string;
  status: OrderStatus;
  customer: Customer;
  shippingAddress: Address;
  lines: OrderLine[];
  total: Money;
  payment: PaymentSummary;
  /** Set when the payment provider asks for a manual review. */
  flaggedForReview: boolean;
  /** Present once the order was held for review. */
  review?: ReviewHold;
  /** When the order was marked late: allocated, but nothing shipped within the shipping SLA. */
  lateSince?: string;
  allocations: Allocation[];
  /** What could not be reserved yet: the order is backordered on these. */
  unallocated: OrderQuantity[];
  /** The SKUs of `unallocated`, for finding the orders that wait on a SKU. */
  waitingSkus: string[];
  /** When a backordered order gives up waiting (ISO 8601). */
  backorderDeadline?: string;
  policy: FulfillmentPolicy;
  shipments: Shipment[];
  /** Until when returns are accepted: set at delivery when the policy has a return window. */
  returnsAcceptedUntil?: string;
  returns: OrderReturn[];
  timeline: TimelineEntry[];
  requestHash: string;
  createdAt: string;
  updatedAt: string;
  /** Grows with every change, so the read model never goes back to an older state. */
  revision: number;
}

/** The state of an order as it is received: nothing authorized, reserved or shipped yet, revision 0. */
export function receivedOrder(input: OrderInput): OrderState {
  return {
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
}

/** Statuses in which an order waits for a person: a review decision, stock, or a look at what failed. */
export const NEEDS_A_PERSON_STATUSES: readonly OrderStatus[] = ['awaiting_review', 'backordered', 'failed'];

/** Whether support should look at the order: it waits for a person, or it is late to ship and not over yet. */
export function needsAPerson(order: { status: OrderStatus; lateSince?: string }): boolean {
  return NEEDS_A_PERSON_STATUSES.includes(order.status) || (Boolean(order.lateSince) && !FINAL_ORDER_STATUSES.includes(order.status));
}

/** The units of a line still wanted: ordered minus cancelled. */
export function activeQuantity(line: OrderLine): number {
  return line.quantity - (line.cancelledQuantity ?? 0);
}
