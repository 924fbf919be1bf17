/**
 * FerretDB: our wrapper (tools/ferretdb) built with `go build` against a copy of FerretDB's module source
 * with tools/ferretdb/patches applied. The wrapper's sources and the patches are hashed into its cache dir
 * name, so changing one rebuilds.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { copyModuleSource, GO_MINOR_NEEDED, goEnvironment, requireGo } from './go-module-build.js';
import { repoRoot } from './processes.js';
import { runInstallCommand, ToolInstallError } from './tool-install-command.js';
import { TOOL_VERSIONS } from './tool-versions.js';

const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const ferretdbSourceDir = path.join(repoRoot, 'tools', 'ferretdb');
const FERRETDB_WRAPPER_FILES = ['main.go', 'go.mod', 'go.sum'];
const ferretdbPatchDir = path.join(ferretdbSourceDir, 'patches');

/** The patches applied to FerretDB's module source, in order (see tools/ferretdb/README.md). */
async function ferretdbPatches(): Promise<string[]> {
  return (await fs.readdir(ferretdbPatchDir)).filter((file) => file.endsWith('.patch')).sort();
}

export async function ferretdbSourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = [...FERRETDB_WRAPPER_FILES, ...(await ferretdbPatches()).map((patch) => path.join('patches', patch))];
  for (const file of files) {
    hash.update(file).update('\0').update(await fs.readFile(path.join(ferretdbSourceDir, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/**
 * Our wrapper (tools/ferretdb) built against a copy of FerretDB's module source with tools/ferretdb/patches
 * applied, through a `replace` in a copy of the wrapper's go.mod. The copies are removed before the rename,
 * so the tool dir holds just the binary.
 */
export async function buildFerretDB(outDir: string): Promise<void> {
  requireGo(GO_MINOR_NEEDED.ferretdb, 'FerretDB');
  if (spawnSync('git', ['--version']).error) throw new ToolInstallError('git was not found on PATH; it applies our patches to FerretDB.');
  const env = goEnvironment();
  const moduleVersion = `${FERRETDB_MODULE}@${TOOL_VERSIONS.ferretdb}`;
  const sourceDir = path.join(outDir, 'ferretdb-source');
  const wrapperDir = path.join(outDir, 'wrapper');
  try {
    await copyModuleSource(moduleVersion, sourceDir, env);
    for (const patch of await ferretdbPatches()) {
      await runInstallCommand('git', ['apply', '-p1', path.join(ferretdbPatchDir, patch)], {
        cwd: sourceDir,
        // Never into a repository the cache may lie in: apply to these files, as `patch` would.
        env: { ...process.env, GIT_CEILING_DIRECTORIES: outDir },
        hint: `tools/ferretdb/patches/${patch} does not apply to ${moduleVersion}.`,
      });
    }
    await fs.mkdir(wrapperDir);
    for (const file of FERRETDB_WRAPPER_FILES) await fs.copyFile(path.join(ferretdbSourceDir, file), path.join(wrapperDir, file));
    await runInstallCommand('go', ['mod', 'edit', `-replace=${FERRETDB_MODULE}=../ferretdb-source`], { cwd: wrapperDir, env, hint: 'go mod edit of the FerretDB wrapper failed.' });
    await runInstallCommand('go', ['build', '-trimpath', '-buildvcs=false', '-o', path.join(outDir, 'ferretdb'), '.'], {
      cwd: wrapperDir,
      env,
      hint: 'go build of tools/ferretdb failed (the Go module proxy must be reachable on a fresh machine).',
    });
  } finally {
    await fs.rm(sourceDir, { recursive: true, force: true });
    await fs.rm(wrapperDir, { recursive: true, force: true });
  }
  if (!existsSync(path.join(outDir, 'ferretdb'))) throw new ToolInstallError('go build did not produce the ferretdb binary.');
}
