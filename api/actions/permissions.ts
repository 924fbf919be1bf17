/**
 * Who may do what, in the v1 API and the console alike: routes require these roles, the console offers
 * only what the signed-in role may do, and the OpenAPI document words each operation's roles from here.
 * A channel key reaches only its own channel's orders, a warehouse key bound to warehouses only theirs
 * (api/auth.ts, mayHandleWarehouse).
 */
import { ROLES, type Role } from '../auth.js';

export const MAY = {
  submitOrder: ['channel'],
  readOrders: ['channel', 'support', 'admin'],
  cancelOrder: ['channel', 'support'],
  changeShippingAddress: ['channel', 'support'],
  reviewOrder: ['support', 'admin'],
  requestReturn: ['channel', 'support'],
  receiveReturn: ['warehouse'],
  reportShipmentEvent: ['warehouse'],
  manageWarehouses: ['admin'],
  readInventory: ROLES,
  setStock: ['admin', 'warehouse'],
  readStockLedger: ['admin', 'support'],
  setSkuSettings: ['admin'],
  reconcileStock: ['admin'],
  manageWebhooks: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

/** `channel, support`, or `any role`: how documents and messages name a set of roles. */
export function describeRoles(roles: readonly Role[]): string {
  return ROLES.every((role) => roles.includes(role)) ? 'any role' : roles.join(', ');
}
