/**
 * The open-loop modes of `npm run bench:orders`: orders, or bare workflows, arriving at a fixed rate for a
 * while, however many are in flight, each followed until delivered (bench/order-driver.ts,
 * bench/temporal-runs.ts); and the search for the highest rate a stack sustains (bench/open-loop.ts).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { failureReason, fmt, percentile, runArrivals } from './harness.js';
import { GaveUpError, isRetryAfter, isSustained, nextRate, summariseArrivals, sustainableRate, type ArrivalOutcome, type ArrivalSummary, type CapacitySearch } from './open-loop.js';
import { listWhile, RefusedError, runOrder, type Driver, type Follow } from './order-driver.js';
import type { CpuRow, RequestTimes } from './order-report.js';
import type { Stack } from './order-stack.js';
import { openOrderFeed } from './order-stream.js';
import { cpuBetween, treeCpu } from './process-cpu.js';
import type { BareRunner } from './temporal-runs.js';

export type FollowMode = 'poll' | 'stream';

export interface RateSettings {
  /** How long orders arrive. */
  seconds: number;
  /** An order's deadline, from its arrival. */
  deadlineMs: number;
  /** After the last arrival, how long the run keeps following what is not delivered yet. */
  drainMs: number;
}

/** One run at one rate: orders followed one way, or the bare workflow. */
export interface RateRun {
  name: string;
  side: 'orders' | 'bare';
  rate: number;
  seconds: number;
  /** From the first arrival until the last arrival ended. */
  took: number;
  summary: ArrivalSummary;
  requests: RequestTimes;
  /** CPU of each process over the run, until the last arrival ended. */
  cpu: CpuRow[];
  /** Times the order stream was opened again (when following by stream). */
  reconnects?: number;
  listFailures: string[];
}

/** Lets the stack settle between runs, once everything of the last one has ended. */
export const SETTLE_MS = 5_000;

const FOLLOWED_BY: Record<FollowMode, string> = { poll: 'orders, polled', stream: 'orders, by stream' };

async function outcomeOf(arrivedAt: number, follow: () => Promise<void>): Promise<ArrivalOutcome> {
  try {
    await follow();
    return { kind: 'delivered', ms: performance.now() - arrivedAt };
  } catch (error) {
    if (error instanceof RefusedError) return { kind: 'refused', retryAfter: isRetryAfter(error.retryAfter) };
    if (error instanceof GaveUpError) return { kind: 'not delivered' };
    return { kind: 'failed', reason: failureReason(error) };
  }
}

/** Arrivals at `rate` through `arrive` (which times its requests into `times`), measured: outcomes and each process's CPU. */
async function measureArrivals(
  run: Pick<RateRun, 'name' | 'side' | 'rate'>,
  settings: RateSettings,
  cpuPids: number[],
  times: RequestTimes,
  arrive: (index: number, giveUpAt: number) => Promise<void>,
): Promise<Omit<RateRun, 'listFailures'>> {
  const giveUpAt = Date.now() + settings.seconds * 1000 + settings.drainMs;
  const cpuBefore = await treeCpu(cpuPids);
  const started = performance.now();
  const outcomes = await runArrivals(run.rate, settings.seconds, (index, arrivedAt) => outcomeOf(arrivedAt, () => arrive(index, giveUpAt)));
  const took = (performance.now() - started) / 1000;
  const cpu = cpuBetween(cpuBefore, await treeCpu(cpuPids));
  return { ...run, seconds: settings.seconds, took, summary: summariseArrivals(outcomes, settings.deadlineMs), requests: times, cpu };
}

/**
 * Orders arriving at `rate` per second, each followed by `follow` (by stream: one stream for the run,
 * open before its first order), with the list reader running meanwhile. Accepted orders join `orderIds`.
 */
export async function ordersAtRate(
  stack: Stack,
  follow: FollowMode,
  rate: number,
  settings: RateSettings,
  cpuPids: number[],
  orderIds: string[],
  runName: string,
): Promise<RateRun> {
  const feed = follow === 'stream' ? await openOrderFeed(stack.apiUrl, 'dev-channel-web') : undefined;
  try {
    const how: Follow = feed ? { by: 'stream', feed } : { by: 'poll' };
    const driver: Driver = { stack, times: new Map(), listFailures: [] };
    let done = false;
    const lists = listWhile(driver, () => done);
    const run = await measureArrivals({ name: FOLLOWED_BY[follow], side: 'orders', rate }, settings, cpuPids, driver.times, (index, giveUpAt) =>
      runOrder(driver, how, runName, index, orderIds, giveUpAt),
    ).finally(() => {
      done = true;
    });
    await lists;
    return { ...run, reconnects: feed?.reconnects, listFailures: driver.listFailures };
  } finally {
    await feed?.close();
  }
}

/** Bare workflows arriving at `rate` per second, driven as the orders are. */
export async function bareAtRate(bare: BareRunner, rate: number, settings: RateSettings, cpuPids: number[]): Promise<RateRun> {
  const times: RequestTimes = new Map();
  const run = await measureArrivals({ name: 'bare workflow', side: 'bare', rate }, settings, cpuPids, times, (_, giveUpAt) => bare.run(times, giveUpAt));
  return { ...run, listFailures: [] };
}

export interface CapacityRun {
  /** Each rate tried, in order. */
  steps: RateRun[];
  /** The highest rate sustained below the lowest that was not; 0 when none was. */
  rate: number;
  /** Whether some rate was not sustained (else `rate` is only the highest tried). */
  bounded: boolean;
  seconds: number;
}

/**
 * Steps the arrival rate as `search` says, each step measured by `measure`, until a rate is not sustained:
 * an arrival not delivered within its deadline, or the end-to-end p99 past `maxP99Ms`. A step ends when
 * everything that arrived in it has ended; a short pause follows, so no backlog spills into the next.
 */
export async function findCapacity(label: string, measure: (rate: number) => Promise<RateRun>, search: CapacitySearch, maxP99Ms: number): Promise<CapacityRun> {
  const started = performance.now();
  const steps: RateRun[] = [];
  const held = () => steps.map((step) => ({ rate: step.rate, sustained: isSustained(step.summary, maxP99Ms) }));
  for (let rate = nextRate([], search); rate !== undefined; rate = nextRate(held(), search)) {
    const step = await measure(rate);
    steps.push(step);
    const { arrived, deliveredInTime, latencies } = step.summary;
    console.error(
      `[bench] ${label}: ${rate} per second: ${deliveredInTime} of ${arrived} delivered in time, end-to-end p99 ${fmt(percentile(latencies, 99) / 1000, 2)} s: ${held().at(-1)!.sustained ? 'held' : 'did not hold'}`,
    );
    await sleep(SETTLE_MS);
  }
  return { steps, rate: sustainableRate(held()), bounded: held().some((step) => !step.sustained), seconds: (performance.now() - started) / 1000 };
}
