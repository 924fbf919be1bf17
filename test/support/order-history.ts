/**
 * How an order's workflow ran, read from its history: which workers ran its workflow tasks, how many
 * attempts each activity took and how long (server time: simulated time on the time-skipping test server)
 * from its scheduling to its end (the history records only an activity's last attempt, with its number);
 * what attempt those still running are at; and its result, or where it stands when that does not come.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { temporal } from '@temporalio/proto';

export interface ActivityRun {
  /** The activity's first argument. */
  input: unknown;
  /** The number of its last attempt. */
  attempts: number;
  /** The worker (`<pid>@<host>`) that ran its last attempt. */
  identity: string;
  /** How its last attempt ended. */
  outcome: 'completed' | 'failed' | 'timedOut';
  /** From its scheduling to its completion (or failure, or timeout), in ms of the server's time. */
  tookMs: number;
}

/** The runs of the order's activities of `activityType` that have ended, in the order they were scheduled. */
export async function activityRuns(handle: WorkflowHandle, activityType: string): Promise<ActivityRun[]> {
  const { events } = await handle.fetchHistory();
  const runs = new Map<string, { input: unknown; scheduledAt: number; attempts?: number; identity?: string; outcome?: ActivityRun['outcome']; endedAt?: number }>();
  for (const event of events ?? []) {
    const id = String(event.eventId);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === activityType) {
      const [input] = scheduled.input?.payloads?.map((payload) => defaultPayloadConverter.fromPayload(payload)) ?? [];
      runs.set(id, { input, scheduledAt: tsToMs(event.eventTime) });
    }
    const started = event.activityTaskStartedEventAttributes;
    const run = started && runs.get(String(started.scheduledEventId));
    if (run) Object.assign(run, { attempts: started.attempt ?? 1, identity: started.identity ?? '' });
    const endings = {
      completed: event.activityTaskCompletedEventAttributes,
      failed: event.activityTaskFailedEventAttributes,
      timedOut: event.activityTaskTimedOutEventAttributes,
    };
    for (const [outcome, ended] of Object.entries(endings) as Array<[ActivityRun['outcome'], { scheduledEventId?: unknown } | null | undefined]>) {
      const endedRun = ended && runs.get(String(ended.scheduledEventId));
      if (endedRun) Object.assign(endedRun, { outcome, endedAt: tsToMs(event.eventTime) });
    }
  }
  return [...runs.values()].flatMap(({ input, scheduledAt, attempts, identity, outcome, endedAt }) =>
    attempts !== undefined && outcome !== undefined && endedAt !== undefined
      ? [{ input, attempts, identity: identity ?? '', outcome, tookMs: endedAt - scheduledAt }]
      : [],
  );
}

export interface LocalActivityRun {
  /** The number of the attempt that ended it. */
  attempt: number;
  /** The worker (`<pid>@<host>`) whose workflow task recorded it. */
  identity: string;
  outcome: 'completed' | 'failed';
}

/** The runs of the order's local activities of `activityType`, from their markers, in the order they were recorded. */
export async function localActivityRuns(handle: WorkflowHandle, activityType: string): Promise<LocalActivityRun[]> {
  const { events } = await handle.fetchHistory();
  const taskWorkers = new Map((events ?? []).flatMap((event) => (event.workflowTaskCompletedEventAttributes ? [[String(event.eventId), event.workflowTaskCompletedEventAttributes.identity ?? '']] : [])));
  return (events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    const [data] = marker?.markerName === 'core_local_activity' ? (marker.details?.data?.payloads ?? []) : [];
    const run = data && (defaultPayloadConverter.fromPayload(data) as { activity_type: string; attempt: number });
    if (!run || run.activity_type !== activityType) return [];
    const identity = taskWorkers.get(String(marker!.workflowTaskCompletedEventId)) ?? '';
    return [{ attempt: run.attempt, identity, outcome: marker!.failure ? 'failed' : 'completed' } as const];
  });
}

/** The attempt each of the order's running (or retrying) activities of `activityType` is at. */
export async function pendingAttempts(handle: WorkflowHandle, activityType: string): Promise<number[]> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).filter((activity) => activity.activityType?.name === activityType).map((activity) => activity.attempt ?? 1);
}

/** Matches the identity (`<pid>@<host>`) of the worker in process `pid`. */
export const workerOf = (pid: number) => expect.stringMatching(new RegExp(`^${pid}@`));

/**
 * Worker identities (`<pid>@<host>`) that ran the order's workflow tasks, each once. (A workflow task the
 * server started anew after a restart of its own may carry no identity; it names no worker.)
 */
export async function workflowTaskWorkers(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return [...new Set(events!.flatMap((event) => event.workflowTaskStartedEventAttributes?.identity || []))];
}

/**
 * The workflow's result; after `timeoutMs`, an error that says where it stands: its status, pending
 * activities and workflow task, and its last history events (a wait on a local activity or a stuck
 * workflow task shows only there).
 */
export async function resultWithin<W extends Workflow>(handle: WorkflowHandle<W>, timeoutMs: number): Promise<WorkflowResultType<W>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(async () => {
      const stands = await Promise.all([handle.describe(), handle.fetchHistory()]).then(
        ([{ status, raw }, { events }]) =>
          `${status.name}, pending activities: ${JSON.stringify(raw.pendingActivities?.map((a) => ({ type: a.activityType?.name, attempt: a.attempt, lastFailure: a.lastFailure?.message })) ?? [])}` +
          `, pending workflow task: ${JSON.stringify(raw.pendingWorkflowTask ? { state: temporal.api.enums.v1.PendingWorkflowTaskState[raw.pendingWorkflowTask.state ?? 0], attempt: raw.pendingWorkflowTask.attempt } : null)}` +
          `, last events: ${(events ?? []).slice(-12).map((event) => `${event.eventId} ${temporal.api.enums.v1.EventType[event.eventType ?? 0]}`).join(', ')}`,
        (error) => `unknown (${error})`,
      );
      reject(new Error(`workflow ${handle.workflowId} did not end within ${timeoutMs} ms: ${stands}`));
    }, timeoutMs);
  });
  return Promise.race([handle.result(), late]).finally(() => clearTimeout(timer));
}
