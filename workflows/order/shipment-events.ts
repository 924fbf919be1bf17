/**
 * Shipment events from the warehouses (the shipmentEvent Update): a shipment moves to shipped or delivered,
 * its stock leaves the ledger when it ships and its value is captured; the order's status follows its
 * shipments, and the customer is told.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { ShipmentEventRequest, ShipmentEventResult } from '../../contracts/messages.js';
import { FailureType } from '../../domain/failures.js';
import type { Shipment } from '../../domain/order.js';
import { fulfillmentStatus, nextShipmentStatus } from '../../domain/shipment-events.js';
import { db, leanerOrderHistory } from '../activity-steps.js';
import { captureShipment } from './payment.js';
import { openReturnWindow } from './returns.js';
import type { OrderRun } from './run.js';

export async function applyShipmentEvent(order: OrderRun, event: ShipmentEventRequest): Promise<ShipmentEventResult> {
  const { state } = order;
  const shipment = state.shipments.find((s) => s.shipmentId === event.shipmentId)!;
  // Applied before any await, so a concurrent duplicate event fails validation instead of applying twice.
  shipment.status = (nextShipmentStatus(shipment.status, event.type) as { status: Shipment['status'] }).status;
  if (event.trackingNumber) shipment.trackingNumber = event.trackingNumber;
  const orderStatus = fulfillmentStatus(state.shipments, state.unallocated);
  // After a line cancellation that is amending this shipment, so the ledger ships what the shipment holds.
  // An activity, not a local one: the warehouse's request is answered once the Update is accepted, and a
  // workflow task that runs a local activity reports the acceptance only when that is done.
  await order.exclusively(async () => {
    await db.recordShipmentEvent({ orderId: state.orderId, ...event });
    order.note(
      `shipment_${event.type}`,
      `Shipment ${shipment.shipmentId} from ${shipment.warehouseId} ${event.type} (${shipment.carrier} ${shipment.trackingNumber})`,
      orderStatus,
    );
    // The return window opens with the delivery, in the same save (unless a cancel got in first).
    if (orderStatus === 'delivered' && !order.cancelRequest && leanerOrderHistory()) openReturnWindow(order);
    await order.saveView();
    if (event.type === 'shipped') await captureShipment(order, shipment);
  });
  await order.notify(event.type === 'shipped' ? 'shipment_shipped' : 'shipment_delivered', { subjectId: shipment.shipmentId, shipment });
  return { shipmentStatus: shipment.status, orderStatus: state.status };
}

export function validateShipmentEvent(order: OrderRun, event: ShipmentEventRequest): void {
  const shipment = order.state.shipments.find((s) => s.shipmentId === event.shipmentId);
  if (!shipment) {
    // Typed, so the API can tell it from a final refusal: a shipment its order booked in a workflow task
    // that was then lost is unknown here until the task's re-run has booked it again (api/actions/shipments.ts).
    throw ApplicationFailure.create({
      type: FailureType.UnknownShipment,
      message: `shipment ${event.shipmentId} does not belong to order ${order.state.orderId}`,
      nonRetryable: true,
    });
  }
  const next = nextShipmentStatus(shipment.status, event.type);
  if (!next.ok) throw new Error(next.reason);
  order.refuseUnlessActive();
}
