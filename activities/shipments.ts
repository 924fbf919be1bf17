/** Shipment activities: booking with the carrier, recording warehouse events, shipping stock out of the ledger. */
import { orderKeys } from '../contracts/keys.js';
import type { Shipment, ShipmentLine } from '../domain/order.js';
import type { Address } from '../domain/customer.js';
import type { ShipmentEventType } from '../domain/shipment-events.js';
import * as shipments from '../persistence/shipments.js';
import { appendMovement } from '../persistence/stock-ledger.js';
import { findWarehouse } from '../persistence/warehouses.js';
import type { Carrier } from '../services/carrier.js';

export function shipmentActivities(carrier: Carrier) {
  return {
    /** Creates (once) the shipment of an order's lines from one warehouse, booked with the carrier. */
    async createShipment(input: {
      orderId: string;
      shipmentId: string;
      /** Business key of this shipment, unique per order round and warehouse. */
      shipmentKey: string;
      warehouseId: string;
      lines: ShipmentLine[];
      shippingAddress: Address;
    }): Promise<Shipment> {
      // A retry carries the same shipment id as the attempt that may have booked it.
      const existing = await shipments.findShipment(input.shipmentId);
      if (existing) return existing.shipment;
      const warehouse = await findWarehouse(input.warehouseId);
      const booking = await carrier.book({
        shipmentKey: input.shipmentKey,
        fromCountry: warehouse?.country ?? input.shippingAddress.country,
        toCountry: input.shippingAddress.country,
      });
      return shipments.insertShipmentOnce(input.shipmentKey, {
        shipmentId: input.shipmentId,
        orderId: input.orderId,
        warehouseId: input.warehouseId,
        status: 'pending',
        carrier: booking.carrier,
        trackingNumber: booking.trackingNumber,
        lines: input.lines,
      });
    },

    /**
     * Records a warehouse event on the shipment, once. On `shipped`, its stock leaves the ledger (onHand and
     * reserved both drop), once per shipment line: also on a retry that finds the event recorded, in case
     * the attempt that recorded it stopped before the ledger.
     */
    async recordShipmentEvent(input: {
      orderId: string;
      shipmentId: string;
      type: ShipmentEventType;
      trackingNumber?: string;
      occurredAt: string;
    }): Promise<void> {
      // Only the order's workflow writes its shipments, one event at a time, so this conditional write is safe.
      const record = (await shipments.applyShipmentEvent(input.shipmentId, input)) ?? (await shipments.findShipment(input.shipmentId));
      if (!record) throw new Error(`shipment ${input.shipmentId} not found`);
      const { shipment } = record;
      if (input.type === 'shipped') {
        for (const line of shipment.lines) {
          await appendMovement({
            sku: line.sku,
            warehouseId: shipment.warehouseId,
            kind: 'ship',
            key: orderKeys(input.orderId).shippedStock(input.shipmentId, line.sku),
            orderId: input.orderId,
            actor: 'order-workflow',
            decide: () => ({ ok: true, change: { onHandDelta: -line.quantity, reservedDelta: -line.quantity } }),
          });
        }
      }
    },

    /** Reduces a shipment that has not left the warehouse to `lines` (cancelled lines); with none left, cancels it. */
    async amendPendingShipment(input: { orderId: string; shipmentId: string; lines: ShipmentLine[] }): Promise<void> {
      await shipments.amendPendingShipment(input.orderId, input.shipmentId, input.lines);
    },

    /** Marks the order's shipments that have not left the warehouse as cancelled. */
    async cancelPendingShipments(input: { orderId: string }): Promise<void> {
      await shipments.cancelPendingShipments(input.orderId);
    },
  };
}
