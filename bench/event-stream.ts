/**
 * A server-sent event stream (text/event-stream) read with fetch: the framing parsed as the HTML standard
 * says (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation), and a
 * connection held open that reconnects with Last-Event-ID when it drops or falls silent. No SSE client is
 * among our dependencies, and the framing is a few lines.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerSentEvent {
  /** The `event:` field, `message` when there was none. */
  type: string;
  /** The `data:` lines joined by newlines. */
  data: string;
  /** The last event id at this event (its own `id:`, or the one before it). */
  id: string;
}

export interface EventStreamParser {
  /** The events that `text`, the next piece of the stream, completes. */
  feed(text: string): ServerSentEvent[];
  /** The id to resume from (sent as Last-Event-ID). */
  readonly lastEventId: string;
  /** The reconnection delay the stream asked for (`retry:`), if it did. */
  readonly retryMs: number | undefined;
}

/** A parser for one connection; `lastEventId` carries the id over from the connection before it. */
export function eventStreamParser(lastEventId = ''): EventStreamParser {
  let pending = '';
  let atStart = true;
  // A line that ended in \r at the end of a piece: a \n starting the next piece belongs to it.
  let skipNewline = false;
  let data: string[] = [];
  let type = '';
  let idBuffer = lastEventId;
  let lastId = lastEventId;
  let retryMs: number | undefined;

  const line = (text: string, events: ServerSentEvent[]) => {
    if (text === '') {
      lastId = idBuffer;
      if (data.length > 0) events.push({ type: type || 'message', data: data.join('\n'), id: lastId });
      data = [];
      type = '';
      return;
    }
    if (text.startsWith(':')) return; // a comment: the server's heartbeat
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + (text[colon + 1] === ' ' ? 2 : 1));
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\0')) idBuffer = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value);
  };

  return {
    feed(text) {
      if (atStart && text.length > 0) {
        text = text.replace(/^\uFEFF/, '');
        atStart = false;
      }
      if (skipNewline && text.startsWith('\n')) text = text.slice(1);
      skipNewline = false;
      pending += text;
      const events: ServerSentEvent[] = [];
      let start = 0;
      for (const end of pending.matchAll(/\r\n|\r|\n/g)) {
        line(pending.slice(start, end.index), events);
        start = end.index + end[0].length;
      }
      skipNewline = start > 0 && start === pending.length && pending.endsWith('\r');
      pending = pending.slice(start);
      return events;
    },
    get lastEventId() {
      return lastId;
    },
    get retryMs() {
      return retryMs;
    },
  };
}

export interface HeldEventStream {
  /** Times the stream dropped (or fell silent) and was opened again. */
  readonly reconnects: number;
  /** Closes it; resolves once it will not reopen. */
  close(): Promise<void>;
}

export interface EventStreamOptions {
  url: string;
  headers: Record<string, string>;
  onEvent(event: ServerSentEvent): void;
  /** The longest silence (no event, no heartbeat) before the connection counts as dropped. */
  idleMs: number;
}

const DEFAULT_RETRY_MS = 1_000;

/**
 * Opens the stream, resolving once the server has answered it (so nothing sent after that is missed), and
 * holds it until `close()`: whenever it ends, fails or is silent for `idleMs`, it opens it again after the
 * server's `retry:` delay (a second by default), from the last event id it saw. The first answer must be
 * a 2xx text/event-stream, or this rejects.
 */
export async function holdEventStream(options: EventStreamOptions): Promise<HeldEventStream> {
  let lastEventId = '';
  let retryMs = DEFAULT_RETRY_MS;
  let reconnects = 0;
  let closing = false;
  let connection = new AbortController();

  const open = async () => {
    connection = new AbortController();
    const response = await fetch(options.url, {
      headers: { ...options.headers, Accept: 'text/event-stream', ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
      signal: connection.signal,
    });
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok || !response.body || !contentType.startsWith('text/event-stream')) {
      const text = await response.text().catch(() => '');
      throw new Error(`GET ${new URL(options.url).pathname} answered ${response.status} ${contentType}: ${text.slice(0, 200)}`);
    }
    return response.body;
  };

  const read = async (body: ReadableStream<Uint8Array>) => {
    const parser = eventStreamParser(lastEventId);
    const decoder = new TextDecoder();
    const current = connection;
    let idle = setTimeout(() => current.abort(), options.idleMs);
    try {
      for await (const chunk of body) {
        clearTimeout(idle);
        idle = setTimeout(() => current.abort(), options.idleMs);
        for (const event of parser.feed(decoder.decode(chunk, { stream: true }))) {
          lastEventId = event.id;
          options.onEvent(event);
        }
        lastEventId = parser.lastEventId;
        retryMs = parser.retryMs ?? retryMs;
      }
    } catch {
      // Dropped, silent too long, or closed: the loop below tells which.
    } finally {
      clearTimeout(idle);
    }
  };

  const hold = async (body: ReadableStream<Uint8Array>) => {
    for (;;) {
      await read(body);
      if (closing) return;
      for (;;) {
        await sleep(retryMs);
        if (closing) return;
        try {
          body = await open();
          reconnects++;
          break;
        } catch (error) {
          if (closing) return;
          console.error(`[bench] the event stream did not reopen: ${error instanceof Error ? error.message : error}`);
        }
      }
    }
  };

  const held = hold(await open());
  return {
    get reconnects() {
      return reconnects;
    },
    async close() {
      closing = true;
      connection.abort();
      await held;
    },
  };
}
