/** Shipment activities: booking with the carrier, recording warehouse events, shipping stock out of the ledger. */
import type { Address, Shipment, ShipmentLine } from '../domain/order.js';
import type { ShipmentEventType } from '../domain/shipment-events.js';
import { ShipmentModel, WarehouseModel } from '../persistence/models.js';
import { appendMovement } from '../persistence/stock-ledger.js';
import type { Carrier } from './sandbox-carrier.js';

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
      const key = input.shipmentKey;
      const existing = await ShipmentModel.findOne({ key }).lean();
      if (existing) return toShipment(existing);
      const warehouse = await WarehouseModel.findById(input.warehouseId).lean();
      const booking = await carrier.book({
        shipmentKey: key,
        fromCountry: warehouse?.country ?? input.shippingAddress.country,
        toCountry: input.shippingAddress.country,
      });
      // Upsert on the key: if a retried attempt races a slow first one, both converge on one document.
      await ShipmentModel.updateOne(
        { key },
        {
          $setOnInsert: {
            _id: input.shipmentId,
            key,
            orderId: input.orderId,
            warehouseId: input.warehouseId,
            status: 'pending',
            carrier: booking.carrier,
            trackingNumber: booking.trackingNumber,
            lines: input.lines,
            events: [],
          },
        },
        { upsert: true },
      );
      return toShipment((await ShipmentModel.findOne({ key }).lean())!);
    },

    /**
     * Records a warehouse event on the shipment. On `shipped`, its stock leaves the ledger (onHand and
     * reserved both drop), once per shipment line.
     */
    async recordShipmentEvent(input: {
      orderId: string;
      shipmentId: string;
      type: ShipmentEventType;
      trackingNumber?: string;
      occurredAt: string;
    }): Promise<void> {
      const shipment = await ShipmentModel.findById(input.shipmentId).lean();
      if (!shipment) throw new Error(`shipment ${input.shipmentId} not found`);
      if (input.type === 'shipped') {
        for (const line of shipment.lines) {
          await appendMovement({
            sku: line.sku!,
            warehouseId: shipment.warehouseId,
            kind: 'ship',
            key: `order:${input.orderId}:ship:${input.shipmentId}:${line.sku}`,
            orderId: input.orderId,
            actor: 'order-workflow',
            decide: () => ({ ok: true, change: { onHandDelta: -line.quantity!, reservedDelta: -line.quantity! } }),
          });
        }
      }
      // Only the order's workflow writes its shipments, one event at a time, so this check-then-write is safe.
      if ((shipment.events ?? []).some((e) => e.type === input.type)) return;
      await ShipmentModel.updateOne(
        { _id: input.shipmentId },
        {
          $set: { status: input.type, ...(input.trackingNumber ? { trackingNumber: input.trackingNumber } : {}) },
          $push: { events: { type: input.type, at: new Date(input.occurredAt), trackingNumber: input.trackingNumber } },
        },
      );
    },

    /** Reduces a shipment that has not left the warehouse to `lines` (cancelled lines); with none left, cancels it. */
    async amendPendingShipment(input: { orderId: string; shipmentId: string; lines: ShipmentLine[] }): Promise<void> {
      await ShipmentModel.updateOne(
        { _id: input.shipmentId, orderId: input.orderId, status: 'pending' },
        { $set: input.lines.length > 0 ? { lines: input.lines } : { status: 'cancelled' } },
      );
    },

    /** Marks the order's shipments that have not left the warehouse as cancelled. */
    async cancelPendingShipments(input: { orderId: string }): Promise<void> {
      await ShipmentModel.updateMany({ orderId: input.orderId, status: 'pending' }, { $set: { status: 'cancelled' } });
    },
  };
}

function toShipment(doc: {
  _id: string;
  warehouseId: string;
  status: Shipment['status'];
  carrier: string;
  trackingNumber: string;
  lines: Array<{ sku?: string | null; quantity?: number | null }>;
}): Shipment {
  return {
    shipmentId: doc._id,
    warehouseId: doc.warehouseId,
    status: doc.status,
    carrier: doc.carrier,
    trackingNumber: doc.trackingNumber,
    lines: doc.lines.map((l) => ({ sku: l.sku!, quantity: l.quantity! })),
  };
}
