/**
 * Changes to a running order that people ask for: cancel it or some units, change its shipping address,
 * decide its review hold. The v1 API (api/routes/orders.ts) and the console (api/console/order-routes.ts)
 * both call these, so both check and word everything the same way.
 */
import type { Client } from '@temporalio/client';
import { cancelOrderUpdate, changeShippingAddressUpdate, reviewOrderUpdate } from '../../contracts/messages.js';
import type { Address } from '../../domain/customer.js';
import { FINAL_ORDER_STATUSES } from '../../domain/order.js';
import type { Principal } from '../auth.js';
import { problems } from '../problem.js';
import type { CancelOrderRequest, ReviewOrderRequest } from '../schemas/orders.js';
import { changeOrder } from './updates.js';

export async function cancelOrder(temporal: Client, caller: Principal, orderId: string, { reason, lines }: CancelOrderRequest) {
  const { order, result } = await changeOrder(temporal, caller, orderId, {
    update: cancelOrderUpdate,
    arg: { reason, lines, requestedBy: caller.label },
    check: (order) => {
      if (!FINAL_ORDER_STATUSES.includes(order.status)) return;
      const why = ['delivered', 'partially_returned', 'returned'].includes(order.status)
        ? `it has been delivered (${order.status}); open a return instead`
        : `it has already ended (${order.status})`;
      throw problems.conflict(`Order ${order.orderId} can no longer be cancelled: ${why}.`);
    },
    refusal: (why) => `${lines ? 'These units of order' : 'Order'} ${orderId} cannot be cancelled: ${why}.`,
  });
  return { orderId, status: result?.status ?? order.status };
}

export async function changeShippingAddress(temporal: Client, caller: Principal, orderId: string, address: Address) {
  const { order, result } = await changeOrder(temporal, caller, orderId, {
    update: changeShippingAddressUpdate,
    arg: { address, requestedBy: caller.label },
    refusal: (why) => `The shipping address of order ${orderId} can no longer change: ${why}.`,
  });
  return {
    orderId,
    status: result?.status ?? order.status,
    rerouted: result?.rerouted ?? false,
    warehouseIds: result?.warehouseIds ?? [...new Set(order.allocations.map((a) => a.warehouseId))],
  };
}

export async function reviewOrder(temporal: Client, caller: Principal, orderId: string, { decision, note }: ReviewOrderRequest) {
  const { order, result } = await changeOrder(temporal, caller, orderId, {
    update: reviewOrderUpdate,
    arg: { decision, note, reviewer: caller.label },
    refusal: (why) => `Order ${orderId} cannot be reviewed: ${why}.`,
  });
  return { orderId, status: result?.status ?? order.status };
}
