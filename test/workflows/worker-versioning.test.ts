/**
 * A deploy with an incompatible workflow change, done with Worker Versioning on the suite's dev server.
 * Build A (the real workflows) serves orders and is current by itself (the first versioned deploy); then
 * build B, whose orderWorkflow starts with a timer (test/support/build-b-workflows.ts: A's histories fail
 * to replay on it), is deployed beside A and promoted with `npm run workers -- promote`. A's open orders
 * finish on A, new orders run on B, A drains, and once its worker is stopped `npm run workers -- retire`
 * deletes it. The server's drainage and poller timings are shortened for this (test/global-setup.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '../../stack/processes.js';
import { describeDeployment, type BuildReport } from '../../stack/worker-deployments.js';
import { defaultBuildId } from '../../worker/build-id.js';
import { promoteIfNone } from '../../worker/deployment.js';
import { getOrderQuery } from '../../contracts/messages.js';
import type { OrderState } from '../../domain/order.js';
import type { orderWorkflow } from '../../workflows/order/workflow.js';
import { orderInput, PLACES, seedWarehouse, setStock, uniqueId, useTestDatabase } from '../support/fixtures.js';
import { shipAndDeliver } from '../support/order-effects.js';
import { connectSuiteTemporal, createSuiteOrderWorker, SUITE_NAMESPACE, type SuiteTemporal } from '../support/suite-temporal.js';
import { bundleOrderWorkflows, startOrder, uniqueTaskQueue, waitForStatus, type WorkflowBundle } from '../support/workflow-env.js';

const { VERSIONING_BEHAVIOR_PINNED } = proto.api.enums.v1.VersioningBehavior;

let temporal: SuiteTemporal;
let db: { close: () => Promise<void> };
let bundleA: WorkflowBundle;
let bundleB: WorkflowBundle;
const warehouseId = uniqueId('wh-versioning');
const taskQueue = uniqueTaskQueue();
const deploymentName = uniqueId('oms-versioning');
const versionA = { deploymentName, buildId: defaultBuildId() };
const versionB = { deploymentName, buildId: '0.2.0+b0b0b0b' };

beforeAll(async () => {
  const bundleOfBuildB = bundleWorkflowCode({ workflowsPath: `${repoRoot}/test/support/build-b-workflows.ts`, logger: new DefaultLogger('ERROR') });
  [temporal, bundleA, bundleB, db] = await Promise.all([connectSuiteTemporal(), bundleOrderWorkflows(), bundleOfBuildB, useTestDatabase('worker_versioning')]);
  await seedWarehouse(warehouseId, PLACES.berlin);
});

/** Workers still running when a test ends (a failed one) are stopped. */
const running = new Map<Worker, Promise<void>>();
afterEach(async () => {
  for (const worker of running.keys()) worker.shutdown();
  await Promise.all(running.values());
  running.clear();
});

afterAll(async () => {
  await db?.close();
  await temporal?.close();
});

async function startWorker(bundle: WorkflowBundle, version: typeof versionA): Promise<() => Promise<void>> {
  const worker = await createSuiteOrderWorker(temporal, taskQueue, bundle, undefined, version);
  running.set(worker, worker.run());
  return async () => {
    worker.shutdown();
    await running.get(worker);
    running.delete(worker);
  };
}

async function startAllocatedOrder(): Promise<{ handle: WorkflowHandle<typeof orderWorkflow>; shipments: OrderState['shipments'] }> {
  const sku = uniqueId('SKU-VERSIONING');
  await setStock(sku, warehouseId, 5);
  const handle = await startOrder(temporal, orderInput([{ sku, quantity: 1 }]), taskQueue);
  // Build B answers queries only after its timer.
  await vi.waitFor(() => handle.query(getOrderQuery), { timeout: 10_000, interval: 100 });
  // Allocated: the order now waits for the warehouse's shipment events, for days in real life.
  const { shipments } = await waitForStatus(handle, 'allocated');
  return { handle, shipments };
}

/** The build the order is pinned to, as Temporal describes it. */
async function pinnedBuild(handle: WorkflowHandle): Promise<string | undefined> {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return info?.behavior === VERSIONING_BEHAVIOR_PINNED ? (info.deploymentVersion?.buildId ?? undefined) : undefined;
}

/** Every build whose worker completed one of the order's workflow tasks, from its history. */
async function buildsThatRan(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return [...new Set(events!.flatMap((event) => event.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId ?? []))];
}

async function build(buildId: string): Promise<BuildReport | undefined> {
  return (await describeDeployment(temporal.client, deploymentName))?.builds.find((b) => b.buildId === buildId);
}

/** `npm run workers -- <args>` as an operator runs it, against the suite's server. */
async function workersCommand(...args: string[]): Promise<{ code: number; output: string }> {
  const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: SUITE_NAMESPACE, TEMPORAL_WORKER_DEPLOYMENT: deploymentName };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'stack/workers.ts', ...args], { cwd: repoRoot, env });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
}

describe('worker versioning', () => {
  it('finishes build A\'s orders on A while new orders run on the incompatible build B, then retires A', { timeout: 180_000 }, async () => {
    expect(versionA.buildId).toMatch(/^0\.1\.0\+[0-9a-f]{7}(-dirty\.[0-9a-f]{8})?$/);
    const stopA = await startWorker(bundleA, versionA);
    const promotion = { signal: new AbortController().signal, timeoutMs: 30_000 };
    // The first versioned deploy: A becomes current by itself (TEMPORAL_WORKER_PROMOTE=if-none).
    expect(await promoteIfNone(temporal.client, versionA, promotion)).toEqual({ promoted: true });
    const ordersOnA = await Promise.all([startAllocatedOrder(), startAllocatedOrder()]);
    for (const { handle } of ordersOnA) expect(await pinnedBuild(handle)).toBe(versionA.buildId);

    // B is incompatible indeed: an open order's history replays on A and not on B.
    const history = await ordersOnA[0].handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: bundleA }, history);
    await expect(Worker.runReplayHistory({ workflowBundle: bundleB }, history)).rejects.toThrow(DeterminismViolationError);

    // B deployed beside A does not take over by itself: an operator promotes it.
    const stopB = await startWorker(bundleB, versionB);
    expect(await promoteIfNone(temporal.client, versionB, promotion)).toEqual({ promoted: false, current: versionA.buildId });
    const promoted = await workersCommand('promote', versionB.buildId);
    expect(promoted.code, promoted.output).toBe(0);
    expect(promoted.output).toContain(`build ${versionB.buildId} is current`);
    expect(promoted.output).toContain(`Build ${versionA.buildId} drains`);
    await vi.waitFor(async () => expect(await build(versionA.buildId)).toMatchObject({ status: 'draining', pinnedOpen: 2 }), { timeout: 15_000, interval: 500 });

    const orderOnB = await startAllocatedOrder();
    expect(await pinnedBuild(orderOnB.handle)).toBe(versionB.buildId);
    const refused = await workersCommand('retire', versionA.buildId);
    expect(refused.code, refused.output).toBe(1);
    expect(refused.output).toMatch(/retire refused: .*draining/);

    // A's orders, advanced now, finish on A: nothing of theirs ever ran on B.
    for (const { handle, shipments } of ordersOnA) {
      expect(await shipAndDeliver(handle, shipments)).toMatchObject({ status: 'delivered' });
      expect(await buildsThatRan(handle)).toEqual([versionA.buildId]);
    }
    await vi.waitFor(async () => expect(await build(versionA.buildId)).toMatchObject({ status: 'drained', pinnedOpen: 0 }), { timeout: 20_000, interval: 500 });

    // Retired: its worker stopped, and once the server has forgotten its polls, the version deleted.
    await stopA();
    await vi.waitFor(async () => expect((await build(versionA.buildId))?.pollers).toEqual([]), { timeout: 30_000, interval: 1000 });
    const retired = await workersCommand('retire', versionA.buildId);
    expect(retired.code, retired.output).toBe(0);
    expect((await describeDeployment(temporal.client, deploymentName))?.builds).toEqual([
      expect.objectContaining({ buildId: versionB.buildId, status: 'current', pinnedOpen: 1 }),
    ]);

    expect(await shipAndDeliver(orderOnB.handle, orderOnB.shipments)).toMatchObject({ status: 'delivered' });
    expect(await buildsThatRan(orderOnB.handle)).toEqual([versionB.buildId]);
    await stopB();
  });
});
