/**
 * Refusal before collapse: while the engine is too far behind, intake and changes to running orders are
 * answered at once with 503 and `Retry-After` instead of being accepted to take minutes, so that the
 * orders already accepted, their shipment events and every read keep the capacity there is.
 *
 * One sampler per API process measures every second:
 * - the intake lag: how long the oldest order accepted has waited for its workflow's first save
 *   (persistence/engine-intake.ts). It measures the whole engine (workers, their database, Temporal) and
 *   grows as soon as the engine falls behind, where the task queue's backlog stays empty while a
 *   saturated worker holds the tasks it took;
 * - the order task queue's backlog as Temporal reports it (DescribeTaskQueue with stats, for workflow and
 *   activity tasks: how long the oldest task has waited for a worker): no worker polls, or too few;
 * - this process's own event-loop delay.
 * The decision (domain/admission.ts) is kept in memory; a request only reads it. A measure that cannot be
 * read refuses nothing by itself: intake's own handling of an unreachable Temporal or database applies.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import type { Logger } from 'pino';
import { ADMISSION_SAMPLE_INTERVAL_MS, ADMITTING, nextAdmission, oldestBacklogMs, type Admission, type AdmissionSettings, type Backlog, type LagSample } from '../domain/admission.js';
import { engineIntakeLagMs } from '../persistence/engine-intake.js';
import { routeTemplate, type AdmissionMetrics } from './metrics.js';
import { problems } from './problem.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

/** The event-loop monitor's timer period; what it reports beyond it is the delay. */
const LOOP_RESOLUTION_MS = 10;
/** One backlog read may take this long before it counts as failed (the server answers in 5-20 ms). */
const BACKLOG_READ_DEADLINE_MS = 5_000;
/** A reading older than this (reads failing or slow) is not used. Temporal itself refreshes the backlog every 5 s. */
const READING_STALE_MS = 10_000;

/** The order task queue's two kinds of task: a backlog of either means work waits for a worker. */
const BACKLOG_TYPES = [
  { label: 'workflow', type: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW },
  { label: 'activity', type: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY },
];

export interface AdmissionOptions {
  temporal: Client;
  taskQueue: string;
  /** Undefined: everything is admitted and nothing is measured. */
  settings: AdmissionSettings | undefined;
  metrics: AdmissionMetrics;
  logger: Logger;
  /** Sampling stops when it is aborted (the process drains). */
  stopping: AbortSignal;
}

/** What the request log records of a refused request (api/request-log.ts). */
export interface Refusal {
  reason: string;
  retryAfterSeconds: number;
}

/** Route middleware for intake and changes: passes the request on, or refuses it while the engine is behind. */
export function admissionControl({ temporal, taskQueue, settings, metrics, logger, stopping }: AdmissionOptions): RequestHandler {
  if (!settings) return (_req, _res, next) => next();
  let admission: Admission = ADMITTING;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const intake = settings.maxIntakeLagMs === undefined ? undefined : backgroundReading(() => engineIntakeLagMs(Date.now()), 'the intake lag from the database', logger);
  const backlog = settings.maxBacklogAgeMs === undefined ? undefined : backgroundReading(orderQueueBacklog(temporal, taskQueue), `the backlog of task queue "${taskQueue}" from Temporal`, logger);

  const sample = () => {
    const eventLoopDelayMs = loop.count > 0 ? Math.max(0, loop.mean / 1e6 - LOOP_RESOLUTION_MS) : 0;
    loop.reset();
    const lag: LagSample = { intakeLagMs: intake?.latest(), backlogs: backlog?.latest(), eventLoopDelayMs };
    intake?.refresh();
    backlog?.refresh();
    const next = nextAdmission(admission, lag, settings);
    if (admission.admitting !== next.admitting) {
      const measured = { intakeLagMs: lag.intakeLagMs, backlogAgeMs: oldestBacklogMs(lag), eventLoopDelayMs: Math.round(eventLoopDelayMs), bounds: settings };
      if (next.admitting) logger.info(measured, 'admission: taking new orders and changes again');
      else logger.warn({ ...measured, reasons: next.reasons, retryAfterSeconds: next.retryAfterSeconds }, 'admission: the engine is behind; refusing new orders and changes');
    }
    admission = next;
    record(metrics, lag, next);
  };
  const timer = setInterval(sample, ADMISSION_SAMPLE_INTERVAL_MS);
  timer.unref();
  stopping.addEventListener('abort', () => {
    clearInterval(timer);
    loop.disable();
  }, { once: true });

  return (req, res, next) => {
    if (admission.admitting) return next();
    const refusal: Refusal = { reason: admission.reasons.join('+'), retryAfterSeconds: admission.retryAfterSeconds };
    metrics.refusals.inc({ route: routeTemplate(req), reason: refusal.reason });
    res.locals.refusal = refusal;
    res.set('Retry-After', String(refusal.retryAfterSeconds));
    next(problems.unavailable(
      `The engine is behind with the orders it has, so it takes on no new orders or changes to orders for now; nothing was changed by this request. Send it again in ${refusal.retryAfterSeconds} seconds (Retry-After).`,
    ));
  };
}

function record(metrics: AdmissionMetrics, lag: LagSample, admission: Admission): void {
  metrics.refusing.set(admission.admitting ? 0 : 1);
  if (lag.intakeLagMs === undefined) metrics.intakeLag.reset();
  else metrics.intakeLag.set(lag.intakeLagMs / 1_000);
  metrics.eventLoopDelay.set(lag.eventLoopDelayMs / 1_000);
  for (const [index, { label }] of BACKLOG_TYPES.entries()) {
    const backlog = lag.backlogs?.[index];
    if (backlog) {
      metrics.backlogAge.set({ type: label }, backlog.ageMs / 1_000);
      metrics.backlogTasks.set({ type: label }, backlog.count);
    } else {
      metrics.backlogAge.remove({ type: label });
      metrics.backlogTasks.remove({ type: label });
    }
  }
}

/** The order task queue's backlog of workflow and of activity tasks. */
function orderQueueBacklog(temporal: Client, taskQueue: string): () => Promise<Backlog[]> {
  const readType = async (taskQueueType: (typeof BACKLOG_TYPES)[number]['type']): Promise<Backlog> => {
    const { stats } = await temporal.connection.withDeadline(Date.now() + BACKLOG_READ_DEADLINE_MS, () =>
      temporal.workflowService.describeTaskQueue({
        namespace: temporal.options.namespace,
        taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType,
        reportStats: true,
      }),
    );
    if (!stats) throw new Error('the server reports no task queue statistics (Temporal Server 1.28 and later do)');
    return { ageMs: optionalTsToMs(stats.approximateBacklogAge) ?? 0, count: Number(stats.approximateBacklogCount ?? 0), dispatchPerSecond: stats.tasksDispatchRate ?? 0 };
  };
  return () => Promise.all(BACKLOG_TYPES.map(({ type }) => readType(type)));
}

/**
 * A measure read in the background (one read at a time) so that a slow source never holds up a sample:
 * `latest()` is the last reading while it is fresh, `refresh()` starts a read. A failure is logged when it
 * begins and when it ends, not every second.
 */
function backgroundReading<T>(read: () => Promise<T>, what: string, logger: Logger) {
  let reading: { value: T; at: number } | undefined;
  let inFlight = false;
  let failing = false;
  return {
    latest: () => (reading && Date.now() - reading.at <= READING_STALE_MS ? reading.value : undefined),
    refresh: () => {
      if (inFlight) return;
      inFlight = true;
      read()
        .then((value) => {
          reading = { value, at: Date.now() };
          if (failing) logger.info(`admission: reading ${what} again`);
          failing = false;
        })
        .catch((error: unknown) => {
          if (!failing) logger.warn({ err: error }, `admission: cannot read ${what}; until it can, it refuses nothing`);
          failing = true;
        })
        .finally(() => {
          inFlight = false;
        });
    },
  };
}
