/**
 * Typed search attributes the order workflow sets, so engineers can filter orders in the Temporal UI
 * (`OrderId = "ord_..."`, `OrderStatus = "backordered"`). The dev server registers them at start.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { OrderStatus } from '../domain/order.js';

export const OrderIdKey = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const ChannelKey = defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
/** Allocated but not shipped within the shipping SLA. */
export const LateKey = defineSearchAttributeKey('Late', SearchAttributeType.BOOL);

export const ORDER_SEARCH_ATTRIBUTES = [OrderIdKey, ChannelKey, CustomerIdKey, OrderStatusKey, LateKey] as const;

/** Each attribute with its type as Temporal's CLI and operators name it (`OrderId` Keyword, `Late` Bool). */
export const ORDER_SEARCH_ATTRIBUTE_TYPES: ReadonlyArray<{ name: string; type: 'Keyword' | 'Bool' }> = ORDER_SEARCH_ATTRIBUTES.map((key) => ({
  name: key.name,
  type: key.type === SearchAttributeType.BOOL ? 'Bool' : 'Keyword',
}));

/** `NAME=Type` pairs for `temporal server start-dev --search-attribute`. */
export const searchAttributeRegistrations: readonly string[] = ORDER_SEARCH_ATTRIBUTE_TYPES.map(({ name, type }) => `${name}=${type}`);

/** The search attributes of an order, set when its workflow starts and kept current by the workflow. */
export function orderSearchAttributes(order: {
  orderId: string;
  channel: string;
  customer: { id: string };
  status: OrderStatus;
  lateSince?: string;
}): SearchAttributePair[] {
  return [
    { key: OrderIdKey, value: order.orderId },
    { key: ChannelKey, value: order.channel },
    { key: CustomerIdKey, value: order.customer.id },
    { key: OrderStatusKey, value: order.status },
    { key: LateKey, value: order.lateSince !== undefined },
  ];
}

/** The search attributes of a return's workflow: its order's, so `OrderId = "ord_..."` finds the order and its returns. */
export function returnSearchAttributes(order: { orderId: string; channel: string; customer: { id: string } }): SearchAttributePair[] {
  return [
    { key: OrderIdKey, value: order.orderId },
    { key: ChannelKey, value: order.channel },
    { key: CustomerIdKey, value: order.customer.id },
  ];
}
