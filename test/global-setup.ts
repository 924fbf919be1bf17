/**
 * Starts ONE FerretDB and ONE headless Temporal dev server for the whole test run, on free ports with
 * data in a fresh temp dir (so tests never touch a running `npm start`), and hands their addresses to
 * test files: `inject('temporalAddress')`, `inject('mongoUri')` (or the OMS_TEST_* env vars).
 * Server output is hidden unless OMS_TEST_SERVER_LOGS=1; it is part of the error if a server fails.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { findFreePort, startFerretDB, startTemporalDevServer } from '../stack/services.js';
import { ensureTools } from '../stack/tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the suite's Temporal dev server (namespace `default`). */
    temporalAddress: string;
    /** MongoDB URI of the suite's FerretDB, database `oms_test`. */
    mongoUri: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // `npm test` passes the tool paths; a bare `npx vitest` finds them in the tools cache.
  if (!process.env.OMS_TEMPORAL_BIN || !process.env.OMS_FERRETDB_BIN || !process.env.OMS_TEMPORAL_TEST_SERVER_BIN) {
    const tools = await ensureTools();
    process.env.OMS_TEMPORAL_BIN ||= tools.temporal;
    process.env.OMS_TEMPORAL_TEST_SERVER_BIN ||= tools.temporalTestServer;
    process.env.OMS_FERRETDB_BIN ||= tools.ferretdb;
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-test-'));
  const output = process.env.OMS_TEST_SERVER_LOGS === '1' ? {} : { onLine: () => {} };
  // Same process group as vitest: a Ctrl-C that skips teardown still reaches the servers.
  const shared = { ...output, ownProcessGroup: false, logLevel: 'error' as const };

  const [temporal, ferretdb] = await Promise.allSettled([
    startTemporalDevServer({ ...shared, binary: process.env.OMS_TEMPORAL_BIN!, port: await findFreePort(),
      headless: true, dbFile: path.join(dataDir, 'temporal', 'temporal.db'), namespace: 'default' }),
    startFerretDB({ ...shared, binary: process.env.OMS_FERRETDB_BIN!, port: await findFreePort(),
      dataDir: path.join(dataDir, 'ferretdb') }),
  ]);
  const teardown = async () => {
    await Promise.all([temporal, ferretdb].map((started) => (started.status === 'fulfilled' ? started.value.stop() : undefined)));
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  if (temporal.status === 'rejected' || ferretdb.status === 'rejected') {
    await teardown();
    throw temporal.status === 'rejected' ? temporal.reason : (ferretdb as PromiseRejectedResult).reason;
  }

  const mongoUri = ferretdb.value.uri('oms_test');
  project.provide('temporalAddress', temporal.value.address);
  project.provide('mongoUri', mongoUri);
  process.env.OMS_TEST_TEMPORAL_ADDRESS = temporal.value.address;
  process.env.OMS_TEST_MONGODB_URI = mongoUri;
  return teardown;
}
