/**
 * The main paths of an order, each driven to its end on a live worker with real activities.
 * `npm run record-histories` records their workflow histories into test/replay/histories/ and
 * replay.test.ts replays those against the current workflow code. To cover another path, add an entry to
 * SCENARIOS and record it.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
import { createStockEffects } from '../../services/stock-effects.js';
import { type OrderState } from '../../domain/order.js';
import { orderInput, PLACES, setStock, TEST_INVENTORY } from '../support/fixtures.js';
import { testMailer } from '../support/mail.js';
import { reportShipmentEvent, startOrder, waitForStatus } from '../support/workflow-env.js';
import { restockWorkflowId, returnWorkflowId } from '../../contracts/ids.js';
import {
  cancelOrderUpdate,
  changeShippingAddressUpdate,
  getOrderQuery,
  requestReturnUpdate,
  returnReceiptUpdate,
  reviewOrderUpdate,
} from '../../contracts/messages.js';
import { findOrder } from '../../persistence/orders.js';
import type { orderWorkflow, OrderOutcome } from '../../workflows/order/workflow.js';

/** Seeded by the recorder before the scenarios run. */
export const SCENARIO_WAREHOUSES = { 'wh-berlin': PLACES.berlin, 'wh-paris': PLACES.paris };

export interface ScenarioContext {
  client: Client;
  /** Served by the recorder's worker. */
  taskQueue: string;
}

/**
 * The workflows a scenario ran, each recorded to its own file: `order` to `<scenario>.json`, any other
 * (e.g. the restock dispatcher that woke the order) to `<scenario>.<name>.json`.
 */
export interface ScenarioRuns {
  order: WorkflowHandle<typeof orderWorkflow>;
  [workflow: string]: WorkflowHandle;
}

export type Scenario = (context: ScenarioContext) => Promise<ScenarioRuns>;

export const SCENARIOS: Record<string, Scenario> = {
  /** Split over two warehouses (each SKU is stocked in one only), both shipments shipped and delivered. */
  delivered: async ({ client, taskQueue }) => {
    const [berlinSku, parisSku] = [await stockedSku('wh-berlin', 5), await stockedSku('wh-paris', 5)];
    const order = await startOrder({ client }, orderInput([{ sku: berlinSku, quantity: 2 }, { sku: parisSku, quantity: 1 }]), taskQueue);
    const { shipments } = await waitForStatus(order, 'allocated');
    expect(shipments).toHaveLength(2);
    await expectOutcome(shipAndDeliverAll(order, shipments), 'delivered');
    return { order };
  },

  'payment-declined': async ({ client, taskQueue }) => {
    const sku = await stockedSku('wh-berlin', 5);
    const order = await startOrder({ client }, orderInput([{ sku, quantity: 1 }], { paymentToken: 'tok_decline' }), taskQueue);
    await expectOutcome(order.result(), 'payment_declined');
    return { order };
  },

  'cancelled-before-shipping': async ({ client, taskQueue }) => {
    const sku = await stockedSku('wh-berlin', 5);
    const order = await startOrder({ client }, orderInput([{ sku, quantity: 2 }]), taskQueue);
    await waitForStatus(order, 'allocated');
    await order.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'customer changed their mind', requestedBy: 'support' }] });
    await expectOutcome(order.result(), 'cancelled');
    return { order };
  },

  /** 1 of 3 in stock: backordered; stock arrives, the SKU's restock dispatcher wakes the order, it ships. */
  'backordered-then-restocked': async ({ client, taskQueue }) => {
    const sku = await stockedSku('wh-berlin', 1);
    const input = orderInput([{ sku, quantity: 3 }]);
    const order = await startOrder({ client }, input, taskQueue);
    // The dispatcher finds waiting orders in the read model, so the backorder must be written there first.
    await expect.poll(async () => (await findOrder(input.orderId))?.status, { timeout: 30_000 }).toBe('backordered');
    await receiveStock({ client, taskQueue }, sku, 'wh-berlin', 3);
    const { shipments } = await waitForStatus(order, 'allocated');
    await expectOutcome(shipAndDeliverAll(order, shipments), 'delivered');
    const restockDispatcher = client.workflow.getHandle(restockWorkflowId(sku));
    await waitUntilDispatcherIdle(restockDispatcher);
    return { order, 'restock-dispatcher': restockDispatcher };
  },

  'review-approved': async ({ client, taskQueue }) => {
    const sku = await stockedSku('wh-berlin', 5);
    const order = await startOrder({ client }, orderInput([{ sku, quantity: 1 }], { paymentToken: 'tok_review' }), taskQueue);
    await waitForStatus(order, 'awaiting_review');
    await order.executeUpdate(reviewOrderUpdate, { args: [{ decision: 'approve', note: 'known customer', reviewer: 'support' }] });
    const { shipments } = await waitForStatus(order, 'allocated');
    await expectOutcome(shipAndDeliverAll(order, shipments), 'delivered');
    return { order };
  },

  /** One of two units of a line cancelled while allocated; the rest ships. */
  'lines-cancelled': async ({ client, taskQueue }) => {
    const sku = await stockedSku('wh-berlin', 5);
    const order = await startOrder({ client }, orderInput([{ sku, quantity: 2 }]), taskQueue);
    await waitForStatus(order, 'allocated');
    await order.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'one is enough', requestedBy: 'support', lines: [{ lineId: 'L1', quantity: 1 }] }] });
    const { shipments } = await order.query(getOrderQuery);
    await expectOutcome(shipAndDeliverAll(order, shipments), 'delivered');
    return { order };
  },

  /** Stocked in Berlin and Paris; the customer moves to Paris after allocation, so the order re-routes there. */
  'address-changed': async ({ client, taskQueue }) => {
    const sku = await stockedSku('wh-berlin', 5);
    await setStock(sku, 'wh-paris', 5);
    const order = await startOrder({ client }, orderInput([{ sku, quantity: 1 }]), taskQueue);
    await waitForStatus(order, 'allocated');
    const address = { line1: '1 Rue de Rivoli', city: 'Paris', postalCode: '75001', country: 'FR', location: PLACES.paris.location };
    expect(await order.executeUpdate(changeShippingAddressUpdate, { args: [{ address, requestedBy: 'support' }] })).toMatchObject({ rerouted: true });
    const { shipments } = await order.query(getOrderQuery);
    await expectOutcome(shipAndDeliverAll(order, shipments.filter((s) => s.status === 'pending')), 'delivered');
    return { order };
  },

  /** Delivered, returned within a short window, received, refunded; the order ends when the window closes. */
  returned: async ({ client, taskQueue }) => {
    const sku = await stockedSku('wh-berlin', 5);
    const input = orderInput([{ sku, quantity: 2 }]);
    const order = await startOrder({ client }, { ...input, policy: { ...input.policy, returnWindowMs: 5_000 } }, taskQueue);
    const { shipments } = await waitForStatus(order, 'allocated');
    for (const { shipmentId } of shipments) await reportShipmentEvent(order, shipmentId, 'shipped');
    for (const { shipmentId } of shipments) await reportShipmentEvent(order, shipmentId, 'delivered');
    const { returnId } = await order.executeUpdate(requestReturnUpdate, { args: [{ lines: [{ lineId: 'L1', quantity: 1 }], reason: 'too small', requestedBy: 'web' }] });
    const returnRun = client.workflow.getHandle(returnWorkflowId(returnId));
    await returnRun.executeUpdate(returnReceiptUpdate, { args: [{ warehouseId: 'wh-berlin', lines: [{ sku, quantity: 1 }], recordedBy: 'warehouse' }] });
    await expectOutcome(order.result(), 'partially_returned');
    return { order, return: returnRun };
  },

  'review-rejected': async ({ client, taskQueue }) => {
    const sku = await stockedSku('wh-berlin', 5);
    const order = await startOrder({ client }, orderInput([{ sku, quantity: 1 }], { paymentToken: 'tok_review' }), taskQueue);
    await waitForStatus(order, 'awaiting_review');
    await order.executeUpdate(reviewOrderUpdate, { args: [{ decision: 'reject', note: 'suspicious address', reviewer: 'support' }] });
    await expectOutcome(order.result(), 'cancelled');
    return { order };
  },
};

export const HISTORIES_DIR = fileURLToPath(new URL('./histories/', import.meta.url));

/** `<scenario>.json` for the order, `<scenario>.<workflow>.json` for the others. */
export function historyFileName(scenario: string, workflow: keyof ScenarioRuns): string {
  return workflow === 'order' ? `${scenario}.json` : `${scenario}.${String(workflow)}.json`;
}

/** The scenario a history file belongs to. */
export function scenarioOfHistoryFile(fileName: string): string {
  return fileName.split('.')[0];
}

async function stockedSku(warehouseId: keyof typeof SCENARIO_WAREHOUSES, onHand: number): Promise<string> {
  const sku = `SKU-${randomUUID().slice(0, 8)}`;
  await setStock(sku, warehouseId, onHand);
  return sku;
}

/** Stock arriving the way the API records it: the movement, then its effects (the restock dispatcher is signalled). */
async function receiveStock({ client, taskQueue }: ScenarioContext, sku: string, warehouseId: string, onHand: number): Promise<void> {
  await setStock(sku, warehouseId, onHand);
  await createStockEffects({ temporal: client, taskQueue, ...TEST_INVENTORY, mailer: testMailer() }).afterStockChange([sku], { increased: true });
}

async function shipAndDeliverAll(order: WorkflowHandle, shipments: OrderState['shipments']): Promise<OrderOutcome> {
  for (const { shipmentId } of shipments) await reportShipmentEvent(order, shipmentId, 'shipped');
  for (const { shipmentId } of shipments) await reportShipmentEvent(order, shipmentId, 'delivered');
  return order.result();
}

/** Only a history that reached the end the scenario is about is worth recording. */
async function expectOutcome(outcome: Promise<OrderOutcome>, status: OrderOutcome['status']): Promise<void> {
  expect(await outcome).toMatchObject({ status });
}

/**
 * The dispatcher runs on (idle up to 10 minutes) after waking the order; it is recorded once it waits again
 * (a timer started after it woke the order), so its history ends at the same point on every recording.
 */
async function waitUntilDispatcherIdle(dispatcher: WorkflowHandle): Promise<void> {
  await expect
    .poll(
      async () => {
        const { events } = await dispatcher.fetchHistory();
        const woke = events!.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'retryBackorderedOrder');
        return woke && events!.at(-1)!.timerStartedEventAttributes !== undefined;
      },
      { timeout: 30_000, interval: 200 },
    )
    .toBe(true);
}
