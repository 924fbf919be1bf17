/**
 * A TCP proxy between a process under test and one of its servers, which a test can pause in either
 * direction: what arrives meanwhile is held (not lost) until `resume`, and `waitForHeld` tells when
 * something is held. So a test can stop a process at a chosen point of a conversation, e.g. the API after
 * it sent Temporal the start of a workflow (`toServer` paused: the start never arrives) or after Temporal
 * answered it (`toClient` paused: the answer never arrives), kill it there and `cut` its connections.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type Direction = 'toServer' | 'toClient';

export interface TcpProxy {
  /** `127.0.0.1:<port>` to give the process under test instead of the server's address. */
  address: string;
  pause(direction: Direction): void;
  /** Delivers what was held and lets everything through again. */
  resume(direction: Direction): void;
  /** Resolves once at least `bytes` are held in `direction` (on any connection). */
  waitForHeld(direction: Direction, bytes: number, timeoutMs: number): Promise<void>;
  /** Cuts every connection, what is held with it (never delivered), and lets new ones through. */
  cut(): void;
  close(): Promise<void>;
}

interface Pipe {
  held: Buffer[];
  write(chunk: Buffer): void;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const paused: Record<Direction, boolean> = { toServer: false, toClient: false };
  const pipes: Record<Direction, Set<Pipe>> = { toServer: new Set(), toClient: new Set() };
  const sockets = new Set<net.Socket>();

  /** Forwards `from` to `to`, holding chunks while `direction` is paused. */
  function pipe(direction: Direction, from: net.Socket, to: net.Socket): void {
    const entry: Pipe = { held: [], write: (chunk) => (to.destroyed ? undefined : void to.write(chunk)) };
    pipes[direction].add(entry);
    from.on('data', (chunk: Buffer) => (paused[direction] ? entry.held.push(chunk) : entry.write(chunk)));
    // When one side goes, the other goes too, and what was held for it with it.
    from.on('close', () => {
      pipes[direction].delete(entry);
      to.destroy();
    });
  }

  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    pipe('toServer', client, upstream);
    pipe('toClient', upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const heldBytes = (direction: Direction) => [...pipes[direction]].reduce((sum, p) => sum + p.held.reduce((n, c) => n + c.length, 0), 0);

  return {
    address: `127.0.0.1:${port}`,
    pause(direction) {
      paused[direction] = true;
    },
    resume(direction) {
      paused[direction] = false;
      for (const entry of pipes[direction]) for (const chunk of entry.held.splice(0)) entry.write(chunk);
    },
    async waitForHeld(direction, bytes, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (heldBytes(direction) < bytes) {
        if (Date.now() > deadline) throw new Error(`nothing (${heldBytes(direction)} of ${bytes} bytes) held ${direction} within ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    cut() {
      for (const socket of sockets) socket.destroy();
      for (const direction of ['toServer', 'toClient'] as const) {
        for (const entry of pipes[direction]) entry.held.length = 0;
        paused[direction] = false;
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
