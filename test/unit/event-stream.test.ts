import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { eventStreamParser, holdEventStream, type ServerSentEvent } from '../../bench/event-stream.js';

const ORDER_EVENTS = [
  ': heartbeat',
  '',
  'id: 0001',
  'event: order',
  'data: {"orderId":"ord_1","revision":1,"status":"received"}',
  '',
  'id: 0002',
  'event: order',
  'data: {"orderId":"ord_1",',
  'data: "revision":2,"status":"allocated"}',
  '',
  '',
].join('\n');

describe('the text/event-stream parser (bench --follow stream)', () => {
  it('reads events with their type, data and id, and skips heartbeat comments', () => {
    const parser = eventStreamParser();
    expect(parser.feed(ORDER_EVENTS)).toEqual([
      { type: 'order', data: '{"orderId":"ord_1","revision":1,"status":"received"}', id: '0001' },
      { type: 'order', data: '{"orderId":"ord_1",\n"revision":2,"status":"allocated"}', id: '0002' },
    ]);
    expect(parser.lastEventId).toBe('0002');
  });

  it('gives the same events however the stream is cut into pieces, with any of the three line ends', () => {
    const whole = eventStreamParser().feed(ORDER_EVENTS);
    fc.assert(
      fc.property(fc.constantFrom('\n', '\r\n', '\r'), fc.array(fc.nat(), { maxLength: 12 }), (lineEnd, cuts) => {
        const text = ORDER_EVENTS.replace(/\n/g, lineEnd);
        const at = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
        const parser = eventStreamParser();
        const events: ServerSentEvent[] = [];
        let from = 0;
        for (const to of [...at, text.length]) {
          events.push(...parser.feed(text.slice(from, to)));
          from = to;
        }
        expect(events).toEqual(whole);
      }),
    );
  });

  it('keeps the last id for events without one, and resumes from the id of the connection before', () => {
    const parser = eventStreamParser('0007');
    expect(parser.feed('data: a\n\nid: 0009\ndata: b\n\ndata: c\n\n')).toEqual([
      { type: 'message', data: 'a', id: '0007' },
      { type: 'message', data: 'b', id: '0009' },
      { type: 'message', data: 'c', id: '0009' },
    ]);
  });

  it('sets the id even from an event without data, which it does not dispatch', () => {
    const parser = eventStreamParser();
    expect(parser.feed('id: 0003\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('0003');
  });

  it('follows the field rules: one optional space after the colon, a bare field name, an id with NUL ignored, retry only as digits', () => {
    const parser = eventStreamParser();
    expect(parser.feed('data:no space\ndata:  two spaces\ndata\nid: a\0b\nretry: soon\n\n')).toEqual([
      { type: 'message', data: 'no space\n two spaces\n', id: '' },
    ]);
    expect(parser.retryMs).toBeUndefined();
    parser.feed('retry: 2500\n\n');
    expect(parser.retryMs).toBe(2500);
  });

  it('drops a byte order mark at the start, and an event the stream ended in the middle of', () => {
    const parser = eventStreamParser();
    expect(parser.feed('\uFEFFdata: first\n\ndata: cut off')).toEqual([{ type: 'message', data: 'first', id: '' }]);
  });
});

describe('an event stream held open', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** A server that answers each connection by `respond`, given the Last-Event-ID it was sent. */
  async function serve(respond: (lastEventId: string | undefined, response: http.ServerResponse, connection: number) => void): Promise<string> {
    let connections = 0;
    const server = http.createServer((request, response) => respond(request.headers['last-event-id'] as string | undefined, response, connections++));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/order-events`;
  }

  const streamHead = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' };

  it('reopens a dropped stream from the last event id it saw, and misses nothing', async () => {
    const asked: Array<string | undefined> = [];
    const url = await serve((lastEventId, response, connection) => {
      asked.push(lastEventId);
      response.writeHead(200, streamHead);
      const from = Number(lastEventId ?? 0);
      response.write('retry: 20\n\n');
      for (let id = from + 1; id <= from + 2; id++) response.write(`id: ${id}\nevent: order\ndata: ${id}\n\n`);
      if (connection === 0) response.end(); // dropped after two events
    });
    const seen: string[] = [];
    const stream = await holdEventStream({ url, headers: {}, idleMs: 10_000, onEvent: (event) => seen.push(event.data) });
    await expect.poll(() => seen.length).toBe(4);
    await stream.close();
    expect(seen).toEqual(['1', '2', '3', '4']);
    expect(asked).toEqual([undefined, '2']);
    expect(stream.reconnects).toBe(1);
  });

  it('counts a stream silent for longer than idleMs as dropped', async () => {
    const asked: Array<string | undefined> = [];
    const url = await serve((lastEventId, response) => {
      asked.push(lastEventId);
      response.writeHead(200, streamHead);
      response.write(`retry: 20\nid: ${asked.length}\ndata: hello\n\n`); // then nothing, not even a heartbeat
    });
    const stream = await holdEventStream({ url, headers: {}, idleMs: 200, onEvent: () => {} });
    await expect.poll(() => asked.length).toBeGreaterThanOrEqual(2);
    await stream.close();
    expect(asked.slice(0, 2)).toEqual([undefined, '1']);
  });

  it('rejects a first answer that is not an event stream, saying what came back', async () => {
    const url = await serve((_, response) => {
      response.writeHead(404, { 'Content-Type': 'application/problem+json' });
      response.end('{"title":"Not Found"}');
    });
    await expect(holdEventStream({ url, headers: {}, idleMs: 1_000, onEvent: () => {} })).rejects.toThrow(/answered 404 application\/problem\+json/);
  });
});
