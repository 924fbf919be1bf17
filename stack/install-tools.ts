/**
 * `npm install` postinstall: fetch/build the pinned binaries (see stack/tools.ts) once per machine,
 * so `npm start` and `npm test` work offline afterwards. A failure fails the install, loudly.
 */
import { ToolInstallError } from './tool-install-command.js';
import { ensureTools } from './tools.js';

try {
  await ensureTools();
} catch (error) {
  const reason = error instanceof ToolInstallError ? error.message : String((error as Error)?.stack ?? error);
  console.error(`\n[tools] Could not install the stack's tools:\n${reason}\n`);
  process.exit(1);
}
