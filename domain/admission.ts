/**
 * Admission control, the decision: whether the API takes on new work (orders, changes to running orders)
 * given how far behind the engine is, and when a refused client should come back. Pure; api/admission.ts
 * measures every second and applies the last decision to each request.
 */

/** The bounds past which intake and changes are refused; an undefined bound is not checked (`off`). */
export interface AdmissionSettings {
  /** The oldest order accepted that the engine has not taken up yet (its workflow's first save), in ms. */
  maxIntakeLagMs: number | undefined;
  /** The oldest task waiting in the order task queue (workflow or activity tasks), in ms. */
  maxBacklogAgeMs: number | undefined;
  /** The API process's event-loop delay, its mean over the last sampling interval, in ms. */
  maxEventLoopDelayMs: number | undefined;
}

/** One task type's backlog in the order task queue, as Temporal reports it (DescribeTaskQueue with stats). */
export interface Backlog {
  /** How long the oldest waiting task has waited. */
  ageMs: number;
  count: number;
  /** Tasks the workers took from the queue per second, averaged by Temporal over the last 30 s. */
  dispatchPerSecond: number;
}

/** One reading of how far behind the engine is. */
export interface LagSample {
  /** How long the oldest order accepted has waited for the engine; undefined when it could not be read. */
  intakeLagMs: number | undefined;
  /** The workflow and activity tasks' backlogs; undefined when Temporal could not be asked. */
  backlogs: Backlog[] | undefined;
  eventLoopDelayMs: number;
}

export type RefusalReason = 'intake' | 'backlog' | 'event-loop';

export type Admission = { admitting: true } | { admitting: false; reasons: RefusalReason[]; retryAfterSeconds: number };

export const ADMITTING: Admission = { admitting: true };

/** How often the API measures, and so the soonest a decision can change. */
export const ADMISSION_SAMPLE_INTERVAL_MS = 1_000;

/**
 * Once refusing, the API admits again only when every measure is below this share of its bound: a measure
 * hovering at its bound (the event loop eases as soon as intake stops) would otherwise flap every second.
 */
export const RESUME_BELOW_SHARE = 0.5;

/** Retry-After never says less than the sampling interval: the answer cannot change sooner. */
export const MIN_RETRY_AFTER_S = Math.ceil(ADMISSION_SAMPLE_INTERVAL_MS / 1_000);

/**
 * Nor more than a minute: Temporal averages the dispatch rate over the last 30 s, so an estimate reaching
 * further than twice that is a guess, and a client told to stay away longer would not come back when the
 * engine has room again.
 */
export const MAX_RETRY_AFTER_S = 60;

/** The decision after `sample`, given the one before it (refusing ends only below RESUME_BELOW_SHARE of each bound). */
export function nextAdmission(previous: Admission, sample: LagSample, settings: AdmissionSettings): Admission {
  const share = previous.admitting ? 1 : RESUME_BELOW_SHARE;
  const reasons: RefusalReason[] = [];
  if (settings.maxIntakeLagMs !== undefined && (sample.intakeLagMs ?? 0) > settings.maxIntakeLagMs * share) reasons.push('intake');
  if (settings.maxBacklogAgeMs !== undefined && oldestBacklogMs(sample) > settings.maxBacklogAgeMs * share) reasons.push('backlog');
  if (settings.maxEventLoopDelayMs !== undefined && sample.eventLoopDelayMs > settings.maxEventLoopDelayMs * share) reasons.push('event-loop');
  return reasons.length === 0 ? ADMITTING : { admitting: false, reasons, retryAfterSeconds: retryAfterSeconds(sample, reasons) };
}

/** The age of the oldest task waiting, of any type; 0 when Temporal could not be asked (that alone refuses nothing). */
export function oldestBacklogMs(sample: LagSample): number {
  return Math.max(0, ...(sample.backlogs ?? []).map((backlog) => backlog.ageMs));
}

/**
 * When to come back, in whole seconds:
 * - for the intake, the age of the oldest order waiting for the engine: orders sent now would wait behind
 *   those about as long;
 * - for the backlog, the time the workers need to take the tasks already waiting at the pace they take them
 *   now (tasks ahead / dispatch rate): work sent sooner would only wait behind them; with no task taken at
 *   all (no worker polls), the longest;
 * - for the event loop, the next sample: the API admits again as soon as its loop has caught up.
 */
export function retryAfterSeconds(sample: LagSample, reasons: RefusalReason[]): number {
  const estimates = reasons.map((reason) => {
    if (reason === 'event-loop') return ADMISSION_SAMPLE_INTERVAL_MS / 1_000;
    if (reason === 'intake') return (sample.intakeLagMs ?? 0) / 1_000;
    return Math.max(...(sample.backlogs ?? []).map(({ count, dispatchPerSecond }) => (count === 0 ? 0 : dispatchPerSecond > 0 ? count / dispatchPerSecond : Infinity)));
  });
  return Math.min(MAX_RETRY_AFTER_S, Math.max(MIN_RETRY_AFTER_S, Math.ceil(Math.max(...estimates))));
}
