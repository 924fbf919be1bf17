/**
 * Typed search attributes the order workflow sets, so engineers can filter orders in the Temporal UI
 * (`OrderId = "ord_..."`, `OrderStatus = "backordered"`). The dev server registers them at start.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrderIdKey = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const ChannelKey = defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);

/** `NAME=Type` pairs for `temporal server start-dev --search-attribute`. */
export const searchAttributeRegistrations: readonly string[] = [OrderIdKey, ChannelKey, CustomerIdKey, OrderStatusKey].map(
  (key) => `${key.name}=Keyword`,
);
