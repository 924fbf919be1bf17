/**
 * Fault: the mail server is down. A Mailpit of this file's own is killed (SIGKILL) before an order
 * arrives and stays down while the order is allocated and its first shipment ships, longer than several
 * retries of the emails; then it is started again on the same ports with the same data. The order goes on
 * meanwhile (it is allocated and captures the shipment, only the emails wait), and ends delivered with
 * every email sent exactly once and every other effect once. Temporal and FerretDB are the suite's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderKeys } from '../../contracts/keys.js';
import { NotificationModel } from '../../persistence/notifications.js';
import { SandboxPaymentModel } from '../../persistence/sandbox-payments.js';
import { activityRuns, pendingAttempts } from '../support/order-history.js';
import { PLACES, seedWarehouse, useTestDatabase } from '../support/fixtures.js';
import { expectEachEffectOnce, shipAndDeliver, shipmentEventInFlight, splitOrder } from '../support/order-effects.js';
import { ownMailpit, type OwnServer } from '../support/own-servers.js';
import { connectSuiteTemporal, createSuiteOrderWorker, type SuiteTemporal } from '../support/suite-temporal.js';
import { bundleOrderWorkflows, startOrder, uniqueTaskQueue, waitForStatus, type WorkflowBundle } from '../support/workflow-env.js';
import type { MailpitServer } from '../../stack/services.js';

/** Attempts of the confirmation email before the mail server comes back (backoff 1, 2, 4, 8 s: 15 s down at least). */
const FAILED_ATTEMPTS = 4;

let temporal: SuiteTemporal;
let workflowBundle: WorkflowBundle;
let db: { close: () => Promise<void> };
let mailpit: OwnServer<MailpitServer>;

beforeAll(async () => {
  [temporal, workflowBundle, db, mailpit] = await Promise.all([
    connectSuiteTemporal(),
    bundleOrderWorkflows(),
    useTestDatabase('fault_mail_outage'),
    ownMailpit(),
  ]);
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
});

afterAll(async () => {
  await mailpit?.stop();
  await db?.close();
  await temporal?.close();
});

describe('mail server outage', () => {
  it(
    'the order goes on while the mail server is down, and every email goes out once when it is back',
    async () => {
      const order = await splitOrder('mail-outage');
      const { input } = order;
      const taskQueue = uniqueTaskQueue();
      const { smtpUrl } = mailpit.current;
      const worker = await createSuiteOrderWorker(temporal, taskQueue, workflowBundle, smtpUrl);
      await mailpit.kill();

      const { outcome, shipments, handle } = await worker.runUntil(async () => {
        const handle = await startOrder(temporal, input, taskQueue);
        const { shipments } = await waitForStatus(handle, 'allocated', 120_000);
        const [first] = shipments;
        // The warehouse ships meanwhile: the shipment is recorded and captured, its email waits too.
        const shipped = shipmentEventInFlight(handle, first.shipmentId, 'shipped');
        await expect
          .poll(() => SandboxPaymentModel.countDocuments({ idempotencyKey: orderKeys(input.orderId).capture(first.shipmentId) }), { timeout: 60_000, interval: 250 })
          .toBe(1);

        // Several retries of the confirmation fail, each noted on its record, before the server is back.
        await expect
          .poll(async () => Math.max(0, ...(await pendingAttempts(handle, 'notifyCustomer'))), { timeout: 90_000, interval: 500 })
          .toBeGreaterThan(FAILED_ATTEMPTS);
        const confirmation = await NotificationModel.findOne({ key: orderKeys(input.orderId).notification('order_confirmed') }).lean();
        expect(confirmation).toMatchObject({ status: 'recorded', lastError: expect.stringMatching(/ECONNREFUSED/) });

        await mailpit.restart();
        expect(await shipped.result).toMatchObject({ shipmentStatus: 'shipped' });
        return { outcome: await shipAndDeliver(handle, shipments, [first]), shipments, handle };
      });

      expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
      const emails = await activityRuns(handle, 'notifyCustomer');
      const confirmationRun = emails.find((run) => (run.input as { event: string }).event === 'order_confirmed');
      expect(confirmationRun!.attempts).toBeGreaterThan(FAILED_ATTEMPTS);
      await expectEachEffectOnce(order, shipments, { mailpitApiUrl: mailpit.current.apiUrl });
    },
    240_000,
  );
});
