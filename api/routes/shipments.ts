/** /v1/shipments: warehouses report shipment events (api/actions/shipments.ts). */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { MAY } from '../actions/permissions.js';
import { reportShipmentEvent } from '../actions/shipments.js';
import { principalOf, requireRole } from '../auth.js';
import { ShipmentId } from '../schemas/common.js';
import { ShipmentEventRequest } from '../schemas/orders.js';
import { parseWith } from '../validation.js';

export function shipmentsRouter(temporal: Client): Router {
  const router = Router();

  router.post('/v1/shipments/:shipmentId/events', requireRole(...MAY.reportShipmentEvent), async (req, res) => {
    const shipmentId = parseWith(ShipmentId, req.params.shipmentId, 'path');
    const event = parseWith(ShipmentEventRequest, req.body, 'body');
    res.status(202).json(await reportShipmentEvent(temporal, principalOf(req), shipmentId, event));
  });

  return router;
}
