/** Following orders: the query of the event streams (/v1/orders/{orderId}/events, /v1/order-events) and their events. */
import { z } from 'zod';
import { ORDER_STATUSES, SHIPMENT_STATUSES } from '../../domain/order.js';
import { parseChangePosition, type OrderChange as StoredOrderChange } from '../../persistence/order-changes.js';
import { OrderId, ShipmentId, Text, Timestamp, WarehouseId } from './common.js';

export const EventId = z
  .string()
  .max(400)
  .refine((id) => parseChangePosition(id) !== undefined, 'not an event id this API sent')
  .meta({
    id: 'EventId',
    description: 'The `id` of an event this API sent (opaque; ids grow in the order of the changes)',
    example: '2026-12-08T10:15:30.123Z|ord_3f2a9c0d1e4b5a6978c1d2e3|0000000004',
  });

const lastEventId = EventId.optional().meta({
  description: 'Resume after this event: as the `Last-Event-ID` header, which a browser\'s EventSource sends when it reconnects (the header wins when both are sent)',
});

export const OrderEventsQuery = z.strictObject({ lastEventId });

export const AllOrderEventsQuery = z.strictObject({
  channel: Text(1, 64).optional().meta({ description: "Only this channel's orders. A channel key follows its own channel's orders only: naming another is a 403" }),
  lastEventId,
});

/** The header an EventSource sends when it reconnects. */
export const LastEventIdHeader = z.object({ 'Last-Event-ID': EventId.optional() });

export const OrderChange = z
  .object({
    orderId: OrderId,
    channel: z.string(),
    externalId: z.string(),
    revision: z.number().int().meta({ description: "Grows with every change of the order: a change whose revision you have is one you have" }),
    status: z.enum(ORDER_STATUSES),
    updatedAt: Timestamp,
    shipments: z.array(
      z.object({ shipmentId: ShipmentId, warehouseId: WarehouseId, status: z.enum(SHIPMENT_STATUSES), carrier: z.string(), trackingNumber: z.string() }),
    ),
    timeline: z
      .array(z.object({ id: z.string(), at: Timestamp, type: z.string(), message: z.string() }))
      .meta({ description: 'The timeline entries new in this revision (in the first event of an order\'s stream: all of them). Ids are stable: an entry sent again after a retried save has the same id' }),
  })
  .meta({ id: 'OrderChange', description: 'The data of an `order` event: the order as this revision left it' }) satisfies z.ZodType<StoredOrderChange>;

export const StreamReset = z
  .object({ reason: z.string() })
  .meta({ id: 'StreamReset', description: 'The data of a `reset` event: what was missed cannot be sent; read the order (or the list) again' });
