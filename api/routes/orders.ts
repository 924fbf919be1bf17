/** /v1/orders: intake for channels, lookups and lists for support, cancellation. */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { FINAL_ORDER_STATUSES, type OrderState } from '../../domain/order.js';
import { Address, CancelOrderRequest, CreateOrderRequest, OrderId, OrderListQuery, ReviewOrderRequest } from '../../domain/schemas.js';
import { OrderModel } from '../../persistence/models.js';
import { cancelOrderUpdate, changeShippingAddressUpdate, reviewOrderUpdate } from '../../workflows/messages.js';
import { principalOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { loadOrder, toOrderView } from '../order-access.js';
import { submitOrder, type IntakeSettings } from '../order-intake.js';
import { problems } from '../problem.js';
import { parseWith } from '../validation.js';
import { updateOrder } from '../workflow-updates.js';

export function ordersRouter(temporal: Client, intake: IntakeSettings): Router {
  const router = Router();

  router.post('/v1/orders', requireRole('channel'), async (req, res) => {
    const body = parseWith(CreateOrderRequest, req.body, 'body');
    const result = await submitOrder(temporal, intake, principalOf(req).channel!, body);
    res.status(result.created ? 202 : 200).json({ orderId: result.orderId, status: result.status });
  });

  router.get('/v1/orders', requireRole('channel', 'support', 'admin'), async (req, res) => {
    const query = parseWith(OrderListQuery, req.query, 'query');
    const principal = principalOf(req);
    if (principal.role === 'channel' && query.channel && query.channel !== principal.channel) {
      throw problems.forbidden('A channel can list only its own orders.');
    }
    const filter: Record<string, unknown> = {};
    const channel = principal.role === 'channel' ? principal.channel : query.channel;
    if (channel) filter.channel = channel;
    if (query.status) filter.status = query.status;
    if (query.customerId) filter['customer.id'] = query.customerId;
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      filter.$or = [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }];
    }
    const docs = await OrderModel.find(filter).sort({ createdAt: -1, _id: -1 }).limit(query.limit + 1).lean();
    const page = docs.slice(0, query.limit) as unknown as Array<OrderState & { _id: string }>;
    const last = page[page.length - 1];
    res.json({
      items: page.map((doc) => toOrderView({ ...doc, orderId: doc._id })),
      nextCursor: docs.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last._id }) : null,
    });
  });

  router.get('/v1/orders/:orderId', requireRole('channel', 'support', 'admin'), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    res.json(toOrderView(await loadOrder(temporal, principalOf(req), orderId)));
  });

  router.post('/v1/orders/:orderId/cancel', requireRole('channel', 'support'), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const { reason, lines } = parseWith(CancelOrderRequest, req.body, 'body');
    const principal = principalOf(req);
    const order = await loadOrder(temporal, principal, orderId);
    if (FINAL_ORDER_STATUSES.includes(order.status)) {
      const reason = ['delivered', 'partially_returned', 'returned'].includes(order.status)
        ? `it has been delivered (${order.status}); open a return instead`
        : `it has already ended (${order.status})`;
      throw problems.conflict(`Order ${orderId} can no longer be cancelled: ${reason}.`);
    }
    const outcome = await updateOrder(temporal, orderId, cancelOrderUpdate, [{ reason, lines, requestedBy: principal.label }], 10_000);
    if (!outcome.accepted) {
      throw problems.conflict(`${lines ? 'These units of order' : 'Order'} ${orderId} cannot be cancelled: ${outcome.reason}.`);
    }
    res.status(202).json({ orderId, status: outcome.result?.status ?? order.status });
  });

  router.patch('/v1/orders/:orderId/shipping-address', requireRole('channel', 'support'), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const address = parseWith(Address, req.body, 'body');
    const principal = principalOf(req);
    const order = await loadOrder(temporal, principal, orderId);
    const outcome = await updateOrder(temporal, orderId, changeShippingAddressUpdate, [{ address, requestedBy: principal.label }], 10_000);
    if (!outcome.accepted) throw problems.conflict(`The shipping address of order ${orderId} can no longer change: ${outcome.reason}.`);
    res.status(202).json({
      orderId,
      status: outcome.result?.status ?? order.status,
      rerouted: outcome.result?.rerouted ?? false,
      warehouseIds: outcome.result?.warehouseIds ?? [...new Set(order.allocations.map((a) => a.warehouseId))],
    });
  });

  router.post('/v1/orders/:orderId/review', requireRole('support', 'admin'), async (req, res) => {
    const orderId = parseWith(OrderId, req.params.orderId, 'path');
    const { decision, note } = parseWith(ReviewOrderRequest, req.body, 'body');
    const principal = principalOf(req);
    const order = await loadOrder(temporal, principal, orderId);
    const outcome = await updateOrder(temporal, orderId, reviewOrderUpdate, [{ decision, note, reviewer: principal.label }], 10_000);
    if (!outcome.accepted) throw problems.conflict(`Order ${orderId} cannot be reviewed: ${outcome.reason}.`);
    res.status(202).json({ orderId, status: outcome.result?.status ?? order.status });
  });

  return router;
}
