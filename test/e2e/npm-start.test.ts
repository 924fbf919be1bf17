/**
 * `npm start` end to end: the launcher (stack/start.ts) brings up its own Temporal dev server with UI,
 * FerretDB, Mailpit, the worker and the API on free ports with data in a temp dir; an order goes from
 * intake to delivered through HTTP only, and its emails arrive in Mailpit; Ctrl-C (SIGINT) stops
 * everything and leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { descendantsIn, hasProcessTable, readProcessTable, type ProcessEntry } from '../../stack/process-table.js';
import { findFreePort, isPortFree, repoRoot } from '../../stack/processes.js';

const STARTUP_TIMEOUT_MS = 90_000;
const SHUTDOWN_TIMEOUT_MS = 30_000;

let launcher: ChildProcess | undefined;
let output = '';
let closed = false;
/** Every process seen under the launcher, so cleanup can reach them even if the launcher is gone. */
const seenPids = new Set<number>();
let dataDir: string | undefined;

// ---------------------------------------------------------------------------------------------------------
// helpers

/** `count` distinct free ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await findFreePort());
  return [...ports];
}

/** The processes under `pid`, each after its parent; remembered for the cleanup. */
async function descendantsOf(pid: number): Promise<ProcessEntry[]> {
  const descendants = descendantsIn(await readProcessTable(), [pid]);
  for (const descendant of descendants) seenPids.add(descendant.pid);
  return descendants;
}

/** Those of `pids` still running. A zombie is not: it has exited, only its parent has not reaped it yet. */
async function stillRunning(pids: number[]): Promise<number[]> {
  const running = new Set((await readProcessTable()).filter((entry) => entry.state !== 'Z').map((entry) => entry.pid));
  return pids.filter((pid) => running.has(pid));
}

/** Kills a process and its process group if it has one of its own (start.ts runs children in their own). */
function killHard(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // gone, or not a group leader
    }
  }
}

/** Polls `probe` until it returns a value; fails early, with the launcher's output, if the launcher exits. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (launcher && (launcher.exitCode !== null || launcher.signalCode !== null)) {
      throw new Error(`npm start exited (${launcher.exitCode ?? launcher.signalCode}) while waiting for ${what}. Output:\n${output}`);
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last error: ${String(lastError)}). Output:\n${output}`);
    }
    await sleep(250);
  }
}

/** Settles when the child has exited and its output is drained. */
function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (closed) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

// ---------------------------------------------------------------------------------------------------------

afterAll(async () => {
  // Only when the test failed half-way: stop the launcher gently, then make sure nothing of it survives.
  if (launcher?.pid && !closed) {
    await descendantsOf(launcher.pid);
    launcher.kill('SIGINT');
    await Promise.race([exitOf(launcher), sleep(SHUTDOWN_TIMEOUT_MS)]);
    killHard(launcher.pid);
  }
  // None if the test stopped before npm start, perhaps for want of /proc, which stillRunning reads.
  if (seenPids.size > 0) for (const pid of await stillRunning([...seenPids])) killHard(pid);
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it(
    'runs the whole stack: an order goes from intake to delivered over HTTP, and Ctrl-C stops everything',
    async () => {
      // Fail now rather than after the stack is up: the test finds the processes npm start runs in /proc.
      if (!hasProcessTable()) throw new Error('this test needs /proc (Linux procfs) to see the processes npm start runs, and this machine has none');
      const [apiPort, temporalPort, temporalUiPort, ferretdbPort, smtpPort, mailpitUiPort, workerMetricsPort] = await freePorts(7);
      dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-e2e-'));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PORT: String(apiPort),
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(temporalUiPort),
        FERRETDB_PORT: String(ferretdbPort),
        SMTP_PORT: String(smtpPort),
        MAILPIT_UI_PORT: String(mailpitUiPort),
        WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
        DATA_DIR: dataDir,
      };
      // The embedded stack, whatever the caller's environment says (a Temporal profile or TLS settings included).
      for (const name of Object.keys(env)) {
        if (/^TEMPORAL_(?!PORT$|UI_PORT$)/.test(name) || ['MONGODB_URI', 'SMTP_URL', 'MAIL_FROM', 'API_KEYS', 'NODE_ENV', 'WORKER_PROCESSES', 'API_PROCESSES'].includes(name)) delete env[name];
      }

      // Its own process group, as in a terminal: the signal below reaches the launcher only.
      launcher = spawn(process.execPath, ['--import', 'tsx', 'stack/start.ts'], {
        cwd: repoRoot,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      launcher.once('close', () => (closed = true));

      // --- up: the banner, then a healthy API ---
      const startedAt = Date.now();
      await waitFor('the "is up" banner', STARTUP_TIMEOUT_MS, async () => (output.includes('Fulfillment engine is up.') ? true : undefined));
      const baseUrl = `http://localhost:${apiPort}`;
      expect(output).toContain(`API          ${baseUrl}`);
      expect(output).toContain(`Console      ${baseUrl}/console`);
      expect(output).toContain('dev-channel-web');
      expect(output).toContain(`Mailpit UI   http://localhost:${mailpitUiPort}`);
      expect(output).toContain(`SMTP         smtp://127.0.0.1:${smtpPort}`);
      await waitFor('GET /health = 200', STARTUP_TIMEOUT_MS - (Date.now() - startedAt), async () => {
        const response = await fetch(`${baseUrl}/health`);
        return response.status === 200 ? true : undefined;
      });

      const api = async (method: string, urlPath: string, key: string, body?: unknown) => {
        const response = await fetch(`${baseUrl}${urlPath}`, {
          method,
          headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        return { status: response.status, body: await response.json() };
      };
      const orderStatus = async (orderId: string, status: string) =>
        waitFor(`order ${orderId} to be ${status}`, 30_000, async () => {
          const { body } = await api('GET', `/v1/orders/${orderId}`, 'dev-support');
          return body.status === status ? body : undefined;
        });

      // --- an order through its whole life, over HTTP only ---
      const warehouse = { name: 'Berlin', country: 'DE', location: { lat: 52.52, lng: 13.405 } };
      expect((await api('PUT', '/v1/warehouses/wh-berlin', 'dev-admin', warehouse)).status).toBe(201);
      expect((await api('PUT', '/v1/inventory/E2E-MUG/wh-berlin', 'dev-warehouse', { onHand: 5 })).body).toMatchObject({ onHand: 5, available: 5 });

      const created = await api('POST', '/v1/orders', 'dev-channel-web', {
        externalId: 'e2e-1',
        customer: { id: 'cust-e2e', email: 'e2e@example.com' },
        shippingAddress: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
        lines: [{ sku: 'E2E-MUG', quantity: 2, unitPrice: 900 }],
        currency: 'EUR',
        payment: { token: 'tok_ok' },
      });
      expect(created.status).toBe(202);
      const { orderId } = created.body as { orderId: string };

      const allocated = await orderStatus(orderId, 'allocated');
      const { shipmentId } = allocated.shipments[0];

      // --- the database dies mid-order: npm start restarts it, the API and worker reconnect, the order goes on ---
      const ferretdbPid = (await descendantsOf(launcher.pid!)).find((entry) => entry.commandLine.includes(`127.0.0.1:${ferretdbPort}`))?.pid;
      expect(ferretdbPid, 'the FerretDB process').toBeDefined();
      process.kill(ferretdbPid!, 'SIGKILL');
      await waitFor('the restart notice', 15_000, async () => (output.includes('ferretdb was killed by SIGKILL unexpectedly; restarting it') ? true : undefined));
      await waitFor('ferretdb running again', 30_000, async () => (output.includes('ferretdb is running again') ? true : undefined));
      await waitFor('GET /health/ready = 200 again', 30_000, async () => ((await fetch(`${baseUrl}/health/ready`)).status === 200 ? true : undefined));
      expect((await api('POST', `/v1/shipments/${shipmentId}/events`, 'dev-warehouse', { type: 'shipped' })).status).toBe(202);
      expect((await api('POST', `/v1/shipments/${shipmentId}/events`, 'dev-warehouse', { type: 'delivered' })).status).toBe(202);
      await orderStatus(orderId, 'delivered');
      expect((await api('GET', '/v1/inventory/E2E-MUG', 'dev-support')).body).toMatchObject({ available: 3 });

      // --- the customer got real email: confirmation, shipped, delivered, caught by Mailpit ---
      const mailpitApi = `http://127.0.0.1:${mailpitUiPort}/api/v1`;
      // By Message-ID: the database was killed right after allocation, which may land between the mail
      // server taking the confirmation and its record being marked sent; the retry then sends it again
      // with the same Message-ID (services/notifications.ts), which mail clients recognise as one message.
      const subjects = await waitFor('three emails in Mailpit', 15_000, async () => {
        const { messages } = (await (await fetch(`${mailpitApi}/messages`)).json()) as {
          messages: Array<{ MessageID: string; Subject: string; To: Array<{ Address: string }> }>;
        };
        const toCustomer = new Map(messages.filter((m) => m.To.some((to) => to.Address === 'e2e@example.com')).map((m) => [m.MessageID, m.Subject]));
        return toCustomer.size >= 3 ? [...toCustomer.values()].sort() : undefined;
      });
      expect(subjects).toEqual(['A parcel of your order e2e-1 is on its way', 'Delivered: order e2e-1', 'We have your order e2e-1']);

      // --- the console is served by this stack: its sign-in page, with its stylesheet ---
      const signIn = await fetch(`${baseUrl}/console/sign-in`);
      expect(signIn.status).toBe(200);
      expect(await signIn.text()).toContain('<label for="apiKey">API key</label>');
      expect((await fetch(`${baseUrl}/console/assets/console.css`)).status).toBe(200);

      // --- operators see it in the metrics: the API's (HTTP, orders accepted) and the worker's (Temporal SDK) ---
      const apiMetrics = await (await fetch(`http://localhost:${apiPort}/metrics`)).text();
      expect(apiMetrics).toMatch(/oms_orders_accepted_total\{channel="web"\} 1/);
      expect(apiMetrics).toMatch(/oms_http_request_duration_seconds_count\{method="GET",route="\/v1\/orders\/:orderId",status="200"\} \d+/);
      const workerMetrics = await (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text();
      expect(workerMetrics).toMatch(/temporal_workflow_task_execution_latency|temporal_activity_execution_latency/);

      // --- each carries the link to the order's tracking page, which this stack serves ---
      const { messages } = (await (await fetch(`${mailpitApi}/messages`)).json()) as { messages: Array<{ ID: string; To: Array<{ Address: string }> }> };
      const delivered = messages.find((m) => m.To.some((to) => to.Address === 'e2e@example.com'))!;
      const { Text } = (await (await fetch(`${mailpitApi}/message/${delivered.ID}`)).json()) as { Text: string };
      const trackingUrl = /Follow your order: (\S+)/.exec(Text)?.[1];
      expect(trackingUrl).toMatch(new RegExp(`^http://localhost:${apiPort}/track/`));
      const tracking = await fetch(trackingUrl!);
      expect(tracking.status).toBe(200);
      expect(await tracking.text()).toContain(allocated.shipments[0].trackingNumber);

      // --- and they can be read in Mailpit's web UI: its page loads its script and stylesheet ---
      const mailpitUi = /Mailpit UI\s+(\S+)/.exec(output)?.[1];
      expect(mailpitUi).toBe(`http://localhost:${mailpitUiPort}`);
      const mailpitPage = await (await fetch(mailpitUi!)).text();
      for (const asset of ['/dist/app.js', '/dist/app.css']) {
        expect(mailpitPage).toContain(`"${asset}?`);
        const response = await fetch(`${mailpitUi}${asset}`);
        expect(response.status, asset).toBe(200);
        expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(100_000);
      }

      // --- the Temporal UI answers, and the order's workflow can be found by its search attribute ---
      const uiUrl = /Temporal UI\s+(\S+)/.exec(output)?.[1];
      expect(uiUrl).toBe(`http://localhost:${temporalUiPort}`);
      expect((await fetch(uiUrl!)).status).toBe(200);

      const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
      try {
        const temporal = new Client({ connection });
        const workflow = await waitFor('the workflow in Temporal visibility', 15_000, async () => {
          // Delivered, and still running: the order takes returns for RETURN_WINDOW after delivery.
          for await (const info of temporal.workflow.list({ query: `OrderId = '${orderId}' AND OrderStatus = 'delivered'` })) {
            if (info.status.name === 'RUNNING') return info;
          }
          return undefined;
        });
        expect(workflow).toMatchObject({ workflowId: `order-${orderId}`, type: 'orderWorkflow' });
      } finally {
        await connection.close();
      }

      // --- Ctrl-C: everything stops, the launcher exits 0, nothing is left running ---
      const children = await descendantsOf(launcher.pid!);
      const commands = children.map((child) => child.commandLine);
      expect(commands).toEqual(
        expect.arrayContaining([/temporal server start-dev/, /ferretdb/, /mailpit/, /worker\/main\.ts/, /api\/main\.ts/].map((pattern) => expect.stringMatching(pattern))),
      );
      const stopRequested = Date.now();
      launcher.kill('SIGINT');
      const exit = await Promise.race([exitOf(launcher), sleep(SHUTDOWN_TIMEOUT_MS).then(() => 'timeout' as const)]);
      expect(exit, `launcher did not exit within ${SHUTDOWN_TIMEOUT_MS} ms. Output:\n${output}`).toEqual({ code: 0, signal: null });
      console.log(`npm start: up in ${stopRequested - startedAt} ms (incl. the order), stopped in ${Date.now() - stopRequested} ms`);
      expect(output).toContain('stopped; data is kept.');

      expect(await stillRunning(children.map((child) => child.pid)), 'processes still running after the launcher exited').toEqual([]);
      for (const port of [apiPort, temporalPort, temporalUiPort, ferretdbPort, smtpPort, mailpitUiPort]) {
        expect(await isPortFree(port), `port ${port} is free again`).toBe(true);
      }
    },
    STARTUP_TIMEOUT_MS + 120_000,
  );
});
