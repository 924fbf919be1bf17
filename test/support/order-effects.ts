/**
 * An order split over two warehouses, driven to delivered through its Updates, and the check that each of
 * its effects happened exactly once, counted where it happened: the sandbox provider's own ledger, the
 * stock ledger (and the levels projection equal to it), Mailpit, and the order's view. Shared by the crash
 * and fault-injection tests.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
import { orderKeys } from '../../contracts/keys.js';
import { renderNotification, type NotificationEvent } from '../../domain/notifications.js';
import type { OrderInput, OrderState, Shipment } from '../../domain/order.js';
import type { ShipmentEventType } from '../../domain/shipment-events.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { findOrder } from '../../persistence/orders.js';
import { reconcileLevels } from '../../persistence/reconciliation.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';
import { readBalance } from '../../persistence/stock-ledger.js';
import { StockMovementModel } from '../../persistence/stock-models.js';
import type { orderWorkflow, OrderOutcome } from '../../workflows/order/workflow.js';
import { BERLIN_ADDRESS, orderInput, setStock } from './fixtures.js';
import { expectMessagesTo, uniqueAddress, type ByMessageId } from './mail.js';
import { resultWithin } from './order-history.js';
import { reportShipmentEvent, waitForStatus } from './workflow-env.js';

/** What each SKU of a split order has on hand before the order. */
export const SPLIT_ORDER_STOCK = 5;

/** What the checks need of an order: its input as the workflow got it. */
export type OrderFacts = Pick<OrderInput, 'orderId' | 'externalId' | 'customer' | 'total'>;

export interface SplitOrder {
  input: OrderInput;
  /** The value of each warehouse's shipment, what its capture must be. */
  captureByWarehouse: Record<string, number>;
}

/** Two SKUs of their own, stocked only in Berlin and only in Paris, `SPLIT_ORDER_STOCK` each. */
export async function stockSplitSkus(): Promise<{ berlinSku: string; parisSku: string }> {
  const [berlinSku, parisSku] = [`SKU-${randomUUID().slice(0, 8)}`, `SKU-${randomUUID().slice(0, 8)}`];
  await setStock(berlinSku, 'wh-berlin', SPLIT_ORDER_STOCK);
  await setStock(parisSku, 'wh-paris', SPLIT_ORDER_STOCK);
  return { berlinSku, parisSku };
}

/** The lines of a split order: 2 x 19.99 from Berlin and 1 x 45.50 from Paris, and what each shipment captures. */
export function splitOrderLines({ berlinSku, parisSku }: { berlinSku: string; parisSku: string }) {
  return {
    lines: [
      { sku: berlinSku, quantity: 2, unitPrice: 1999 },
      { sku: parisSku, quantity: 1, unitPrice: 4550 },
    ],
    captureByWarehouse: { 'wh-berlin': 3998, 'wh-paris': 4550 },
  };
}

/** The body of `POST /v1/orders` (channel `web`) for a split order of SKUs from `stockSplitSkus`, for a customer of its own. */
export function splitOrderRequest(skus: { berlinSku: string; parisSku: string }, customer: string) {
  const { lines, captureByWarehouse } = splitOrderLines(skus);
  const body = {
    externalId: `web-${randomUUID()}`,
    customer: { id: `cust-${customer}`, email: uniqueAddress(customer), name: 'Erika' },
    shippingAddress: BERLIN_ADDRESS,
    lines,
    currency: 'EUR',
    payment: { token: 'tok_ok' },
  };
  return { body, captureByWarehouse };
}

/** The environment of an API process (api/main.ts) whose orders end at delivery, with no return window, as `shipAndDeliver` expects. */
export const ORDERS_END_AT_DELIVERY = { RETURN_WINDOW: '0d' };

/** 2 x 19.99 stocked only in Berlin and 1 x 45.50 only in Paris: two shipments, for a customer of its own. */
export async function splitOrder(customer = 'crash'): Promise<SplitOrder> {
  const { lines, captureByWarehouse } = splitOrderLines(await stockSplitSkus());
  const input = orderInput(lines, { customer: { id: `cust-${customer}`, email: uniqueAddress(customer), name: 'Erika' } });
  return { input, captureByWarehouse };
}

/** Allocated, and the confirmation email sent and marked so: from here the order waits for its warehouses. */
export async function waitUntilConfirmed(handle: WorkflowHandle, input: Pick<OrderInput, 'orderId'>, timeoutMs = 120_000): Promise<OrderState> {
  const state = await waitForStatus(handle, 'allocated', timeoutMs);
  const key = orderKeys(input.orderId).notification('order_confirmed');
  await expect.poll(async () => (await NotificationModel.findOne({ key }).lean())?.status, { timeout: timeoutMs, interval: 200 }).toBe('sent');
  return state;
}

/**
 * A shipment event sent while a dependency is down, so its Update may take a while: its result (awaited
 * later; a failure until then is not unhandled), and whether that has come.
 */
export function shipmentEventInFlight(handle: WorkflowHandle, shipmentId: string, type: ShipmentEventType) {
  let settled = false;
  const result = reportShipmentEvent(handle, shipmentId, type).finally(() => (settled = true));
  result.catch(() => {});
  return { result, settled: () => settled };
}

/** Each warehouse reports its shipment shipped (but those in `alreadyShipped`), then delivered; the order's outcome. */
export async function shipAndDeliver(handle: WorkflowHandle<typeof orderWorkflow>, shipments: Shipment[], alreadyShipped: Shipment[] = []): Promise<OrderOutcome> {
  const shipped = new Set(alreadyShipped.map((s) => s.shipmentId));
  for (const shipment of shipments) if (!shipped.has(shipment.shipmentId)) await reportShipmentEvent(handle, shipment.shipmentId, 'shipped');
  for (const shipment of shipments) await reportShipmentEvent(handle, shipment.shipmentId, 'delivered');
  return resultWithin(handle, 180_000);
}

/**
 * Every effect of the delivered order happened exactly once, counted where it happened. `mailpitApiUrl`:
 * the Mailpit its email went to, when not the suite's.
 */
export async function expectEachEffectOnce(
  order: { input: OrderFacts; captureByWarehouse: Record<string, number> },
  shipments: Shipment[],
  { mailpitApiUrl, byMessageId }: { mailpitApiUrl?: string } & ByMessageId = {},
): Promise<void> {
  const { input, captureByWarehouse } = order;
  const { orderId } = input;

  // The provider's own books: one authorization of the total, one capture per shipment, nothing else.
  const provider = await SandboxPaymentModel.find({ idempotencyKey: new RegExp(`^order:${orderId}:`) }).lean();
  expect(provider.map((entry) => entry.operation).sort()).toEqual(['authorize', ...shipments.map(() => 'capture')]);
  expect(provider.find((entry) => entry.operation === 'authorize')).toMatchObject({ outcome: 'approved', amount: input.total.amount });
  const captures = Object.fromEntries(provider.filter((entry) => entry.operation === 'capture').map((entry) => [entry.idempotencyKey, entry.amount]));
  expect(captures).toEqual(Object.fromEntries(shipments.map((s) => [`order:${orderId}:capture:${s.shipmentId}`, captureByWarehouse[s.warehouseId]])));
  expect(Object.values(captures).reduce((sum, amount) => sum + amount, 0)).toBe(input.total.amount);

  // The stock ledger: one reservation and one 'ship' movement per shipment line, nothing left reserved,
  // and the levels projection equal to the ledger.
  const movements = await StockMovementModel.find({ orderId }).lean();
  const movementsOf = (kind: string) =>
    movements.filter((m) => m.kind === kind).map((m) => `${m.sku}@${m.warehouseId} onHand ${m.onHandDelta} reserved ${m.reservedDelta}`).sort();
  const shippedLines = shipments.flatMap((s) => s.lines.map((line) => ({ ...line, warehouseId: s.warehouseId })));
  expect(movementsOf('ship')).toEqual(shippedLines.map((l) => `${l.sku}@${l.warehouseId} onHand ${-l.quantity} reserved ${-l.quantity}`).sort());
  expect(movementsOf('reserve')).toEqual(shippedLines.map((l) => `${l.sku}@${l.warehouseId} onHand 0 reserved ${l.quantity}`).sort());
  for (const line of shippedLines) {
    expect(await readBalance(line.sku, line.warehouseId)).toMatchObject({ onHand: SPLIT_ORDER_STOCK - line.quantity, reserved: 0 });
    expect((await reconcileLevels({ sku: line.sku })).drift).toEqual([]);
  }

  // Mailpit: confirmed once, shipped and delivered once per shipment.
  const subject = (event: NotificationEvent) =>
    renderNotification({ orderId, event, recipient: input.customer, externalId: input.externalId, total: input.total }).subject;
  const mail = await expectMessagesTo(input.customer.email, 1 + 2 * shipments.length, mailpitApiUrl, 60_000, { byMessageId });
  const subjects = mail.map((message) => message.Subject);
  expect(subjects.filter((s) => s === subject('order_confirmed'))).toHaveLength(1);
  expect(subjects.filter((s) => s === subject('shipment_shipped'))).toHaveLength(shipments.length);
  expect(subjects.filter((s) => s === subject('shipment_delivered'))).toHaveLength(shipments.length);
  for (const { trackingNumber } of shipments) expect(mail.filter((message) => message.Text.includes(trackingNumber))).toHaveLength(2);

  // The order as support sees it: each step once.
  const view = await findOrder(orderId);
  expect(view).toMatchObject({ status: 'delivered', payment: { status: 'captured', authorized: input.total.amount, captured: input.total.amount } });
  const steps = view!.timeline.map((entry) => entry.type);
  const count = (type: string) => steps.filter((step) => step === type).length;
  expect([count('payment_authorized'), count('allocated'), count('payment_captured'), count('shipment_shipped'), count('shipment_delivered')]).toEqual([
    1,
    1,
    shipments.length,
    shipments.length,
    shipments.length,
  ]);
}
