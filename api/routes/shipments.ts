/** /v1/shipments: warehouses report shipment events, which the order's workflow accepts or rejects at once. */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { shipmentEventUpdate } from '../../contracts/messages.js';
import { nextShipmentStatus } from '../../domain/shipment-events.js';
import { findShipment } from '../../persistence/shipments.js';
import { requireRole } from '../auth.js';
import { problems } from '../problem.js';
import { ShipmentId } from '../schemas/common.js';
import { ShipmentEventRequest } from '../schemas/orders.js';
import { orderTarget, sendUpdate } from '../updates.js';
import { parseWith } from '../validation.js';

export function shipmentsRouter(temporal: Client): Router {
  const router = Router();

  router.post('/v1/shipments/:shipmentId/events', requireRole('warehouse'), async (req, res) => {
    const shipmentId = parseWith(ShipmentId, req.params.shipmentId, 'path');
    const event = parseWith(ShipmentEventRequest, req.body, 'body');
    const record = await findShipment(shipmentId);
    if (!record) throw problems.notFound(`Shipment ${shipmentId} was not found.`);
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
    res.status(202).json({ shipmentId, orderId, shipmentStatus: event.type });
  });

  return router;
}
