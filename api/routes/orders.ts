/** /v1/orders: intake for channels, lookups and lists, and changes to a running order (api/actions/). */
import { Router, type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import { submitOrder, type IntakeSettings } from '../actions/intake.js';
import { cancelOrder, changeShippingAddress, reviewOrder } from '../actions/order-changes.js';
import { listOrdersFor, loadOrder } from '../actions/orders.js';
import { MAY } from '../actions/permissions.js';
import { principalOf, requireRole } from '../auth.js';
import type { ApiMetrics } from '../metrics.js';
import { Address, OrderId } from '../schemas/common.js';
import { toOrderView } from '../schemas/order-view.js';
import { CancelOrderRequest, CreateOrderRequest, OrderListQuery, ReviewOrderRequest } from '../schemas/orders.js';
import { parseWith } from '../validation.js';

/** `admit` refuses intake and changes while the engine is behind (api/admission.ts). */
export function ordersRouter(temporal: Client, intake: IntakeSettings, metrics: Pick<ApiMetrics, 'ordersAccepted'>, admit: RequestHandler): Router {
  const router = Router();

  router.post('/v1/orders', requireRole(...MAY.submitOrder), admit, async (req, res) => {
    const body = parseWith(CreateOrderRequest, req.body, 'body');
    const caller = principalOf(req);
    const result = await submitOrder(temporal, intake, caller, body, { requestId: String(req.id), log: req.log });
    if (result.created) metrics.ordersAccepted.inc({ channel: caller.channel });
    res.status(result.created ? 202 : 200).json({ orderId: result.orderId, status: result.status });
  });

  router.get('/v1/orders', requireRole(...MAY.readOrders), async (req, res) => {
    const query = parseWith(OrderListQuery, req.query, 'query');
    const { orders, nextCursor } = await listOrdersFor(principalOf(req), query);
    res.json({ items: orders.map(toOrderView), nextCursor });
  });

  router.get('/v1/orders/:orderId', requireRole(...MAY.readOrders), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    res.json(toOrderView(await loadOrder(temporal, principalOf(req), orderId)));
  });

  router.post('/v1/orders/:orderId/cancel', requireRole(...MAY.cancelOrder), admit, async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const body = parseWith(CancelOrderRequest, req.body, 'body');
    res.status(202).json(await cancelOrder(temporal, principalOf(req), orderId, body));
  });

  router.patch('/v1/orders/:orderId/shipping-address', requireRole(...MAY.changeShippingAddress), admit, async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const address = parseWith(Address, req.body, 'body');
    res.status(202).json(await changeShippingAddress(temporal, principalOf(req), orderId, address));
  });

  router.post('/v1/orders/:orderId/review', requireRole(...MAY.reviewOrder), admit, async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const body = parseWith(ReviewOrderRequest, req.body, 'body');
    res.status(202).json(await reviewOrder(temporal, principalOf(req), orderId, body));
  });

  return router;
}
