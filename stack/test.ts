/**
 * `npm test [-- vitest args]`: makes sure the tools are installed (the Temporal server for the
 * production-shaped stack too, built on the first run), then runs `vitest run` with their
 * paths in OMS_TEMPORAL_BIN / OMS_TEMPORAL_TEST_SERVER_BIN / OMS_FERRETDB_BIN / OMS_MAILPIT_BIN /
 * OMS_SCHEMATHESIS_BIN, exiting with its code.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ToolInstallError } from './tool-install-command.js';
import { ensureTemporalServer } from './temporal-server-build.js';
import { ensureTools } from './tools.js';

let tools;
try {
  tools = await ensureTools();
  // The production-shaped stack's tests need the real Temporal server: built once here, before test files
  // that run in parallel would each start the same minutes-long build.
  await ensureTemporalServer();
} catch (error) {
  console.error(`[test] ${error instanceof ToolInstallError ? error.message : error}`);
  process.exit(1);
}

const vitestPackageJson = createRequire(import.meta.url).resolve('vitest/package.json');
const vitest = spawn(process.execPath, [path.join(path.dirname(vitestPackageJson), 'vitest.mjs'), 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    OMS_TEMPORAL_BIN: tools.temporal,
    OMS_TEMPORAL_TEST_SERVER_BIN: tools.temporalTestServer,
    OMS_FERRETDB_BIN: tools.ferretdb,
    OMS_MAILPIT_BIN: tools.mailpit,
    OMS_SCHEMATHESIS_BIN: tools.schemathesis,
  },
});
// Ctrl-C reaches vitest directly (same process group); we just wait for it to finish.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => vitest.kill(signal));
vitest.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
