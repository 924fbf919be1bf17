/**
 * The worker as operators run it (worker/main.ts, or the stalling test worker, as OS processes): the business
 * metrics it serves beside the Temporal SDK's, and how it stops on SIGTERM: a running activity finishes
 * within the grace period; one that does not is abandoned after it, and the process still exits.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { findFreePort } from '../../stack/processes.js';
import { loadWebhookSecretKeys } from '../../domain/webhook-secrets.js';
import { saveWebhook } from '../../persistence/channels.js';
import { orderInput, PLACES, seedWarehouse, setStock, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { activityRuns, workerOf } from '../support/order-history.js';
import { connectSuiteTemporal, type SuiteTemporal } from '../support/suite-temporal.js';
import { startOrder, uniqueTaskQueue, waitForStatus } from '../support/workflow-env.js';
import { startWorkerProcess, killNodeProcesses, type WorkerProcess } from '../support/node-processes.js';

let temporal: SuiteTemporal;
let db: { uri: string; close: () => Promise<void> };
const warehouseId = uniqueId('wh-worker-ops');

beforeAll(async () => {
  db = await useTestDatabase('worker_operations');
  await seedWarehouse(warehouseId, PLACES.berlin);
  temporal = await connectSuiteTemporal();
});

afterEach(killNodeProcesses);

afterAll(async () => {
  await temporal?.close();
  await db?.close();
});

function startWorker(taskQueue: string, script: string, env: Record<string, string>): Promise<WorkerProcess> {
  return startWorkerProcess({ script, taskQueue, env, mongoUri: db.uri });
}

async function orderOf(paymentToken: string, taskQueue: string): Promise<WorkflowHandle> {
  const sku = uniqueId('SKU-OPS');
  await setStock(sku, warehouseId, 5);
  return startOrder(temporal, orderInput([{ sku, quantity: 1 }], { paymentToken }), taskQueue);
}

describe('the worker process', () => {
  it('serves business metrics (orders ended by status, reservations, emails, webhooks) and its workflow task slots as WORKER_MAX_WORKFLOW_TASKS sets them', async () => {
    // The web channel's webhook, on loopback (allowed for this worker): it refuses its first request.
    let webhookRequests = 0;
    const receiver: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(++webhookRequests === 1 ? 503 : 204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    await saveWebhook('web', { url: receiverUrl, secret: 'whsec-worker-operations', updatedAt: new Date() }, loadWebhookSecretKeys({}));
    onTestFinished(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

    const taskQueue = uniqueTaskQueue();
    const metricsAddress = `127.0.0.1:${await findFreePort()}`;
    await startWorker(taskQueue, 'worker/main.ts', { WORKER_METRICS_ADDRESS: metricsAddress, WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.1/32', WORKER_MAX_WORKFLOW_TASKS: '3' });
    const declined = await orderOf('tok_decline', taskQueue);
    const accepted = await orderOf('tok_ok', taskQueue);
    expect(await declined.result()).toMatchObject({ status: 'payment_declined' });
    await waitForStatus(accepted, 'allocated');

    // The SDK exports its meter every few seconds.
    let metrics = '';
    const counter = (name: string, tag: string) => new RegExp(`^${name}(_total)?\\{[^}]*${tag}[^}]*\\} (\\d+)`, 'm').exec(metrics)?.[2];
    await vi.waitFor(
      async () => {
        metrics = await (await fetch(`http://${metricsAddress}/metrics`)).text();
        expect(counter('oms_orders_ended', 'status="payment_declined"')).toBe('1');
        expect(counter('oms_stock_reservations', 'outcome="reserved"')).toBe('1');
        // The decline's email and the confirmation.
        expect(counter('oms_emails', 'outcome="sent"')).toBe('2');
        expect(counter('oms_webhook_deliveries', 'outcome="failed"')).toBe('1');
        expect(Number(counter('oms_webhook_deliveries', 'outcome="delivered"'))).toBeGreaterThan(0);
        // All free while the accepted order waits for its shipment events.
        expect(counter('temporal_worker_task_slots_available', 'worker_type="WorkflowWorker"')).toBe('3');
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(metrics).toMatch(/temporal_activity_execution_latency/);
  }, 180_000);

  it('on SIGTERM lets a running activity finish, then exits 0', async () => {
    const taskQueue = uniqueTaskQueue();
    const worker = await startWorker(taskQueue, 'test/support/stalling-worker.ts', { OMS_STALL_AFTER: 'authorize-activity', OMS_STALL_MS: '4000', SHUTDOWN_GRACE: '60s' });
    const handle = await orderOf('tok_ok', taskQueue);
    await worker.waitForLine(/^acted: authorize/, 120_000);

    expect(await worker.stop('SIGTERM', 60_000)).toEqual({ code: 0, signal: null });
    await worker.waitForLine(/^finished: authorize/, 1_000);
    // The one attempt, on the stopped worker, reached Temporal as completed: nothing for another worker to redo.
    await expect
      .poll(() => activityRuns(handle, 'authorizePayment'), { timeout: 10_000, interval: 250 })
      .toEqual([expect.objectContaining({ attempts: 1, identity: workerOf(worker.pid), outcome: 'completed' })]);
  }, 180_000);

  it('on SIGTERM abandons an activity that outlasts the grace period, and still exits', async () => {
    const taskQueue = uniqueTaskQueue();
    const worker = await startWorker(taskQueue, 'test/support/stalling-worker.ts', { OMS_STALL_AFTER: 'authorize-activity', SHUTDOWN_GRACE: '1s' });
    await orderOf('tok_ok', taskQueue);
    await worker.waitForLine(/^acted: authorize/, 120_000);

    const stoppedAt = Date.now();
    const exit = await worker.stop('SIGTERM', 30_000);
    await worker.waitForLine(/were abandoned; Temporal retries them after their timeout/, 1_000);
    expect(exit).toEqual({ code: 0, signal: null });
    // Grace (1 s) and the 5 s the worker then still waits.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(5_000);
  }, 180_000);
});
