/** A warehouse's shipment event, accepted or rejected at once by the order's workflow; for the v1 API and the console. */
import type { Client } from '@temporalio/client';
import { shipmentEventUpdate } from '../../contracts/messages.js';
import { nextShipmentStatus } from '../../domain/shipment-events.js';
import { findShipment } from '../../persistence/shipments.js';
import { mayHandleWarehouse, type Principal } from '../auth.js';
import { problems } from '../problem.js';
import type { ShipmentEventRequest } from '../schemas/orders.js';
import { orderTarget, sendUpdate } from './updates.js';

export async function reportShipmentEvent(temporal: Client, caller: Principal, shipmentId: string, event: ShipmentEventRequest) {
  const record = await findShipment(shipmentId);
  // Another warehouse's shipment is not there for a key bound to its own.
  if (!record || !mayHandleWarehouse(caller, record.shipment.warehouseId)) throw problems.notFound(`Shipment ${shipmentId} was not found.`);
  const { shipment, orderId } = record;
  // Answered once the order's workflow accepted the event: recording it, capturing and emailing follow
  // durably in the workflow, and the order shows them.
  const outcome = await sendUpdate(
    temporal,
    orderTarget(orderId),
    shipmentEventUpdate,
    { shipmentId, type: event.type, trackingNumber: event.trackingNumber, occurredAt: new Date().toISOString() },
    0,
  );
  if (!outcome.accepted) {
    const next = nextShipmentStatus(shipment.status, event.type);
    const why = outcome.ended && !next.ok ? next.reason : outcome.reason;
    throw problems.conflict(`Event "${event.type}" rejected for shipment ${shipmentId}: ${why}.`);
  }
  return { shipmentId, orderId, shipmentStatus: event.type };
}
