/** What the customer is told at each step, rendered from the order alone so a retry renders the same text. */
import { formatMoney, type Money } from './money.js';

export const NOTIFICATION_EVENTS = [
  'order_confirmed',
  'order_backordered',
  'payment_declined',
  'order_failed',
  'order_cancelled',
  'lines_cancelled',
  'shipping_address_changed',
  'review_rejected',
  'shipment_shipped',
  'shipment_delivered',
  'order_refunded',
  'return_expired',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface NotificationRequest {
  orderId: string;
  event: NotificationEvent;
  /** Distinguishes repeated events of one order, e.g. one "shipped" per shipment. */
  subjectId?: string;
  recipient: { email: string; name?: string };
  externalId: string;
  total: Money;
  detail?: string;
  trackingNumber?: string;
  carrier?: string;
  /** What a refund paid back. */
  refund?: Money;
}

/** The email for the event; `trackingUrl`, where the customer follows the order, closes every one. */
export function renderNotification(request: NotificationRequest, trackingUrl?: string): { subject: string; body: string } {
  const greeting = `Hello${request.recipient.name ? ` ${request.recipient.name}` : ''},`;
  const ref = `order ${request.externalId}`;
  const follow = trackingUrl ? ['', `Follow your order: ${trackingUrl}`] : [];
  const lines = (...parts: Array<string | undefined>) => [greeting, '', ...parts.filter(Boolean), ...follow].join('\n');
  switch (request.event) {
    case 'order_confirmed':
      return { subject: `We have your ${ref}`, body: lines(`Your ${ref} for ${formatMoney(request.total)} is confirmed and being prepared.`) };
    case 'order_backordered':
      return {
        subject: `Part of your ${ref} is on backorder`,
        body: lines(`Some items of your ${ref} are not in stock yet${request.detail ? ` (${request.detail})` : ''}. We will ship them as soon as they arrive.`),
      };
    case 'payment_declined':
      return {
        subject: `Payment declined for ${ref}`,
        body: lines(`Your payment for ${ref} was declined${request.detail ? ` (${request.detail})` : ''}. Nothing was charged.`),
      };
    case 'order_failed':
      return {
        subject: `We could not fulfil ${ref}`,
        body: lines(`We could not fulfil ${ref}${request.detail ? `: ${request.detail}` : ''}. Your payment authorization was released.`),
      };
    case 'order_cancelled':
      return {
        subject: `Your ${ref} was cancelled`,
        body: lines(`Your ${ref} was cancelled${request.detail ? `: ${request.detail}` : ''}. Your payment authorization was released.`),
      };
    case 'shipping_address_changed':
      return {
        subject: `New shipping address for your ${ref}`,
        body: lines(`Your ${ref} will now go to: ${request.detail ?? 'the new address'}.`, 'If you did not ask for this change, please contact us.'),
      };
    case 'lines_cancelled':
      return {
        subject: `Part of your ${ref} was cancelled`,
        body: lines(
          `As requested, we cancelled part of your ${ref}${request.detail ? ` (${request.detail})` : ''}.`,
          'That amount was released on your card and will not be charged. The rest of your order goes ahead.',
        ),
      };
    case 'review_rejected':
      return {
        subject: `We could not accept your ${ref}`,
        body: lines(`After review we could not accept your ${ref}. Your payment authorization was released and nothing was charged.`),
      };
    case 'shipment_shipped':
      return {
        subject: `A parcel of your ${ref} is on its way`,
        body: lines(`A parcel of your ${ref} is on its way with ${request.carrier}, tracking number ${request.trackingNumber}.`),
      };
    case 'shipment_delivered':
      return { subject: `Delivered: ${ref}`, body: lines(`Your parcel with tracking number ${request.trackingNumber} was delivered.`) };
    case 'order_refunded':
      return {
        subject: `Refund of ${formatMoney(request.refund!)} for your ${ref}`,
        body: lines(
          `We received your return${request.detail ? ` (${request.detail})` : ''} and refunded ${formatMoney(request.refund!)} to the card you paid with.`,
          'Depending on your bank, it can take a few days to show on your statement.',
        ),
      };
    case 'return_expired':
      return {
        subject: `Your return for ${ref} was closed`,
        body: lines(
          `We did not receive your return${request.detail ? ` (${request.detail})` : ''} by the deadline, so it was closed and nothing was refunded.`,
          "If you have sent it, please contact us with the parcel's tracking number.",
        ),
      };
  }
}

/** The message to operations when a SKU's availability falls to its low-stock threshold. */
export function renderLowStockAlert(alert: { sku: string; available: number; threshold: number }): { subject: string; body: string } {
  return {
    subject: `Low stock: ${alert.sku}`,
    body: `${alert.sku} has ${alert.available} units available to promise across all warehouses (threshold ${alert.threshold}).`,
  };
}
