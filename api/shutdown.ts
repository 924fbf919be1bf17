/**
 * Stopping the API without cutting anyone off (a deploy's SIGTERM, Ctrl-C): readiness turns 503 at once so
 * a load balancer stops sending, the listener closes, and requests in flight get up to the grace period to
 * finish. Keep-alive connections are closed as soon as they fall idle, and answers given meanwhile carry
 * `Connection: close`; only what is still running when the grace period ends is cut.
 */
import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestHandler } from 'express';

export class Draining {
  private readonly controller = new AbortController();

  constructor() {
    // Every open event stream listens for the drain: no limit to warn at.
    setMaxListeners(0, this.controller.signal);
  }

  /** Aborted when the drain begins: long-lived answers (event streams) end on it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get started(): boolean {
    return this.controller.signal.aborted;
  }

  begin(): void {
    this.controller.abort();
  }

  /** Asks each client that still sends on an open connection to come back on a new one (to another instance). */
  readonly closeConnections: RequestHandler = (_req, res, next) => {
    if (this.started) res.setHeader('Connection', 'close');
    next();
  };
}

/** How a drain ended: every request finished, or some were still running at the end of the grace period and were cut. */
export type DrainOutcome = { drained: true } | { drained: false; cut: number };

export async function drain(server: Server, draining: Draining, graceMs: number): Promise<DrainOutcome> {
  draining.begin();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
  try {
    const finished = await Promise.race([closed.then(() => true), sleep(graceMs, false, { ref: false })]);
    if (finished) return { drained: true };
    const cut = await new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));
    server.closeAllConnections();
    await closed;
    return { drained: false, cut };
  } finally {
    clearInterval(closeIdle);
  }
}
