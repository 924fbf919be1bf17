/**
 * Server-sent events (text/event-stream) as the API's streams send them: a `retry:` hint first, a comment
 * every KEEP_ALIVE_MS so that proxies keep the connection open, and an end when the API drains (the
 * `stopping` signal, api/shutdown.ts) or when the client reads so slowly that what waits for it passes
 * MAX_WAITING_BYTES: then it reconnects and resumes (Last-Event-ID), instead of the API holding its backlog.
 * Open streams are counted in the API's metrics (oms_event_streams_open).
 */
import { once } from 'node:events';
import type { Request, Response } from 'express';
import type { Gauge } from 'prom-client';

export const KEEP_ALIVE_MS = 15_000;
/** How long a client waits before it reconnects after the stream ended. */
export const RECONNECT_AFTER_MS = 1_000;
const MAX_WAITING_BYTES = 1 << 20;

export interface ServerSentEvent {
  id?: string;
  event: string;
  data: unknown;
}

/** One event as it goes on the wire: its data is JSON, on one line. */
export function formatEvent({ id, event, data }: ServerSentEvent): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface EventStream {
  /** Sends the event, unless the stream has ended. */
  send(event: ServerSentEvent): void;
  /** Resolves once the client has taken what was sent (for sending much at once); at once when ended. */
  drained(): Promise<void>;
  readonly ended: boolean;
  /** Runs `listener` once the stream has ended, by either side (at once when it has). */
  onEnd(listener: () => void): void;
}

export interface EventStreamOptions {
  stopping: AbortSignal;
  /** oms_event_streams_open, and the label of this kind of stream. */
  open: { gauge: Gauge<'stream'>; stream: string };
}

/** Answers the request with an event stream (200) and returns it. */
export function openEventStream(res: Response, { stopping, open }: EventStreamOptions): EventStream {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
  res.write(`retry: ${RECONNECT_AFTER_MS}\n\n`);
  open.gauge.inc({ stream: open.stream });
  const endListeners: Array<() => void> = [];
  let closed = false;
  const ended = () => closed || res.writableEnded || res.destroyed;

  const end = () => {
    if (!ended()) res.end();
  };
  const write = (text: string) => {
    if (ended()) return;
    res.write(text);
    if (res.writableLength > MAX_WAITING_BYTES) end();
  };
  const keepAlive = setInterval(() => write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  res.on('close', () => {
    closed = true;
    clearInterval(keepAlive);
    stopping.removeEventListener('abort', end);
    open.gauge.dec({ stream: open.stream });
    for (const listener of endListeners.splice(0)) listener();
  });
  if (stopping.aborted) end();
  else stopping.addEventListener('abort', end, { once: true });

  return {
    send: (event) => write(formatEvent(event)),
    drained: async () => {
      if (!ended() && res.writableNeedDrain) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    },
    get ended() {
      return ended();
    },
    onEnd(listener) {
      if (closed) listener();
      else endListeners.push(listener);
    },
  };
}

/**
 * Answers the request with what `follow` streams. `follow` opens the stream once it knows it may: what it
 * throws before is answered as a problem (404, 403, ...). A failure after the stream opened ends it, and
 * the client reconnects and resumes where it was.
 */
export async function serveEventStream(req: Request, res: Response, options: EventStreamOptions, follow: (open: () => EventStream) => Promise<void>): Promise<void> {
  try {
    await follow(() => openEventStream(res, options));
  } catch (error) {
    if (!res.headersSent) throw error;
    req.log.warn({ err: error }, 'an event stream failed; its client reconnects and resumes');
    res.end();
  }
}
