/**
 * A Worker Deployment as an operator needs to see it while moving orders from one build to the next
 * (`npm run workers`, docs/upgrades.md): each build's status, the open workflows pinned to it, and the
 * workers still polling for it.
 */
import { isGrpcServiceError, type Client } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { tsToDate } from '@temporalio/common/lib/time.js';

/** WorkerDeploymentVersionStatus by number, as the client answers enums. */
const STATUS_NAMES: Record<number, string> = { 1: 'inactive', 2: 'current', 3: 'ramping', 4: 'draining', 5: 'drained' };
/** gRPC status of a deployment that no worker has polled for yet. */
const NOT_FOUND = 5;
const TASK_QUEUE_KIND_NORMAL = 1;

export interface BuildReport {
  buildId: string;
  /** current (takes new workflows), ramping (takes a share of them), draining (still has open pinned workflows), drained, inactive (never current). */
  status: string;
  createdAt: Date | undefined;
  /** Open workflows pinned to the build, by visibility (a moment behind). */
  pinnedOpen: number;
  /** Workers (`<pid>@<host>`) that polled for it lately: the server remembers a poll for minutes (5 by default). */
  pollers: string[];
}

export interface DeploymentReport {
  deploymentName: string;
  /** Newest first. */
  builds: BuildReport[];
}

/** The visibility query for the open workflows pinned to a build (as in `temporal workflow list --query`). */
export function pinnedWorkflowsQuery({ deploymentName, buildId }: WorkerDeploymentVersion): string {
  return `TemporalWorkerDeploymentVersion = ${JSON.stringify(`${deploymentName}:${buildId}`)} AND TemporalWorkflowVersioningBehavior = "Pinned" AND ExecutionStatus = "Running"`;
}

/** The deployment and each of its builds; undefined while no worker of it has polled yet. */
export async function describeDeployment(client: Client, deploymentName: string): Promise<DeploymentReport | undefined> {
  let info;
  try {
    ({ workerDeploymentInfo: info } = await client.workflowService.describeWorkerDeployment({ namespace: client.options.namespace, deploymentName }));
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === NOT_FOUND) return undefined;
    throw error;
  }
  const builds = await Promise.all(
    (info?.versionSummaries ?? []).map(async (summary): Promise<BuildReport> => {
      const version = { deploymentName, buildId: summary.deploymentVersion?.buildId ?? '' };
      const [{ count }, pollers] = await Promise.all([client.workflow.count(pinnedWorkflowsQuery(version)), pollersOf(client, version)]);
      const createdAt = summary.createTime ? tsToDate(summary.createTime) : undefined;
      return { buildId: version.buildId, status: STATUS_NAMES[summary.status ?? 0] ?? 'unknown', createdAt, pinnedOpen: count, pollers };
    }),
  );
  builds.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
  return { deploymentName, builds };
}

/** Workers of this build among the pollers of every task queue it ever polled. */
async function pollersOf(client: Client, version: WorkerDeploymentVersion): Promise<string[]> {
  const { namespace } = client.options;
  const { versionTaskQueues } = await client.workflowService.describeWorkerDeploymentVersion({ namespace, deploymentVersion: version });
  const answers = await Promise.all(
    (versionTaskQueues ?? []).map(({ name, type }) =>
      client.workflowService.describeTaskQueue({ namespace, taskQueue: { name, kind: TASK_QUEUE_KIND_NORMAL }, taskQueueType: type }),
    ),
  );
  const ofBuild = answers.flatMap(({ pollers }) =>
    (pollers ?? []).filter(({ deploymentOptions: d }) => d?.deploymentName === version.deploymentName && d.buildId === version.buildId),
  );
  return [...new Set(ofBuild.map((poller) => poller.identity ?? 'unnamed'))].sort();
}
