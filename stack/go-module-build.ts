/**
 * What the tools built with Go (FerretDB, Mailpit, the Temporal server) share: the Go they need, how we run `go`, and
 * a writable copy of a module's source to build in.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runInstallCommand, ToolInstallError } from './tool-install-command.js';

/** The Go minor version (1.<minor>) each tool's build needs. */
export const GO_MINOR_NEEDED = {
  ferretdb: 24, // tools/ferretdb/go.mod says `go 1.24`
  mailpit: 26, // github.com/axllent/mailpit v1.33.1's go.mod says `go 1.26.0`
  temporalServer: 21, // any Go >= 1.21 fetches the toolchain its build names in GOTOOLCHAIN (stack/temporal-server-build.ts)
};
/** Go's minimum over all tools, for messages. */
const MIN_GO_VERSION = `1.${Math.max(...Object.values(GO_MINOR_NEEDED))}`;

/** Fails with what to install unless `go` is on PATH and at least 1.<minMinor>. */
export function requireGo(minMinor: number, what: string): void {
  const version = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new ToolInstallError(`Go was not found on PATH. Install Go >= ${MIN_GO_VERSION} (https://go.dev/doc/install) to build ${what}.`);
  }
  const minor = Number(/^go1\.(\d+)/.exec(version.stdout.trim())?.[1] ?? NaN);
  if (!(minor >= minMinor)) {
    throw new ToolInstallError(`Go ${version.stdout.trim()} is too old; install Go >= ${MIN_GO_VERSION} to build ${what} (it needs >= 1.${minMinor}).`);
  }
}

/** How we run `go` for builds from copies of module sources. */
export function goEnvironment(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Pure Go (both tools use modernc.org/sqlite): no C compiler needed, a static binary.
    CGO_ENABLED: '0',
    // requireGo checked the version; never let `go` fetch another toolchain instead.
    GOTOOLCHAIN: 'local',
    // The copies are their own main modules, whatever go.work lies above the cache dir.
    GOWORK: 'off',
  };
}

/**
 * A writable copy (the module cache is read-only) of a module's source at `dest`, inside the staging dir,
 * so a killed install's is cleaned up with it.
 */
export async function copyModuleSource(moduleVersion: string, dest: string, env: NodeJS.ProcessEnv): Promise<void> {
  // From dest's parent: outside any module, so our own go.mod files play no part.
  const moduleDir = await downloadModule(moduleVersion, path.dirname(dest), env);
  await fs.cp(moduleDir, dest, { recursive: true });
  await makeOwnerWritable(dest);
}

/** The read-only source dir of `moduleVersion` in the Go module cache, downloaded if missing. `cwd` must lie outside any module. */
export async function downloadModule(moduleVersion: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const download = await runInstallCommand('go', ['mod', 'download', '-json', moduleVersion], {
    cwd,
    env,
    captureStdout: true,
    hint: `go mod download ${moduleVersion} failed (the Go module proxy must be reachable on a fresh machine).`,
  });
  const moduleDir = (JSON.parse(download) as { Dir?: string }).Dir;
  if (!moduleDir || !existsSync(path.join(moduleDir, 'go.mod'))) throw new ToolInstallError(`go mod download ${moduleVersion} gave no source dir.`);
  return moduleDir;
}

/** Adds the owner's write bit to everything under `dir` (copies of the Go module cache are read-only). */
async function makeOwnerWritable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeOwnerWritable(entryPath);
    else if (entry.isFile()) await fs.chmod(entryPath, (await fs.stat(entryPath)).mode | 0o200);
  }
}
