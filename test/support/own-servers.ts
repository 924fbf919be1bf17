/**
 * Servers of a test file's own (a Temporal dev server, a FerretDB, a Mailpit), for tests that kill them:
 * the suite's shared servers (test/global-setup.ts) serve other test files meanwhile. Each runs on free
 * ports with its data in a temp dir of its own, can be SIGKILLed (no shutdown of any kind) and started
 * again on the same ports with the same data, as a supervisor would restart it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findFreePort, type ManagedProcess } from '../../stack/processes.js';
import {
  startFerretDB,
  startMailpit,
  startTemporalDevServer,
  type FerretDBServer,
  type MailpitServer,
  type TemporalDevServer,
} from '../../stack/services.js';

export interface OwnServer<Server extends ManagedProcess> {
  /** The server as last started. */
  readonly current: Server;
  /** SIGKILL, and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same ports with the same data; resolves once it is usable. */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  stop(): Promise<void>;
}

const quiet = () => (process.env.OMS_TEST_SERVER_LOGS === '1' ? { ownProcessGroup: false } : { ownProcessGroup: false, onLine: () => {} });

async function ownServer<Server extends ManagedProcess>(name: string, start: (dataDir: string) => Promise<Server>): Promise<OwnServer<Server>> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `oms-fault-${name}-`));
  let current: Server;
  try {
    current = await start(dataDir);
  } catch (error) {
    await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    get current() {
      return current;
    },
    async kill() {
      if (!current.hasExited()) process.kill(current.pid, 'SIGKILL');
      await current.exited;
    },
    async restart() {
      current = await start(dataDir);
    },
    async stop() {
      await current.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A headless Temporal dev server (namespace `default`, our search attributes) keeping its history in a SQLite file. */
export async function ownTemporal(): Promise<OwnServer<TemporalDevServer>> {
  const port = await findFreePort();
  return ownServer('temporal', (dataDir) =>
    startTemporalDevServer({
      ...quiet(),
      binary: process.env.OMS_TEMPORAL_BIN!,
      port,
      headless: true,
      dbFile: path.join(dataDir, 'temporal.db'),
      namespace: 'default',
      logLevel: 'error',
    }),
  );
}

export async function ownFerretDB(): Promise<OwnServer<FerretDBServer>> {
  const port = await findFreePort();
  return ownServer('ferretdb', (dataDir) => startFerretDB({ ...quiet(), binary: process.env.OMS_FERRETDB_BIN!, port, dataDir, logLevel: 'error' }));
}

export async function ownMailpit(): Promise<OwnServer<MailpitServer>> {
  const smtpPort = await findFreePort();
  let httpPort = await findFreePort();
  while (httpPort === smtpPort) httpPort = await findFreePort();
  return ownServer('mailpit', (dataDir) =>
    startMailpit({ ...quiet(), binary: process.env.OMS_MAILPIT_BIN!, smtpPort, httpPort, dataFile: path.join(dataDir, 'mailpit.db') }),
  );
}
