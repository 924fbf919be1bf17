/**
 * Replays every recorded history under histories/ (see scenarios.ts, `npm run record-histories`) against
 * the current workflow bundle. A workflow change that would make running orders take another path than
 * their history says (a reordered, added or removed activity, timer or search-attribute upsert without
 * `patched()`) fails here with a DeterminismViolationError instead of in production.
 *
 * When a change is made behind `patched()`, the histories recorded before it move to a folder named after
 * the patch (histories/<before-patch>/) and stay: they guard the old path that orders started earlier
 * still take, while a new recording covers the new one.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyFromJSON } from '../support/history-json.js';
import { bundleOrderWorkflows, installQuietRuntime, type WorkflowBundle } from '../support/workflow-env.js';
import { HISTORIES_DIR, scenarioOfHistoryFile, SCENARIOS } from './scenarios.js';

const historyFiles = (await fs.readdir(HISTORIES_DIR).catch(() => [])).filter((file) => file.endsWith('.json')).sort();
const historiesBeforePatches = (await fs.readdir(HISTORIES_DIR, { recursive: true }))
  .filter((file) => path.dirname(file) !== '.' && file.endsWith('.json'))
  .sort();
let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  installQuietRuntime();
  workflowBundle = await bundleOrderWorkflows();
});

describe('recorded histories', () => {
  it('cover every scenario, and only scenarios that exist', () => {
    const scenarios = Object.keys(SCENARIOS).sort();
    const recorded = historyFiles.filter((file) => scenarios.includes(path.basename(file, '.json')));
    expect(recorded, 'each scenario needs a recorded history: npm run record-histories').toEqual(scenarios.map((s) => `${s}.json`));
    const orphans = historyFiles.filter((file) => !scenarios.includes(scenarioOfHistoryFile(file)));
    expect(orphans, 'histories of scenarios that no longer exist: delete them').toEqual([]);
  });

  it.each([...historyFiles, ...historiesBeforePatches])('%s replays on the current workflow code', async (file) => {
    const history = historyFromJSON(await fs.readFile(path.join(HISTORIES_DIR, file), 'utf8'));
    // Throws DeterminismViolationError (or ReplayError) when the code no longer produces this history.
    await Worker.runReplayHistory({ workflowBundle }, history, path.basename(file, '.json'));
  });
});
