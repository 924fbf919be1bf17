/**
 * Clients and order workers on the suite's own Temporal dev server (test/global-setup.ts) rather than a
 * server of the test file's own: for tests whose workers run in other processes too (crash safety), and for
 * recording histories on the real stack.
 */
import { Client, Connection } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createOrderWorker, sandboxDependencies } from '../../worker/create-worker.js';
import { TEST_INVENTORY } from './fixtures.js';
import { testSmtpUrl } from './mail.js';
import { installQuietRuntime, type WorkflowBundle } from './workflow-env.js';

export const SUITE_NAMESPACE = 'default';

export interface SuiteTemporal {
  /** `host:port` of the suite's dev server, for worker processes (`TEMPORAL_ADDRESS`). */
  address: string;
  client: Client;
  /** The connection for workers in this process. */
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectSuiteTemporal(): Promise<SuiteTemporal> {
  installQuietRuntime();
  const address = inject('temporalAddress');
  const [connection, nativeConnection] = await Promise.all([Connection.connect({ address }), NativeConnection.connect({ address })]);
  return {
    address,
    client: new Client({ connection, namespace: SUITE_NAMESPACE }),
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/**
 * An order worker in this process with the real activities (sandbox provider and carrier, email to the
 * suite's Mailpit or to `smtpUrl`), unversioned or as `deploymentVersion`. A new Worker starts with an empty
 * workflow cache: whatever it runs, it first replays.
 */
export function createSuiteOrderWorker(
  temporal: SuiteTemporal,
  taskQueue: string,
  workflowBundle: WorkflowBundle,
  smtpUrl = testSmtpUrl(),
  deploymentVersion?: WorkerDeploymentVersion,
): Promise<Worker> {
  return createOrderWorker({
    connection: temporal.nativeConnection,
    namespace: SUITE_NAMESPACE,
    taskQueue,
    workflowBundle,
    deploymentVersion,
    dependencies: sandboxDependencies({ temporal: temporal.client, taskQueue, inventory: TEST_INVENTORY, smtpUrl }),
  });
}
