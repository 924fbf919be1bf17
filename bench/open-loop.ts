/**
 * The arithmetic of the open-loop modes of `npm run bench:orders` (--rate, --find-capacity): what became of
 * each arrival, what a run at one rate adds up to, whether the rate was sustained, which rate the capacity
 * search tries next, and whether a refusal's Retry-After says when to come back. Plain functions, no I/O.
 */
import { percentile } from './harness.js';

/** What became of one arrival (an order, or a bare workflow). */
export type ArrivalOutcome =
  /** Seen delivered `ms` after it arrived. */
  | { kind: 'delivered'; ms: number }
  /** Answered 503 at intake; `retryAfter` when the answer said when to come back. */
  | { kind: 'refused'; retryAfter: boolean }
  /** Accepted, and still not delivered when the run stopped following it: lost or stuck. */
  | { kind: 'not delivered' }
  /** Any other end: an error answer, or an order that became e.g. `failed`. */
  | { kind: 'failed'; reason: string };

/** Thrown by a follower that reached the run's end without seeing its order (or bare workflow) delivered. */
export class GaveUpError extends Error {}

export interface ArrivalSummary {
  arrived: number;
  /** Not refused. */
  accepted: number;
  refused: number;
  refusedWithRetryAfter: number;
  deliveredInTime: number;
  deliveredLate: number;
  notDelivered: number;
  /** Failures by reason. */
  failures: Map<string, number>;
  /** End-to-end ms of the delivered ones, late included, sorted. */
  latencies: Float64Array;
}

export function summariseArrivals(outcomes: ArrivalOutcome[], deadlineMs: number): ArrivalSummary {
  const summary: ArrivalSummary = {
    arrived: outcomes.length,
    accepted: 0,
    refused: 0,
    refusedWithRetryAfter: 0,
    deliveredInTime: 0,
    deliveredLate: 0,
    notDelivered: 0,
    failures: new Map(),
    latencies: new Float64Array(),
  };
  const latencies: number[] = [];
  for (const outcome of outcomes) {
    if (outcome.kind === 'refused') {
      summary.refused++;
      if (outcome.retryAfter) summary.refusedWithRetryAfter++;
      continue;
    }
    summary.accepted++;
    if (outcome.kind === 'delivered') {
      latencies.push(outcome.ms);
      if (outcome.ms <= deadlineMs) summary.deliveredInTime++;
      else summary.deliveredLate++;
    } else if (outcome.kind === 'not delivered') {
      summary.notDelivered++;
    } else {
      summary.failures.set(outcome.reason, (summary.failures.get(outcome.reason) ?? 0) + 1);
    }
  }
  summary.latencies = Float64Array.from(latencies).sort();
  return summary;
}

/** Every arrival delivered within its deadline (none refused, failed or late) and the end-to-end p99 within `maxP99Ms`. */
export function isSustained(summary: ArrivalSummary, maxP99Ms: number): boolean {
  return summary.arrived > 0 && summary.deliveredInTime === summary.arrived && percentile(summary.latencies, 99) <= maxP99Ms;
}

export interface CapacityStep {
  rate: number;
  sustained: boolean;
}

export interface CapacitySearch {
  startRate: number;
  /** Each step's rate is the last one's times this while every step holds. */
  factor: number;
  /** Steps that then halve (geometrically) the gap between the last rate sustained and the first not. */
  narrow: number;
}

/** Below this the search stops stepping down: the stack does not sustain even a trickle. */
export const LOWEST_RATE = 0.1;
/** Above this it stops stepping up: past what one benchmark process can drive. */
export const HIGHEST_RATE = 100;

const roundRate = (rate: number) => Math.round(rate * 100) / 100;

/**
 * The highest rate sustained below the lowest that was not (all of them when none failed); 0 when none held.
 * A noisy step that holds above a failed one does not count: the search reports what held below the failure.
 */
export function sustainableRate(steps: CapacityStep[]): number {
  const lowestFailed = Math.min(...steps.filter((s) => !s.sustained).map((s) => s.rate));
  return Math.max(0, ...steps.filter((s) => s.sustained && s.rate < lowestFailed).map((s) => s.rate));
}

/**
 * The rate the search tries after `steps`, or undefined when it is done: up by `factor` (to HIGHEST_RATE)
 * until a rate does not hold (down by it, to LOWEST_RATE, while none has held yet), then `narrow` steps
 * between the last rate that held and the first that did not.
 */
export function nextRate(steps: CapacityStep[], search: CapacitySearch): number | undefined {
  if (steps.length === 0) return search.startRate;
  if (steps.every((s) => s.sustained)) {
    const higher = roundRate(steps[steps.length - 1].rate * search.factor);
    return higher <= HIGHEST_RATE ? higher : undefined;
  }
  const failed = Math.min(...steps.filter((s) => !s.sustained).map((s) => s.rate));
  const held = sustainableRate(steps);
  if (held === 0) {
    const lower = roundRate(failed / search.factor);
    return lower >= LOWEST_RATE ? lower : undefined;
  }
  const bracketedAt = steps.findIndex((_, i) => {
    const upTo = steps.slice(0, i + 1);
    return upTo.some((s) => s.sustained) && upTo.some((s) => !s.sustained);
  });
  if (steps.length - 1 - bracketedAt >= search.narrow) return undefined;
  const middle = roundRate(Math.sqrt(held * failed));
  return middle > held && middle < failed ? middle : undefined;
}

const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Whether a Retry-After header says when to come back: seconds, or an HTTP date (RFC 9110, 10.2.3). */
export function isRetryAfter(value: string | null): boolean {
  return retryAfterMs(value, 0) !== undefined;
}

/** How long a Retry-After header says to wait from `now` (never less than 0), or undefined when it says nothing valid. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = HTTP_DATE.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
