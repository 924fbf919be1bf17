/**
 * All activities of the order and restock workflows, built from their dependencies so tests and the worker
 * can hand in the providers they want. Workflows import only the type.
 */
import type { Client } from '@temporalio/client';
import type { Carrier } from '../services/carrier.js';
import type { Mailer } from '../services/mailer.js';
import type { PaymentProvider } from '../services/payment-provider.js';
import type { TrackingLinks } from '../services/tracking-links.js';
import type { WebhookSettings } from '../services/webhook-targets.js';
import { createStockEffects } from '../services/stock-effects.js';
import { notificationActivities } from './notifications.js';
import { orderViewActivities } from './order-view.js';
import { paymentActivities } from './payments.js';
import { restockActivities } from './restock.js';
import { returnActivities } from './returns.js';
import { shipmentActivities } from './shipments.js';
import { stockActivities } from './stock.js';
import { webhookActivities } from './webhooks.js';

export interface ActivityDependencies {
  payments: PaymentProvider;
  carrier: Carrier;
  /** For waking backordered orders (the restock dispatcher and its signals). */
  temporal: Client;
  taskQueue: string;
  inventory: { lowStockThreshold: number; operationsEmail: string };
  /** Customer notifications and low-stock alerts go out as email through it. */
  mailer: Mailer;
  /** The link in every customer email to the order's tracking page. */
  tracking: TrackingLinks;
  /** Where channel webhooks may connect, and the keys of their stored secrets. */
  webhooks: WebhookSettings;
}

export function createActivities({ payments, carrier, temporal, taskQueue, inventory, mailer, tracking, webhooks }: ActivityDependencies) {
  const effects = createStockEffects({ temporal, taskQueue, ...inventory, mailer });
  return {
    ...paymentActivities(payments),
    ...stockActivities(effects),
    ...restockActivities(temporal),
    ...returnActivities(effects),
    ...shipmentActivities(carrier),
    ...notificationActivities(mailer, inventory.operationsEmail, tracking),
    ...orderViewActivities,
    ...webhookActivities(webhooks),
  };
}

export type OrderActivities = ReturnType<typeof createActivities>;
