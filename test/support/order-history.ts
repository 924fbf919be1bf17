/**
 * How an order's workflow ran, read from its history: which workers ran its workflow tasks, how many
 * attempts each activity took and how long (server time: simulated time on the time-skipping test server)
 * from its scheduling to its end (the history records only an activity's last attempt, with its number);
 * what attempt those still running are at; and its result, or where it stands when that does not come.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';

export interface ActivityRun {
  /** The activity's first argument. */
  input: unknown;
  /** The number of its last attempt. */
  attempts: number;
  /** From its scheduling to its completion (or failure, or timeout), in ms of the server's time. */
  tookMs: number;
}

/** The runs of the order's activities of `activityType` that have ended, in the order they were scheduled. */
export async function activityRuns(handle: WorkflowHandle, activityType: string): Promise<ActivityRun[]> {
  const { events } = await handle.fetchHistory();
  const runs = new Map<string, { input: unknown; scheduledAt: number; attempts?: number; endedAt?: number }>();
  for (const event of events ?? []) {
    const id = String(event.eventId);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === activityType) {
      const [input] = scheduled.input?.payloads?.map((payload) => defaultPayloadConverter.fromPayload(payload)) ?? [];
      runs.set(id, { input, scheduledAt: tsToMs(event.eventTime) });
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started && runs.has(String(started.scheduledEventId))) runs.get(String(started.scheduledEventId))!.attempts = started.attempt ?? 1;
    const ended =
      event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
    if (ended && runs.has(String(ended.scheduledEventId))) runs.get(String(ended.scheduledEventId))!.endedAt = tsToMs(event.eventTime);
  }
  return [...runs.values()].flatMap(({ input, scheduledAt, attempts, endedAt }) =>
    attempts !== undefined && endedAt !== undefined ? [{ input, attempts, tookMs: endedAt - scheduledAt }] : [],
  );
}

/** The attempt each of the order's running (or retrying) activities of `activityType` is at. */
export async function pendingAttempts(handle: WorkflowHandle, activityType: string): Promise<number[]> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).filter((activity) => activity.activityType?.name === activityType).map((activity) => activity.attempt ?? 1);
}

/**
 * Worker identities (`<pid>@<host>`) that ran the order's workflow tasks, each once. (A workflow task the
 * server started anew after a restart of its own may carry no identity; it names no worker.)
 */
export async function workflowTaskWorkers(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return [...new Set(events!.flatMap((event) => event.workflowTaskStartedEventAttributes?.identity || []))];
}

/** The workflow's result; after `timeoutMs`, an error that says where it stands (its status and pending activities). */
export async function resultWithin<W extends Workflow>(handle: WorkflowHandle<W>, timeoutMs: number): Promise<WorkflowResultType<W>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(async () => {
      const stands = await handle.describe().then(
        ({ status, raw }) =>
          `${status.name}, pending activities: ${JSON.stringify(raw.pendingActivities?.map((a) => ({ type: a.activityType?.name, attempt: a.attempt, lastFailure: a.lastFailure?.message })) ?? [])}`,
        (error) => `unknown (${error})`,
      );
      reject(new Error(`workflow ${handle.workflowId} did not end within ${timeoutMs} ms: ${stands}`));
    }, timeoutMs);
  });
  return Promise.race([handle.result(), late]).finally(() => clearTimeout(timer));
}
