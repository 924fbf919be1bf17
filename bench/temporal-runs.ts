/**
 * What the orders benchmark asks of Temporal directly: the bare baseline workflow, run on its own task
 * queue of the same Temporal server, and the size of the histories each run left.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { TemporalConnectionOptions } from '../config.js';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { repoRoot } from '../stack/processes.js';
import { bareDeliveredSignal, bareShippedSignal, bareStatusQuery, type bareOrderWorkflow } from './bare/workflow.js';
import { RUN_ID, runWorkload, type WorkloadResult } from './harness.js';
import { GaveUpError } from './open-loop.js';
import { recordTime } from './order-driver.js';
import type { HistoryCounts, RequestKind, RequestTimes } from './order-report.js';

export interface BareRunner {
  /**
   * One bare workflow driven as an order is: started, its status queried every `pollMs` until allocated,
   * a `shipped` and a `delivered` signal, then its result; each call timed into `times`. Throws a
   * GaveUpError when it has not ended by `giveUpAt` (epoch ms).
   */
  run(times: RequestTimes, giveUpAt: number): Promise<void>;
  /** The workflows started so far. */
  workflowIds: string[];
}

/** Runs `body` with a worker for the bare workflow on its own task queue of the stack's Temporal server. */
export async function withBareWorker<T>(
  temporal: { connection: TemporalConnectionOptions; namespace: string; client: Client },
  pollMs: number,
  body: (bare: BareRunner) => Promise<T>,
): Promise<T> {
  const taskQueue = `bench-bare-${RUN_ID}`;
  const connection = await NativeConnection.connect(temporal.connection);
  try {
    const worker = await Worker.create({
      connection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(repoRoot, 'bench', 'bare', 'workflow.ts'), logger: new DefaultLogger('ERROR') }),
      activities: { step: async () => {} },
    });
    const workflowIds: string[] = [];
    let runs = 0;
    const { client } = temporal;
    const timed = async <R>(times: RequestTimes, kind: RequestKind, request: () => Promise<R>): Promise<R> => {
      const t0 = performance.now();
      const answer = await request();
      recordTime(times, kind, performance.now() - t0);
      return answer;
    };
    const run = async (times: RequestTimes, giveUpAt: number) => {
      const workflowId = `bare-${RUN_ID}-${runs++}`;
      const handle = await timed(times, 'bare: start', () => client.workflow.start<typeof bareOrderWorkflow>('bareOrderWorkflow', { taskQueue, workflowId }));
      workflowIds.push(workflowId);
      for (;;) {
        const status = await timed(times, 'bare: status query', () => handle.query(bareStatusQuery));
        if (status === 'allocated') break;
        if (Date.now() > giveUpAt) throw new GaveUpError(`a bare workflow was stuck in ${status}`);
        await sleep(pollMs);
      }
      await timed(times, 'bare: signal', () => handle.signal(bareShippedSignal));
      await timed(times, 'bare: signal', () => handle.signal(bareDeliveredSignal));
      // Both branches settle without rejecting, so the one that loses the race leaves nothing unhandled.
      const giveUp = new AbortController();
      const end = await Promise.race([
        handle.result().then(() => 'ended' as const, (error: unknown) => error),
        sleep(Math.max(0, giveUpAt - Date.now()), 'gave up' as const, { signal: giveUp.signal }).catch(() => 'gave up' as const),
      ]);
      giveUp.abort();
      if (end === 'gave up') throw new GaveUpError('a bare workflow did not end');
      if (end !== 'ended') throw end;
    };
    return await worker.runUntil(body({ run, workflowIds }));
  } finally {
    await connection.close();
  }
}

/** `runs` bare workflows, `inFlight` at a time (the closed loop). */
export async function runBare(
  temporal: { connection: TemporalConnectionOptions; namespace: string; client: Client },
  load: { runs: number; inFlight: number; pollMs: number; giveUpMs: number },
): Promise<WorkloadResult & { workflowIds: string[] }> {
  return withBareWorker(temporal, load.pollMs, async (bare) => {
    const times: RequestTimes = new Map();
    const result = await runWorkload('bare workflow', load.runs, load.inFlight, () => bare.run(times, Date.now() + load.giveUpMs));
    return { ...result, workflowIds: bare.workflowIds };
  });
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
