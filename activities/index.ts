/**
 * All activities of the order workflow, built from their dependencies so tests and the worker can hand in
 * the providers they want. Workflows import only the type.
 */
import { notificationActivities } from './notifications.js';
import { orderViewActivities } from './order-view.js';
import type { PaymentProvider } from './payment-provider.js';
import { paymentActivities } from './payments.js';
import type { Carrier } from './sandbox-carrier.js';
import { shipmentActivities } from './shipments.js';
import { stockActivities } from './stock.js';

export interface ActivityDependencies {
  payments: PaymentProvider;
  carrier: Carrier;
}

export function createActivities({ payments, carrier }: ActivityDependencies) {
  return {
    ...paymentActivities(payments),
    ...stockActivities,
    ...shipmentActivities(carrier),
    ...notificationActivities,
    ...orderViewActivities,
  };
}

export type OrderActivities = ReturnType<typeof createActivities>;
