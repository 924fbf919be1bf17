/**
 * Mailpit, built from its Go module source: first its web UI (server/ui/dist, which the module lacks) with
 * npm and esbuild from tools/mailpit-ui's package.json and lockfile, then `go build`, which embeds it. The
 * build recipe and those two files are hashed into its cache dir name, so changing any of it rebuilds.
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

export async function mailpitRecipeHash(): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(MAILPIT_BUILD));
  for (const file of MAILPIT_UI_FILES) {
    hash.update('\0').update(file).update('\0').update(await fs.readFile(path.join(mailpitUiDir, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

export async function buildMailpit(outDir: string, log: (line: string) => void): Promise<void> {
  requireGo(GO_MINOR_NEEDED.mailpit, `Mailpit ${TOOL_VERSIONS.mailpit}`);
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
    await runInstallCommand('npm', MAILPIT_BUILD.npmArgs, {
      cwd: sourceDir,
      env: npmEnv,
      hint: `npm ci of tools/mailpit-ui (Mailpit's web UI dependencies) failed (the npm registry must be reachable on a fresh machine).`,
    });
    await runInstallCommand(process.execPath, [MAILPIT_BUILD.uiBuild.script], {
      cwd: sourceDir,
      env: { ...npmEnv, ...MAILPIT_BUILD.uiBuild.env },
      hint: `Building Mailpit's web UI (node ${MAILPIT_BUILD.uiBuild.script}) failed.`,
    });
    for (const asset of MAILPIT_BUILD.uiAssets) {
      const size = await fs.stat(path.join(sourceDir, 'server', 'ui', 'dist', asset)).then((stat) => stat.size, () => 0);
      if (!size) throw new ToolInstallError(`Mailpit's web UI build made no server/ui/dist/${asset}.`);
    }

    log(`[tools]   Mailpit: go build (embeds the web UI) ...`);
    await runInstallCommand('go', [...MAILPIT_BUILD.goArgs, '-o', path.join(outDir, 'mailpit'), '.'], {
      cwd: sourceDir,
      env: goEnv,
      hint: `go build of ${moduleVersion} failed (the Go module proxy must be reachable on a fresh machine).`,
    });
  } finally {
    await fs.rm(sourceDir, { recursive: true, force: true });
  }
  if (!existsSync(path.join(outDir, 'mailpit'))) throw new ToolInstallError('go build did not produce the mailpit binary.');
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
