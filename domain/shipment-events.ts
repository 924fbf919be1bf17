/** How shipment events move a shipment along, and what the shipments say about the order's status. */
import type { OrderStatus, Shipment, ShipmentStatus } from './order.js';

export const SHIPMENT_EVENT_TYPES = ['shipped', 'delivered'] as const;
export type ShipmentEventType = (typeof SHIPMENT_EVENT_TYPES)[number];

const NEXT_STATUS: Record<ShipmentEventType, { from: ShipmentStatus; to: ShipmentStatus }> = {
  shipped: { from: 'pending', to: 'shipped' },
  delivered: { from: 'shipped', to: 'delivered' },
};

/** The shipment's next status, or why the event cannot apply (delivered before shipped, anything after delivered). */
export function nextShipmentStatus(
  current: ShipmentStatus,
  event: ShipmentEventType,
): { ok: true; status: ShipmentStatus } | { ok: false; reason: string } {
  const step = NEXT_STATUS[event];
  if (current === step.from) return { ok: true, status: step.to };
  return { ok: false, reason: `a ${current} shipment cannot be marked ${event}` };
}

/** The status a shipment is in when the event applies to it. */
export function statusBeforeEvent(event: ShipmentEventType): ShipmentStatus {
  return NEXT_STATUS[event].from;
}

/** A shipment that has left the warehouse (its stock and its payment are committed). */
export function hasLeftWarehouse(shipment: Pick<Shipment, 'status'>): boolean {
  return shipment.status === 'shipped' || shipment.status === 'delivered';
}

/** The order status that its (non-cancelled) shipments add up to. */
export function orderStatusFromShipments(shipments: readonly Pick<Shipment, 'status'>[]): OrderStatus {
  const live = shipments.filter((s) => s.status !== 'cancelled');
  if (live.length === 0) return 'allocated';
  if (live.every((s) => s.status === 'delivered')) return 'delivered';
  if (live.every(hasLeftWarehouse)) return 'shipped';
  if (live.some(hasLeftWarehouse)) return 'partially_shipped';
  return 'allocated';
}

/**
 * The order status while it is being fulfilled: what its shipments add up to, except that an order still
 * waiting for stock is `backordered` until something ships, and never more than `partially_shipped`.
 */
export function fulfillmentStatus(shipments: readonly Pick<Shipment, 'status'>[], unallocated: readonly unknown[]): OrderStatus {
  const fromShipments = orderStatusFromShipments(shipments);
  if (unallocated.length === 0) return fromShipments;
  return fromShipments === 'allocated' ? 'backordered' : 'partially_shipped';
}
