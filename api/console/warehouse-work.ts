/**
 * What a warehouse has to do: its shipments still to ship and those on their way, taken from the orders on
 * the lists of the statuses that have open shipments (persistence/order-lists.ts). Those lists hold only
 * orders in flight, so reading them costs the same however many orders have been delivered; a warehouse
 * sees its own among the in-flight orders of all, up to IN_FLIGHT_PER_STATUS of each status.
 */
import type { OrderStatus, Shipment } from '../../domain/order.js';
import { listOrders } from '../../persistence/orders.js';

const OPEN_SHIPMENT_STATUSES: OrderStatus[] = ['allocated', 'partially_shipped', 'shipped', 'backordered'];
const IN_FLIGHT_PER_STATUS = 100;

export interface ShipmentToHandle extends Shipment {
  orderId: string;
  externalId: string;
  orderCreatedAt: string;
  shipToCity: string;
}

export interface WarehouseWork {
  toShip: ShipmentToHandle[];
  onItsWay: ShipmentToHandle[];
}

export async function warehouseWork(warehouseId: string): Promise<WarehouseWork> {
  const work: WarehouseWork = { toShip: [], onItsWay: [] };
  for (const status of OPEN_SHIPMENT_STATUSES) {
    const { items } = await listOrders({ status }, { limit: IN_FLIGHT_PER_STATUS });
    for (const order of items) {
      for (const shipment of order.shipments.filter((s) => s.warehouseId === warehouseId)) {
        const entry = { ...shipment, orderId: order.orderId, externalId: order.externalId, orderCreatedAt: order.createdAt, shipToCity: order.shippingAddress.city };
        if (shipment.status === 'pending') work.toShip.push(entry);
        if (shipment.status === 'shipped') work.onItsWay.push(entry);
      }
    }
  }
  // Oldest first: first in, first out.
  const byAge = (a: ShipmentToHandle, b: ShipmentToHandle) => a.orderCreatedAt.localeCompare(b.orderCreatedAt);
  return { toShip: work.toShip.sort(byAge), onItsWay: work.onItsWay.sort(byAge) };
}
