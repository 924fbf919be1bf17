/**
 * A worker process for crash tests (test/support/node-processes.ts): the worker of worker/main.ts, except
 * that once a side effect named by `OMS_STALL_AFTER` is done, it prints `acted: <side effect> <its key>`
 * and its activity never returns (or, with `OMS_STALL_MS`, returns that much later: a slow step), so the
 * test can kill or stop the process with that activity in flight and the effect already out in the world:
 *
 * - `authorize`, `capture`: the sandbox payment provider has authorized or captured, and our own payment
 *   record is not written yet (in the step's first, local attempt: workflows/activity-steps.ts `locallyFirst`);
 * - `authorize-activity`: as `authorize`, in the authorization's activity: its local attempt fails as if
 *   the provider had timed out, so the step runs as the activity it falls back to;
 * - `confirmation-email`: the order's confirmation was emailed and its notification marked sent.
 */
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { SandboxPaymentProvider } from '../../services/sandbox-payment-provider.js';
import { loadConfig } from '../../config.js';
import { connectMongo } from '../../persistence/connection.js';
import { runUntilStopped, sandboxDependencies, workflowsPath } from '../../worker/create-worker.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { orderKeys } from '../../contracts/keys.js';

const STALL_POINTS = ['authorize', 'authorize-activity', 'capture', 'confirmation-email'] as const;
const stallAfter = process.env.OMS_STALL_AFTER as (typeof STALL_POINTS)[number];
if (!STALL_POINTS.includes(stallAfter)) throw new Error(`OMS_STALL_AFTER must be one of ${STALL_POINTS.join(', ')}, got "${stallAfter}"`);

const stallMs = process.env.OMS_STALL_MS ? Number(process.env.OMS_STALL_MS) : undefined;

/** Announces the side effect, then hangs until the process is killed, or for `OMS_STALL_MS`. */
async function stall<T>(sideEffect: string, key: string, result: T): Promise<T> {
  console.log(`acted: ${sideEffect} ${key}`);
  if (stallMs === undefined) return new Promise<never>(() => {});
  await sleep(stallMs);
  console.log(`finished: ${sideEffect} ${key}`);
  return result;
}

class StallingPaymentProvider extends SandboxPaymentProvider {
  override async authorize(request: Parameters<SandboxPaymentProvider['authorize']>[0]) {
    if (stallAfter === 'authorize-activity' && Context.current().info.isLocal) throw new Error('provider timed out (stalling worker)');
    const result = await super.authorize(request);
    return stallAfter.startsWith('authorize') ? stall(stallAfter, request.idempotencyKey, result) : result;
  }

  override async capture(request: Parameters<SandboxPaymentProvider['capture']>[0]) {
    const result = await super.capture(request);
    return stallAfter === 'capture' ? stall('capture', request.idempotencyKey, result) : result;
  }
}

const config = loadConfig();
await connectMongo(config.mongo.uri);
const { address, namespace, taskQueue } = config.temporal;
const client = new Client({ connection: await Connection.connect({ address }), namespace });
const activities = createActivities({
  ...sandboxDependencies({ temporal: client, taskQueue, inventory: config.inventory, smtpUrl: config.mail.smtpUrl }),
  payments: new StallingPaymentProvider(),
});
const worker = await Worker.create({
  connection: await NativeConnection.connect({ address }),
  namespace,
  taskQueue,
  workflowsPath,
  shutdownGraceTime: config.shutdownGraceMs,
  activities: {
    ...activities,
    async notifyCustomer(request: Parameters<typeof activities.notifyCustomer>[0]) {
      await activities.notifyCustomer(request);
      if (stallAfter === 'confirmation-email' && request.event === 'order_confirmed') await stall('confirmation-email', orderKeys(request.orderId).notification(request.event, request.subjectId), undefined);
    },
  },
});
// Stopped as worker/main.ts is: on SIGTERM within the shutdown grace period (SHUTDOWN_GRACE).
await runUntilStopped(worker, config.shutdownGraceMs);
process.exit(0);
