/**
 * Changing the shipping address (the changeShippingAddress Update), accepted until the first shipment
 * leaves a warehouse. A reserved order may move to warehouses that serve the new address better
 * (allocation.ts, moveToAddress); the customer gets an email naming the new address. This file numbers
 * the changes.
 */
import type { ChangeShippingAddressRequest, ChangeShippingAddressResult } from '../../contracts/messages.js';
import { hasLeftWarehouse } from '../../domain/shipment-events.js';
import { moveToAddress } from './allocation.js';
import { stepState, type OrderRun } from './run.js';

const addressChangeOf = stepState(() => ({
  /** Numbers address changes, so each one's email goes out once. */
  changes: 0,
}));

/** Changes where the order goes, one change at a time. */
export function changeShippingAddress(order: OrderRun, request: ChangeShippingAddressRequest): Promise<ChangeShippingAddressResult> {
  return order.exclusively(() => moveOrder(order, request));
}

async function moveOrder(order: OrderRun, request: ChangeShippingAddressRequest): Promise<ChangeShippingAddressResult> {
  const { state } = order;
  if (!order.isActive()) return { status: state.status, rerouted: false, warehouseIds: [] };
  state.shippingAddress = request.address;
  const rerouted = state.allocations.length > 0 && (await moveToAddress(order, request.address));
  const warehouseIds = [...new Set(state.allocations.map((a) => a.warehouseId))];
  await order.record(
    'shipping_address_changed',
    `Shipping address changed by ${request.requestedBy} to ${request.address.city}, ${request.address.country}` +
      (state.allocations.length === 0 ? '' : rerouted ? `; re-routed to ${warehouseIds.join(', ')}` : `; still served from ${warehouseIds.join(', ')}`),
  );
  const { name, line1, line2, postalCode, city, country } = request.address;
  await order.notify('shipping_address_changed', {
    subjectId: `address-${++addressChangeOf(order).changes}`,
    detail: [name, line1, line2, `${postalCode} ${city}`, country].filter(Boolean).join(', '),
  });
  return { status: state.status, rerouted, warehouseIds };
}

export function validateAddressChange(order: OrderRun): void {
  order.refuseUnlessActive();
  const shipped = order.state.shipments.find(hasLeftWarehouse);
  if (shipped) throw new Error(`shipment ${shipped.shipmentId} has already left the warehouse`);
}
