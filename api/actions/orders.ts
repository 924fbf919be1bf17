/**
 * Changes to a running order that people ask for: cancel it or some units, change its shipping address,
 * decide its review hold. The v1 API (api/routes/orders.ts) and the console (api/console/router.ts) both call
 * these, so both check and word everything the same way.
 */
import type { Client } from '@temporalio/client';
import { cancelOrderUpdate, changeShippingAddressUpdate, reviewOrderUpdate } from '../../contracts/messages.js';
import { FINAL_ORDER_STATUSES } from '../../domain/order.js';
import type { Role } from '../auth.js';
import { problems } from '../problem.js';
import { Address } from '../schemas/common.js';
import { CancelOrderRequest, ReviewOrderRequest } from '../schemas/orders.js';
import { changeOrder, type ChangeRequest } from '../updates.js';

/** Who may ask for each change, in the API and in the console. */
export const ORDER_CHANGE_ROLES = {
  cancel: ['channel', 'support'],
  shippingAddress: ['channel', 'support'],
  review: ['support', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

export async function cancelOrder(temporal: Client, request: ChangeRequest) {
  const { orderId, order, result } = await changeOrder(temporal, request, {
    body: CancelOrderRequest,
    update: cancelOrderUpdate,
    arg: ({ reason, lines }, principal) => ({ reason, lines, requestedBy: principal.label }),
    check: (order) => {
      if (!FINAL_ORDER_STATUSES.includes(order.status)) return;
      const why = ['delivered', 'partially_returned', 'returned'].includes(order.status)
        ? `it has been delivered (${order.status}); open a return instead`
        : `it has already ended (${order.status})`;
      throw problems.conflict(`Order ${order.orderId} can no longer be cancelled: ${why}.`);
    },
    refusal: (why, { orderId, body }) => `${body.lines ? 'These units of order' : 'Order'} ${orderId} cannot be cancelled: ${why}.`,
  });
  return { orderId, status: result?.status ?? order.status };
}

export async function changeShippingAddress(temporal: Client, request: ChangeRequest) {
  const { orderId, order, result } = await changeOrder(temporal, request, {
    body: Address,
    update: changeShippingAddressUpdate,
    arg: (address, principal) => ({ address, requestedBy: principal.label }),
    refusal: (why, { orderId }) => `The shipping address of order ${orderId} can no longer change: ${why}.`,
  });
  return {
    orderId,
    status: result?.status ?? order.status,
    rerouted: result?.rerouted ?? false,
    warehouseIds: result?.warehouseIds ?? [...new Set(order.allocations.map((a) => a.warehouseId))],
  };
}

export async function reviewOrder(temporal: Client, request: ChangeRequest) {
  const { orderId, order, result } = await changeOrder(temporal, request, {
    body: ReviewOrderRequest,
    update: reviewOrderUpdate,
    arg: ({ decision, note }, principal) => ({ decision, note, reviewer: principal.label }),
    refusal: (why, { orderId }) => `Order ${orderId} cannot be reviewed: ${why}.`,
  });
  return { orderId, status: result?.status ?? order.status };
}
