/**
 * The first versioned deploy (`TEMPORAL_WORKER_PROMOTE=if-none`): while a Worker Deployment has no current
 * build, Temporal sends new workflows to unversioned workers only, and there are none once versioning is on.
 * So a worker makes its own build current when the deployment has none; later builds wait for an operator
 * (`npm run workers -- promote <buildId>`), because only they know when a new build may take new orders.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';

/** gRPC status of a deployment that no worker has polled for yet. */
const NOT_FOUND = 5;
const RETRY_MS = 500;

export type PromotionOutcome = { promoted: true } | { promoted: false; current: string };

/**
 * Waits until the server knows `version` (its first poll registers it), then makes it current unless the
 * deployment has a current build already. The describe's conflict token makes two workers starting at once
 * safe: the second one's request fails, and it then finds the first one's build current.
 */
export async function promoteIfNone(client: Client, version: WorkerDeploymentVersion, options: { signal: AbortSignal; timeoutMs: number }): Promise<PromotionOutcome> {
  const { namespace, identity } = client.options;
  const { deploymentName, buildId } = version;
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (; Date.now() < deadline; await sleep(RETRY_MS, undefined, { signal: options.signal })) {
    let described;
    try {
      described = await client.workflowService.describeWorkerDeployment({ namespace, deploymentName });
    } catch (error) {
      if (isGrpcServiceError(error) && error.code === NOT_FOUND) continue;
      throw error;
    }
    const { routingConfig, versionSummaries } = described.workerDeploymentInfo ?? {};
    const current = routingConfig?.currentDeploymentVersion?.buildId;
    if (current) return { promoted: false, current };
    if (!versionSummaries?.some((summary) => summary.deploymentVersion?.buildId === buildId)) continue;
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace, deploymentName, buildId, conflictToken: described.conflictToken, identity });
      return { promoted: true };
    } catch (error) {
      lastError = error; // another worker changed the deployment meanwhile: look again
    }
  }
  throw new Error(`build ${buildId} was not promoted within ${options.timeoutMs / 1000} s`, { cause: lastError });
}
