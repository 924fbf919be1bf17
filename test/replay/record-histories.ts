/**
 * `npm run record-histories` (vitest with record-histories.config.ts, on the suite's servers): runs each
 * scenario of scenarios.ts with real activities and writes the history of every workflow it ran to
 * histories/<scenario>[.<workflow>].json, which replay.test.ts replays. `-- -t <scenario>` records one.
 * Not part of `npm test`: a recording changes files under test/ and is committed on purpose.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { seedWarehouse, useTestDatabase } from '../support/fixtures.js';
import { historyToJSON } from '../support/history-json.js';
import { connectSuiteTemporal, createSuiteOrderWorker, type SuiteTemporal } from '../support/suite-temporal.js';
import { bundleOrderWorkflows, uniqueTaskQueue } from '../support/workflow-env.js';
import { HISTORIES_DIR, historyFileName, SCENARIO_WAREHOUSES, SCENARIOS } from './scenarios.js';

const taskQueue = uniqueTaskQueue();
let temporal: SuiteTemporal;
let worker: Worker;
let workerRun: Promise<void>;
let closeDb: () => Promise<void>;

beforeAll(async () => {
  const [connected, workflowBundle, db] = await Promise.all([connectSuiteTemporal(), bundleOrderWorkflows(), useTestDatabase('record_histories')]);
  temporal = connected;
  closeDb = db.close;
  for (const [warehouseId, place] of Object.entries(SCENARIO_WAREHOUSES)) await seedWarehouse(warehouseId, place);
  worker = await createSuiteOrderWorker(temporal, taskQueue, workflowBundle);
  workerRun = worker.run();
  await fs.mkdir(HISTORIES_DIR, { recursive: true });
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await closeDb?.();
  await temporal?.close();
});

describe('record histories', () => {
  for (const [scenario, drive] of Object.entries(SCENARIOS)) {
    it(scenario, async () => {
      const runs = await drive({ client: temporal.client, taskQueue });
      for (const [workflow, handle] of Object.entries(runs)) {
        const file = path.join(HISTORIES_DIR, historyFileName(scenario, workflow));
        await fs.writeFile(file, `${historyToJSON(await handle.fetchHistory())}\n`);
        console.log(`recorded ${path.relative(process.cwd(), file)}`);
      }
    });
  }
});
