/**
 * Fills the database with delivered orders for `bench:orders --grow`, quickly but through the code that
 * writes an order's documents when it runs: the same activities (payment authorization and capture in our
 * books and the sandbox provider's, reservation and shipment through the stock ledger, the shipment
 * record and its events, the email outbox's records) and the view with its list entries. What it skips:
 * Temporal (no workflow runs, so its history does not grow); the view's intermediate saves (it is saved
 * once, delivered: the documents an order leaves are the same); and sending the emails (recorded through
 * a mailer that answers without sending, so Mailpit is not flooded).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { trackingLinks } from '../services/tracking-links.js';
import { createActivities } from '../activities/index.js';
import { loadConfig } from '../config.js';
import { timelineEntryId } from '../contracts/ids.js';
import { orderKeys } from '../contracts/keys.js';
import { orderTotal } from '../domain/money.js';
import { receivedOrder, type OrderLine, type OrderState, type OrderStatus, type TimelineEntry } from '../domain/order.js';
import type { Mailer } from '../services/mailer.js';
import { SandboxCarrier } from '../services/carrier.js';
import { SandboxPaymentProvider } from '../services/sandbox-payment-provider.js';
import { loadWebhookSettings } from '../services/webhook-targets.js';

/** Answers like a mail server without sending anything: for seeded orders' emails only. */
const unsent: Mailer = { send: async ({ messageId }) => ({ messageId, response: '250 not sent: seeded by bench:orders --grow' }) };

export interface SeedOrder {
  index: number;
  channel: string;
  warehouseId: string;
  skus: string[];
}

export function orderSeeder(temporal: Client) {
  const config = loadConfig();
  const activities = createActivities({
    payments: new SandboxPaymentProvider(),
    carrier: new SandboxCarrier(),
    temporal,
    taskQueue: `bench-seed-${randomUUID()}`,
    inventory: config.inventory,
    mailer: unsent,
    tracking: trackingLinks(),
    webhooks: loadWebhookSettings(process.env),
  });

  /** One delivered order, written as its run writes it. */
  return async function seedOrder({ index, channel, warehouseId, skus }: SeedOrder): Promise<void> {
    const orderId = `ord_seed${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const lines: OrderLine[] = skus.map((sku, i) => ({ lineId: `L${i + 1}`, sku, quantity: 1, unitPrice: 1250 }));
    const total = orderTotal(lines, 'EUR');
    const now = () => new Date().toISOString();
    const state = receivedOrder({
      orderId,
      externalId: `seed-${index}-${orderId}`,
      channel,
      customer: { id: `cust-${index % 1000}`, email: `seed-${index % 1000}@example.com` },
      shippingAddress: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
      lines,
      total,
      paymentToken: 'tok_ok',
      policy: { ...config.orderPolicy, allowPartialShipment: false },
      requestHash: randomUUID(),
      receivedAt: now(),
    });
    const record = (type: string, message: string, status?: OrderStatus) => {
      const entry: TimelineEntry = { id: timelineEntryId(orderId, state.timeline.length + 1), at: now(), type, message };
      state.timeline.push(entry);
      if (status) state.status = status;
      state.updatedAt = entry.at;
    };
    const email = (event: 'order_confirmed' | 'shipment_shipped' | 'shipment_delivered', shipment?: OrderState['shipments'][number]) =>
      activities.notifyCustomer({
        orderId,
        event,
        subjectId: shipment?.shipmentId,
        recipient: { email: state.customer.email, name: state.customer.name },
        externalId: state.externalId,
        total,
        carrier: shipment?.carrier,
        trackingNumber: shipment?.trackingNumber,
      });

    record('received', `Order ${state.externalId} received from channel ${channel}`);
    const authorization = await activities.authorizePayment({ orderId, amount: total, token: 'tok_ok' });
    state.payment = { ...state.payment, status: 'authorized', authorized: total.amount, authorizationId: authorization.authorizationId, authorizedAt: now() };
    record('payment_authorized', 'Payment authorized');
    const allocations = skus.map((sku) => ({ sku, warehouseId, quantity: 1 }));
    const { reserved, short } = await activities.reserveStock({ orderId, round: 1, allocations });
    if (short.length > 0) throw new Error(`seeding ran out of stock of ${short.map((s) => s.sku).join(', ')}`);
    state.allocations = reserved;
    const shipment = await activities.createShipment({
      orderId,
      shipmentId: `shp_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      shipmentKey: orderKeys(orderId).shipment(1, warehouseId),
      warehouseId,
      lines: reserved.map(({ sku, quantity }) => ({ sku, quantity })),
      shippingAddress: state.shippingAddress,
    });
    state.shipments = [shipment];
    record('allocated', `Allocated to ${warehouseId}`, 'allocated');
    await email('order_confirmed');

    await activities.recordShipmentEvent({ orderId, shipmentId: shipment.shipmentId, type: 'shipped', occurredAt: now() });
    shipment.status = 'shipped';
    record('shipment_shipped', `Shipment ${shipment.shipmentId} shipped`, 'shipped');
    await activities.capturePayment({ orderId, shipmentId: shipment.shipmentId, authorizationId: authorization.authorizationId, amount: total });
    state.payment = { ...state.payment, status: 'captured', captured: total.amount };
    record('payment_captured', 'Payment captured');
    await email('shipment_shipped', shipment);

    await activities.recordShipmentEvent({ orderId, shipmentId: shipment.shipmentId, type: 'delivered', occurredAt: now() });
    shipment.status = 'delivered';
    record('shipment_delivered', `Shipment ${shipment.shipmentId} delivered`, 'delivered');
    await email('shipment_delivered', shipment);
    state.revision = 1;
    await activities.saveOrderView(state);
  };
}
