/**
 * The order as the whole system sees it: statuses, lines, allocations, shipments, timeline.
 * Plain data only, so the workflow, the activities and the API can all share it.
 */
import type { Money } from './money.js';

export const ORDER_STATUSES = [
  'received',
  'awaiting_review',
  'payment_declined',
  'backordered',
  'allocated',
  'partially_shipped',
  'shipped',
  'delivered',
  'cancelled',
  'failed',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses after which the order's workflow has ended and nothing more can happen to it. */
export const FINAL_ORDER_STATUSES: readonly OrderStatus[] = ['payment_declined', 'delivered', 'cancelled', 'failed'];

export const SHIPMENT_STATUSES = ['pending', 'shipped', 'delivered', 'cancelled'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export const PAYMENT_STATUSES = [
  'pending',
  'authorized',
  'partially_captured',
  'captured',
  'voided',
  'refunded',
  'declined',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface GeoPoint {
  lat: number;
  lng: number;
}

export interface Customer {
  id: string;
  email: string;
  name?: string;
}

export interface Address {
  name?: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  location?: GeoPoint;
}

export interface OrderLine {
  lineId: string;
  sku: string;
  quantity: number;
  /** Minor units of the order currency. */
  unitPrice: number;
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

export interface Allocation {
  sku: string;
  warehouseId: string;
  quantity: number;
}

export interface OrderQuantity {
  sku: string;
  quantity: number;
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
}

export interface TimelineEntry {
  at: string;
  type: string;
  message: string;
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
  timeline: TimelineEntry[];
  requestHash: string;
  createdAt: string;
  updatedAt: string;
  /** Grows with every change, so the read model never goes back to an older state. */
  revision: number;
}

/** `2 x TSHIRT, 1 x MUG`: quantities as timelines, summaries and emails show them. */
export function describeQuantities(quantities: readonly OrderQuantity[]): string {
  return quantities.map((q) => `${q.quantity} x ${q.sku}`).join(', ');
}

export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

export function restockWorkflowId(sku: string): string {
  return `restock-${sku}`;
}
