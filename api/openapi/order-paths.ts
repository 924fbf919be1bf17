/** The paths of orders, their changes and returns, and shipment events (api/routes/orders.ts, returns.ts, shipments.ts). */
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { MAY } from '../actions/permissions.js';
import { Address, OrderId, ReturnId, ShipmentId } from '../schemas/common.js';
import { OrderList, OrderView } from '../schemas/order-view.js';
import {
  CancelOrderRequest,
  CancelOrderResponse,
  ChangeShippingAddressResponse,
  CreateOrderRequest,
  OrderAccepted,
  OrderListQuery,
  ReturnAccepted,
  ReturnReceiptAccepted,
  ReturnReceiptRequest,
  ReturnRequest,
  ReviewOrderRequest,
  ShipmentEventRequest,
  ShipmentEventResponse,
} from '../schemas/orders.js';
import { AllOrderEventsQuery, LastEventIdHeader, OrderEventsQuery } from '../schemas/order-events.js';
import { body, errors, eventStream, json, op, REFUSED_WHILE_BEHIND } from './operations.js';

/** The path parameter of everything under /v1/orders/{orderId}. */
const ofOrder = z.object({ orderId: OrderId });

/** What both event streams send, in words (OpenAPI 3.1 cannot describe the items of a stream). */
const STREAM_EVENTS =
  'Each change is an `order` event: `id:` an event id (opaque, growing in the order of the changes), `data:` an `OrderChange` (components/schemas) on one line. ' +
  'A `retry:` hint comes first, a `: keep-alive` comment every 15 s. To resume, reconnect with `Last-Event-ID` (as an EventSource does by itself) or `?lastEventId=`: ' +
  'the changes after that id come first, as long as they are kept (`ORDER_EVENTS_RETENTION`, default 24 hours); when they are not, a `reset` event (data: `StreamReset`) says so: read again. ' +
  'The stream ends when the API process stops; reconnect (to another one) and resume. A change may come twice (after a retried save): skip a revision you have.';

export const orderPaths: ZodOpenApiPathsObject = {
  '/v1/orders': {
    post: op(MAY.submitOrder, {
      summary: 'Submit an order',
      description: '`(channel, externalId)` is the idempotency key: repeating the request returns the same order with 200.',
      requestBody: body(CreateOrderRequest),
      responses: { '202': json(OrderAccepted, 'Order accepted; its workflow started'), '200': json(OrderAccepted, 'The same request again'), ...errors('409', '422'), ...REFUSED_WHILE_BEHIND },
    }),
    get: op(MAY.readOrders, {
      summary: 'List orders, newest first',
      description: 'A channel lists only its own orders: naming another `channel` is a 403.',
      requestParams: { query: OrderListQuery },
      responses: { '200': json(OrderList, 'A page of orders') },
    }),
  },
  '/v1/orders/{orderId}': {
    get: op(MAY.readOrders, {
      summary: 'Look up an order',
      description: "A channel sees only its own orders: another channel's is a 404.",
      requestParams: { path: ofOrder },
      responses: { '200': json(OrderView, 'The order with its timeline'), ...errors('404') },
    }),
  },
  '/v1/orders/{orderId}/events': {
    get: op(MAY.readOrders, {
      summary: "Follow an order's changes as server-sent events",
      description:
        "A channel follows only its own orders: another channel's is a 404, as for the lookup. The first event is the order as it is now (with all its timeline), " +
        'so subscribing after a lookup misses nothing; then each change, about a quarter of a second after it was saved. After `Last-Event-ID`, the changes after it instead. ' +
        STREAM_EVENTS,
      requestParams: { path: ofOrder, query: OrderEventsQuery, header: LastEventIdHeader },
      responses: { '200': eventStream("The order's changes, until the client or the API ends the stream"), ...errors('404') },
    }),
  },
  '/v1/orders/{orderId}/cancel': {
    post: op(MAY.cancelOrder, {
      summary: 'Cancel an order, or some units of its lines',
      description:
        'Without `lines`, the whole order (409 once anything has shipped). With `lines`, only those units, if they have not shipped: their stock is released and exactly their value voided; the rest of the order goes ahead.',
      requestParams: { path: ofOrder },
      requestBody: body(CancelOrderRequest),
      responses: { '202': json(CancelOrderResponse, 'Cancelled: stock released, authorization voided'), ...errors('404', '409'), ...REFUSED_WHILE_BEHIND },
    }),
  },
  '/v1/orders/{orderId}/shipping-address': {
    patch: op(MAY.changeShippingAddress, {
      summary: 'Change the shipping address',
      description:
        'Allowed until the first shipment leaves the warehouse. Once stock is reserved, the order is routed again for the new address and moves when other warehouses serve it better (the new stock is reserved before the old is released); pending shipments are booked anew.',
      requestParams: { path: ofOrder },
      requestBody: body(Address),
      responses: { '202': json(ChangeShippingAddressResponse, 'Address changed'), ...errors('404', '409'), ...REFUSED_WHILE_BEHIND },
    }),
  },
  '/v1/orders/{orderId}/review': {
    post: op(MAY.reviewOrder, {
      summary: 'Decide on an order held for review',
      description: 'Approve: the order goes on to reserve stock. Reject: authorization voided, customer told.',
      requestParams: { path: ofOrder },
      requestBody: body(ReviewOrderRequest),
      responses: { '202': json(CancelOrderResponse, 'Decision applied'), ...errors('404', '409'), ...REFUSED_WHILE_BEHIND },
    }),
  },
  '/v1/orders/{orderId}/returns': {
    post: op(MAY.requestReturn, {
      summary: 'Open a return of delivered units of order lines',
      description:
        'Names order lines as cancelling lines does (`lines: [{ lineId, quantity }]`). Within the return window after delivery ' +
        '(`RETURN_WINDOW`), for units of a line that were delivered and are not on a return already. The return runs as its own ' +
        "workflow: once the warehouse records what arrived, those units go back into stock, are refunded at their lines' unit prices " +
        'and the customer is emailed. If nothing arrives by `receiptDeadline` (`RETURN_RECEIPT_TIMEOUT`) the return expires. ' +
        '409 with the reason before delivery, after the window, for an unknown line, or for units that cannot be returned.',
      requestParams: { path: ofOrder },
      requestBody: body(ReturnRequest),
      responses: { '202': json(ReturnAccepted, 'Return opened'), ...errors('404', '409'), ...REFUSED_WHILE_BEHIND },
    }),
  },
  '/v1/orders/{orderId}/returns/{returnId}/receipt': {
    post: op(MAY.receiveReturn, {
      summary: 'Record what arrived of a return',
      description:
        'Once per return, per SKU (a warehouse sees SKUs, not order lines), for at most what the return announced of each. The units go ' +
        'back into the stock of `warehouseId` (a `restock` movement per SKU) and are refunded: the units of a SKU count against the ' +
        "return's lines of that SKU in their order, each at its line's unit price. 409 when the return was received before, has " +
        'expired, or the lines do not fit it.',
      requestParams: { path: ofOrder.extend({ returnId: ReturnId }) },
      requestBody: body(ReturnReceiptRequest),
      responses: { '202': json(ReturnReceiptAccepted, 'Receipt recorded'), ...errors('404', '409', '422') },
    }),
  },
  '/v1/order-events': {
    get: op(MAY.readOrders, {
      summary: 'Follow every change of the orders the key may see, as server-sent events',
      description:
        "A channel key follows its own channel's orders (naming another `channel` is a 403); support and admin every channel's, or `channel`'s. " +
        'From the moment of subscribing (and perhaps a moment before), in the order of their ids, about two seconds after they were saved: ' +
        'by then a change saved earlier by another process cannot still appear, so resuming after an id misses nothing and repeats nothing. ' +
        STREAM_EVENTS,
      requestParams: { query: AllOrderEventsQuery, header: LastEventIdHeader },
      responses: { '200': eventStream('The changes, until the client or the API ends the stream') },
    }),
  },
  '/v1/shipments/{shipmentId}/events': {
    post: op(MAY.reportShipmentEvent, {
      summary: 'Report a shipment event',
      description:
        'Answered once the order accepted the event; recording it, capturing the payment (on `shipped`) and emailing the customer follow, and show on the order. An event out of order is a 409.',
      requestParams: { path: z.object({ shipmentId: ShipmentId }) },
      requestBody: body(ShipmentEventRequest),
      responses: { '202': json(ShipmentEventResponse, 'Event accepted'), ...errors('404', '409') },
    }),
  },
};
