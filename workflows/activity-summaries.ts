/**
 * A one-line summary for each activity step, shown next to the step in the Temporal UI's event history
 * ("Reserve 2 x TSHIRT at berlin (round 1)" rather than just "reserveStock"). Summaries are written from
 * the step's input, so call sites stay plain `await db.reserveStock(...)`.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.js';
import { formatMoney } from '../domain/money.js';
import { describeQuantities } from '../domain/order.js';

type Summaries = { [Name in keyof OrderActivities]?: (...args: Parameters<OrderActivities[Name]>) => string };

const SUMMARIES: Summaries = {
  authorizePayment: ({ amount, reauthorization }) =>
    `${reauthorization ? `Re-authorize (#${reauthorization})` : 'Authorize'} ${formatMoney(amount)}`,
  capturePayment: ({ amount, shipmentId }) => `Capture ${formatMoney(amount)} for shipment ${shipmentId}`,
  voidAuthorization: ({ amount, purpose }) =>
    `Void ${amount ? formatMoney(amount) : 'the rest'} of the authorization${purpose ? ` (${purpose})` : ''}`,
  loadStock: ({ skus }) => `Read availability of ${skus.join(', ')}`,
  reserveStock: ({ allocations, round }) =>
    `Reserve ${allocations.map((a) => `${a.quantity} x ${a.sku} at ${a.warehouseId}`).join(', ')} (round ${round})`,
  releaseStock: ({ allocations, reason }) =>
    `Release ${allocations ? describeQuantities(allocations) : 'all reserved stock'}: ${reason}`,
  createShipment: ({ warehouseId, lines }) => `Book shipment from ${warehouseId}: ${describeQuantities(lines)}`,
  amendPendingShipment: ({ shipmentId, lines }) =>
    lines.length > 0 ? `Reduce shipment ${shipmentId} to ${describeQuantities(lines)}` : `Cancel shipment ${shipmentId}`,
  recordShipmentEvent: ({ shipmentId, type }) => `Record shipment ${shipmentId} ${type}`,
  cancelPendingShipments: () => 'Cancel the shipments that have not left the warehouse',
  restockReturn: ({ returnId, warehouseId, lines }) => `Restock return ${returnId} at ${warehouseId}: ${describeQuantities(lines)}`,
  refundPayment: ({ returnId, amount }) => `Refund ${formatMoney(amount)} for return ${returnId}`,
  notifyCustomer: ({ event, recipient }) => `Email ${recipient.email}: ${event}`,
  notifyOperations: ({ event }) => `Email operations: ${event}`,
  saveOrderView: (state) => `Save order view (revision ${state.revision}, ${state.status})`,
  deliverOrderEvent: ({ id, type, channel }) => `Send event ${id} (${type}) to the webhook of channel ${channel}`,
};

/** `proxyActivities` whose steps carry their summary into the workflow history. */
export function proxyActivitiesWithSummaries(options: ActivityOptions): OrderActivities {
  const activities = proxyActivities<OrderActivities>(options);
  return new Proxy(activities, {
    get(target, name: string) {
      const activity = target[name as keyof OrderActivities];
      const summarize = SUMMARIES[name as keyof OrderActivities] as ((...args: unknown[]) => string) | undefined;
      if (!summarize) return activity;
      return (...args: unknown[]) =>
        (activity as unknown as { executeWithOptions(o: ActivityOptions, a: unknown[]): Promise<unknown> }).executeWithOptions(
          { summary: summarize(...args) },
          args,
        );
    },
  });
}
