/**
 * A client of the API's event streams (server-sent events) for tests, reading them as the WHATWG HTML
 * standard says an EventSource does: blocks of `field: value` lines ended by an empty line, `:` comments,
 * `id`, `event`, `data` and `retry`. Unlike an EventSource it sends any headers (a Bearer key) and shows
 * what a refusal answered.
 */
export interface StreamEvent {
  id?: string;
  event: string;
  data: string;
}

export interface OpenedStream {
  status: number;
  headers: Headers;
  /** A refusal's body (problem+json), parsed. */
  // Tests read whatever the API answered; the assertions say what it must be.
  problem?: any;
  /** Every event so far, in order. */
  events: StreamEvent[];
  /** Comments (`: keep-alive`) and `retry:` values seen so far. */
  comments: string[];
  retry?: number;
  /** Resolves once `count` events have come (or the stream ends or `timeoutMs` passes: then it rejects). */
  waitFor(count: number, timeoutMs?: number): Promise<StreamEvent[]>;
  /** Resolves with the first event so far or to come that `matches`. */
  waitUntil(matches: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  /** Resolves once the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<OpenedStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: StreamEvent[] = [];
  const comments: string[] = [];
  const waiting = new Set<() => void>();
  const notify = () => waiting.forEach((check) => check());
  let finished = false;
  const stream: OpenedStream = {
    status: response.status,
    headers: response.headers,
    events,
    comments,
    waitFor: (count, timeoutMs = 20_000) => wait(() => (events.length >= count ? events.slice(0, count) : undefined), timeoutMs, `${count} events`),
    waitUntil: (matches, timeoutMs = 20_000) => wait(() => events.find(matches), timeoutMs, 'a matching event'),
    ended: Promise.resolve(),
    close: () => abort.abort(),
  };

  function wait<T>(found: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(events, null, 1)}`)), timeoutMs);
      const check = () => {
        const value = found();
        if (value !== undefined) done(undefined, value);
        else if (finished) done(new Error(`the stream ended before ${what}; got ${JSON.stringify(events, null, 1)}`));
      };
      const done = (error?: Error, value?: T) => {
        clearTimeout(timer);
        waiting.delete(check);
        if (error) reject(error);
        else resolve(value as T);
      };
      waiting.add(check);
      check();
    });
  }

  if (response.status !== 200) {
    stream.problem = /json/.test(response.headers.get('content-type') ?? '') ? await response.json() : await response.text();
    return stream;
  }

  const read = async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    let block: Partial<StreamEvent> & { data?: string } = {};
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n'); end !== -1; end = buffer.indexOf('\n')) {
          const line = buffer.slice(0, end).replace(/\r$/, '');
          buffer = buffer.slice(end + 1);
          if (line === '') {
            if (block.data !== undefined) events.push({ id: block.id, event: block.event ?? 'message', data: block.data });
            block = {};
            notify();
            continue;
          }
          if (line.startsWith(':')) {
            comments.push(line.slice(1).trim());
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') block.data = block.data === undefined ? value : `${block.data}\n${value}`;
          else if (field === 'id') block.id = value;
          else if (field === 'event') block.event = value;
          else if (field === 'retry') stream.retry = Number(value);
        }
      }
    } catch {
      // closed by us
    } finally {
      finished = true;
      notify();
    }
  };
  stream.ended = read();
  return stream;
}

/** The data of an event, parsed. */
// Tests read whatever the API sent; the assertions say what it must be.
export const dataOf = (event: StreamEvent): any => JSON.parse(event.data);
