/** /v1/orders: intake for channels, lookups and lists for support, and changes to a running order. */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { listOrders } from '../../persistence/orders.js';
import { cancelOrder, changeShippingAddress, ORDER_CHANGE_ROLES, reviewOrder } from '../actions/orders.js';
import { principalOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { loadOrder, toOrderView } from '../order-access.js';
import type { ApiMetrics } from '../metrics.js';
import { submitOrder, type IntakeSettings } from '../order-intake.js';
import { problems } from '../problem.js';
import { OrderId } from '../schemas/common.js';
import { CreateOrderRequest, OrderListQuery } from '../schemas/orders.js';
import { changeRequestOf } from '../updates.js';
import { parseWith } from '../validation.js';

export function ordersRouter(temporal: Client, intake: IntakeSettings, metrics: Pick<ApiMetrics, 'ordersAccepted'>): Router {
  const router = Router();

  router.post('/v1/orders', requireRole('channel'), async (req, res) => {
    const body = parseWith(CreateOrderRequest, req.body, 'body');
    const channel = principalOf(req).channel!;
    const result = await submitOrder(temporal, intake, channel, body, { requestId: String(req.id), log: req.log });
    if (result.created) metrics.ordersAccepted.inc({ channel });
    res.status(result.created ? 202 : 200).json({ orderId: result.orderId, status: result.status });
  });

  router.get('/v1/orders', requireRole('channel', 'support', 'admin'), async (req, res) => {
    const query = parseWith(OrderListQuery, req.query, 'query');
    const principal = principalOf(req);
    if (principal.role === 'channel' && query.channel && query.channel !== principal.channel) {
      throw problems.forbidden('A channel can list only its own orders.');
    }
    const channel = principal.role === 'channel' ? principal.channel : query.channel;
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const { items, more } = await listOrders(
      { channel, status: query.status, customerId: query.customerId },
      { after: after && { createdAt: after.createdAt, orderId: after.id }, limit: query.limit },
    );
    const last = items[items.length - 1];
    res.json({
      items: items.map(toOrderView),
      nextCursor: more && last ? encodeCursor({ createdAt: last.createdAt, id: last.orderId }) : null,
    });
  });

  router.get('/v1/orders/:orderId', requireRole('channel', 'support', 'admin'), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    res.json(toOrderView(await loadOrder(temporal, principalOf(req), orderId)));
  });

  router.post('/v1/orders/:orderId/cancel', requireRole(...ORDER_CHANGE_ROLES.cancel), async (req, res) => {
    res.status(202).json(await cancelOrder(temporal, changeRequestOf(req)));
  });

  router.patch('/v1/orders/:orderId/shipping-address', requireRole(...ORDER_CHANGE_ROLES.shippingAddress), async (req, res) => {
    res.status(202).json(await changeShippingAddress(temporal, changeRequestOf(req)));
  });

  router.post('/v1/orders/:orderId/review', requireRole(...ORDER_CHANGE_ROLES.review), async (req, res) => {
    res.status(202).json(await reviewOrder(temporal, changeRequestOf(req)));
  });

  return router;
}
