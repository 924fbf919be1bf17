/**
 * What the orders benchmark asks of Temporal directly: the bare baseline workflow, run on its own task
 * queue of the same Temporal server, and the size of the histories each run left.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { TemporalConnectionOptions } from '../config.js';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { repoRoot } from '../stack/processes.js';
import { bareDeliveredSignal, bareShippedSignal, bareStatusQuery, type bareOrderWorkflow } from './bare/workflow.js';
import { RUN_ID, runWorkload, type WorkloadResult } from './harness.js';
import type { HistoryCounts } from './order-report.js';

/**
 * `runs` bare workflows, `inFlight` at a time, driven as the orders are: started, its status polled every
 * `pollMs` until allocated, then a `shipped` and a `delivered` signal, then its result.
 */
export async function runBare(
  temporal: { connection: TemporalConnectionOptions; namespace: string; client: Client },
  load: { runs: number; inFlight: number; pollMs: number },
): Promise<WorkloadResult & { workflowIds: string[] }> {
  const taskQueue = `bench-bare-${RUN_ID}`;
  const connection = await NativeConnection.connect(temporal.connection);
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(repoRoot, 'bench', 'bare', 'workflow.ts'), logger: new DefaultLogger('ERROR') }),
    activities: { step: async () => {} },
  });
  const workflowIds: string[] = [];
  const { client } = temporal;
  const result = await worker.runUntil(
    runWorkload('bare workflow', load.runs, load.inFlight, async (index) => {
      const handle = await client.workflow.start<typeof bareOrderWorkflow>('bareOrderWorkflow', { taskQueue, workflowId: `bare-${RUN_ID}-${index}` });
      workflowIds.push(handle.workflowId);
      while ((await handle.query(bareStatusQuery)) !== 'allocated') await sleep(load.pollMs);
      await handle.signal(bareShippedSignal);
      await handle.signal(bareDeliveredSignal);
      await handle.result();
    }),
  );
  await connection.close();
  return { ...result, workflowIds };
}

/** Events, activity executions and local activity executions per workflow, on average. */
export async function historyCounts(client: Client, workflowIds: string[]): Promise<HistoryCounts> {
  let events = 0;
  let activities = 0;
  let localActivities = 0;
  for (const workflowId of workflowIds) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    events += history.events?.length ?? 0;
    activities += history.events?.filter((e) => e.activityTaskScheduledEventAttributes).length ?? 0;
    localActivities += history.events?.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length ?? 0;
  }
  const n = workflowIds.length;
  return { events: events / n, activities: activities / n, localActivities: localActivities / n };
}
