/** /v1/shipments: warehouses report shipment events (api/actions/shipments.ts). */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { reportShipmentEvent, SHIPMENT_EVENT_ROLES } from '../actions/shipments.js';
import { principalOf, requireRole } from '../auth.js';

export function shipmentsRouter(temporal: Client): Router {
  const router = Router();

  router.post('/v1/shipments/:shipmentId/events', requireRole(...SHIPMENT_EVENT_ROLES), async (req, res) => {
    res.status(202).json(await reportShipmentEvent(temporal, principalOf(req), req.params.shipmentId, req.body));
  });

  return router;
}
