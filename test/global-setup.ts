/**
 * Starts ONE FerretDB, ONE headless Temporal dev server and ONE Mailpit for the whole test run, on free
 * ports with data in a fresh temp dir (so tests never touch a running `npm start`), and hands their
 * addresses to test files: `inject('temporalAddress')`, `inject('mongoUri')`, `inject('smtpUrl')`,
 * `inject('mailpitApiUrl')` (or the OMS_TEST_* env vars).
 * Server output is hidden unless OMS_TEST_SERVER_LOGS=1; it is part of the error if a server fails.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startFerretDB, startMailpit, startTemporalDevServer } from '../stack/services.js';
import { ensureTools } from '../stack/tools.js';
import { findFreePort } from '../stack/processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the suite's Temporal dev server (namespace `default`). */
    temporalAddress: string;
    /** MongoDB URI of the suite's FerretDB, database `oms_test`. */
    mongoUri: string;
    /** `smtp://127.0.0.1:<port>` of the suite's Mailpit. Tests share it: tell your mail apart by recipient. */
    smtpUrl: string;
    /** `http://127.0.0.1:<port>` of the same Mailpit's HTTP API (`/api/v1/messages`, `/api/v1/search`, ...). */
    mailpitApiUrl: string;
  }
}

/**
 * Worker Versioning on a test's time scale (test/workflows/worker-versioning.test.ts): a draining build's open
 * pinned workflows are counted every second rather than every 3 minutes, and a stopped worker's pollers are
 * forgotten after 10 s rather than 5 minutes (its build cannot be deleted while they are remembered).
 * Deployments themselves need no flag on this server (1.32).
 */
const WORKER_VERSIONING_IN_SECONDS = {
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '"1s"',
  'matching.wv.VersionDrainageStatusRefreshInterval': '"1s"',
  'matching.PollerHistoryTTL': '"10s"',
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // `npm test` passes the tool paths; a bare `npx vitest` finds them in the tools cache.
  const toolVariables = ['OMS_TEMPORAL_BIN', 'OMS_TEMPORAL_TEST_SERVER_BIN', 'OMS_FERRETDB_BIN', 'OMS_MAILPIT_BIN', 'OMS_SCHEMATHESIS_BIN'];
  if (toolVariables.some((name) => !process.env[name])) {
    const tools = await ensureTools();
    process.env.OMS_TEMPORAL_BIN ||= tools.temporal;
    process.env.OMS_TEMPORAL_TEST_SERVER_BIN ||= tools.temporalTestServer;
    process.env.OMS_FERRETDB_BIN ||= tools.ferretdb;
    process.env.OMS_MAILPIT_BIN ||= tools.mailpit;
    process.env.OMS_SCHEMATHESIS_BIN ||= tools.schemathesis;
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-test-'));
  const output = process.env.OMS_TEST_SERVER_LOGS === '1' ? {} : { onLine: () => {} };
  // Same process group as vitest: a Ctrl-C that skips teardown still reaches the servers.
  const shared = { ...output, ownProcessGroup: false, logLevel: 'error' as const };

  // Temporal first, alone: it binds several more ports it picks at random, and one of them could be a port
  // just handed out (and released) by findFreePort for FerretDB or Mailpit, which would then take it away.
  const [temporal] = await Promise.allSettled([
    startTemporalDevServer({ ...shared, binary: process.env.OMS_TEMPORAL_BIN!, port: await findFreePort(),
      headless: true, dbFile: path.join(dataDir, 'temporal', 'temporal.db'), namespace: 'default', dynamicConfig: WORKER_VERSIONING_IN_SECONDS }),
  ]);
  const [ferretdb, mailpit] = await Promise.allSettled([
    startFerretDB({ ...shared, binary: process.env.OMS_FERRETDB_BIN!, port: await findFreePort(),
      dataDir: path.join(dataDir, 'ferretdb') }),
    startMailpit({ ...output, ownProcessGroup: false, binary: process.env.OMS_MAILPIT_BIN!, smtpPort: await findFreePort(),
      httpPort: await findFreePort(), dataFile: path.join(dataDir, 'mailpit', 'mailpit.db'),
      // Room for the whole suite's mail (default 500, oldest deleted first).
      extraArgs: ['--max', '0'] }),
  ]);
  const started = [temporal, ferretdb, mailpit];
  const teardown = async () => {
    await Promise.all(started.flatMap((server) => (server.status === 'fulfilled' ? [server.value.stop()] : [])));
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  if (temporal.status === 'rejected' || ferretdb.status === 'rejected' || mailpit.status === 'rejected') {
    await teardown();
    throw (started.find((server) => server.status === 'rejected') as PromiseRejectedResult).reason;
  }

  const mongoUri = ferretdb.value.uri('oms_test');
  project.provide('temporalAddress', temporal.value.address);
  project.provide('mongoUri', mongoUri);
  process.env.OMS_TEST_TEMPORAL_ADDRESS = temporal.value.address;
  process.env.OMS_TEST_MONGODB_URI = mongoUri;
  project.provide('smtpUrl', mailpit.value.smtpUrl);
  project.provide('mailpitApiUrl', mailpit.value.apiUrl);
  process.env.OMS_TEST_SMTP_URL = mailpit.value.smtpUrl;
  process.env.OMS_TEST_MAILPIT_API_URL = mailpit.value.apiUrl;
  return teardown;
}
