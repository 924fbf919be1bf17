/**
 * The real Temporal server and its temporal-sql-tool, for the production-shaped stack: built with
 * `go install` into the tools cache the first time a stack needs them (not at `npm install`: few runs do).
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { downloadModule, GO_MINOR_NEEDED, goEnvironment, requireGo } from './go-module-build.js';
import { runInstallCommand, ToolInstallError } from './tool-install-command.js';
import { TOOL_VERSIONS } from './tool-versions.js';
import { installAtomically, removeAbandonedStagingDirs, toolsCacheDir } from './tools.js';

const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** Server 1.32.x needs Go >= 1.26.10; `go` fetches this toolchain from the module proxy when it is older. */
const GO_TOOLCHAIN = 'go1.26.10';
const BINARIES = { server: 'server', sqlTool: 'temporal-sql-tool' };

export interface TemporalServerTool {
  /** The server binary: `server --config-file <file> start`. */
  server: string;
  /** temporal-sql-tool (the module's cmd/tools/sql), which creates and migrates its databases. */
  sqlTool: string;
  /** The module's source in the Go module cache: schema/ (SQL schemas) and config/ (templates). */
  moduleDir: string;
}

/** Builds the server and its SQL tool unless the tools cache has them (3 to 6 minutes on 2 cores the first time). */
export async function ensureTemporalServer(log: (line: string) => void = (line) => console.error(line)): Promise<TemporalServerTool> {
  const cacheDir = toolsCacheDir();
  await fs.mkdir(cacheDir, { recursive: true });
  await removeAbandonedStagingDirs(cacheDir);
  const toolDir = path.join(cacheDir, `temporal-server-${TOOL_VERSIONS.temporalServer}`);
  const env = serverBuildEnvironment();
  await installAtomically(toolDir, log, `Temporal server ${TOOL_VERSIONS.temporalServer} (go install, for the production-shaped stack)`,
    (stagingDir) => buildTemporalServer(stagingDir, env));
  const moduleDir = await downloadModule(`${TEMPORAL_SERVER_MODULE}@${TOOL_VERSIONS.temporalServer}`, cacheDir, env);
  return { server: path.join(toolDir, BINARIES.server), sqlTool: path.join(toolDir, BINARIES.sqlTool), moduleDir };
}

function serverBuildEnvironment(): NodeJS.ProcessEnv {
  // Our GOFLAGS, not the caller's: theirs (e.g. -mod=vendor) would change or break a `pkg@version` build.
  return { ...goEnvironment(), GOTOOLCHAIN: GO_TOOLCHAIN, GOFLAGS: '-mod=mod' };
}

async function buildTemporalServer(outDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  requireGo(GO_MINOR_NEEDED.temporalServer, `the Temporal server ${TOOL_VERSIONS.temporalServer}`);
  const version = TOOL_VERSIONS.temporalServer;
  await runInstallCommand('go', ['install', `${TEMPORAL_SERVER_MODULE}/cmd/server@${version}`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${version}`], {
    cwd: outDir, // outside any module: `pkg@version` builds the module as published
    env: { ...env, GOBIN: outDir },
    hint: `go install of ${TEMPORAL_SERVER_MODULE}@${version} failed (the Go module proxy must be reachable, and serves the ${GO_TOOLCHAIN} toolchain too).`,
  });
  await fs.rename(path.join(outDir, 'sql'), path.join(outDir, BINARIES.sqlTool));
  for (const binary of Object.values(BINARIES)) {
    if (!existsSync(path.join(outDir, binary))) throw new ToolInstallError(`go install did not produce ${binary}.`);
  }
}
