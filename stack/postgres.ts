/**
 * A PostgreSQL server of the stack's own, for the production-shaped stack (Temporal's persistence and
 * visibility, FerretDB): the system's server binaries on a free port, loopback only, trust authentication
 * (fine for tests: nothing but this machine reaches it), data in a temp dir unless told otherwise.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertPortFree, canConnect, outputOptions, spawnManaged, waitUntilReady, type ManagedProcess, type OutputOptions } from './processes.js';
import { runInstallCommand, ToolInstallError } from './tool-install-command.js';

const SUPERUSER = 'postgres';
/** Debian and Ubuntu put each major version's server binaries here. */
const DEBIAN_BIN_DIRS = '/usr/lib/postgresql';

/**
 * For a 2-core test box. The data is a test's and thrown away after, so losing it in a machine crash
 * costs nothing, while waiting for the disk on every commit would cost every test time: no fsync, no
 * synchronous commit, no full-page writes.
 */
const SETTINGS = {
  listen_addresses: '127.0.0.1',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  // Temporal opens a pool per service and store (frontend, internal-frontend, history, matching, worker), FerretDB its own.
  max_connections: '200',
};

export interface PostgresOptions extends OutputOptions {
  port: number;
  /**
   * The cluster's directory, created with initdb if it holds none yet. Default: a temp dir of its own,
   * deleted by stop(). As root the server runs as the `postgres` user (initdb and postgres refuse root),
   * which must be able to reach it: leave it out then unless that user can.
   */
  dataDir?: string;
  ownProcessGroup?: boolean;
  startupTimeoutMs?: number;
}

export interface PostgresServer extends ManagedProcess {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication on loopback). */
  url(database: string): string;
  /** In UTF-8 with collation and character classes `C` (byte order, as MongoDB compares strings). */
  createDatabase(database: string): Promise<void>;
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  await assertPortFree(options.port);
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : await fs.mkdtemp(path.join(os.tmpdir(), 'oms-postgres-'));
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await fs.chown(dataDir, runAs.uid, runAs.gid);
  // As root through runuser: the command, then as the postgres user.
  const asUser = (binary: string, args: string[]) =>
    runAs ? { command: 'runuser', args: ['-u', SUPERUSER, '--', path.join(bin, binary), ...args] } : { command: path.join(bin, binary), args };

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const initdb = asUser('initdb', ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync']);
    await runInstallCommand(initdb.command, initdb.args, { captureStdout: true, hint: `initdb of a PostgreSQL cluster in ${dataDir} failed.` });
  }
  const settings = Object.entries(SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  // The Unix socket goes into the data dir: the default (/var/run/postgresql) may not exist or be ours.
  const server = asUser('postgres', ['-D', dataDir, '-p', String(options.port), '-k', dataDir, ...settings]);
  const proc = spawnManaged({ name: 'postgres', ...server, ...outputOptions(options), quietWhileStopping: true });
  const clientArgs = ['-h', '127.0.0.1', '-p', String(options.port), '-U', SUPERUSER];
  await waitUntilReady(proc, options.startupTimeoutMs ?? 30_000, async () => {
    if (!(await canConnect('127.0.0.1', options.port))) return false;
    await promisify(execFile)(path.join(bin, 'pg_isready'), [...clientArgs, '-q'], { timeout: 2000 });
    return true;
  }).catch(async (error: unknown) => {
    if (ownDir) await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  });

  const stopProcess = proc.stop;
  return Object.assign(proc, {
    port: options.port,
    url: (database: string) => `postgres://${SUPERUSER}@127.0.0.1:${options.port}/${database}`,
    createDatabase: async (database: string) => {
      // Collation C: strings ordered by their bytes, as MongoDB orders them, so that FerretDB may answer
      // ranges and sorts by `_id` from its index (tools/ferretdb/README.md); from template0, whose
      // locale may differ from the cluster's.
      const createdb = [...clientArgs, '--template=template0', '--encoding=UTF8', '--lc-collate=C', '--lc-ctype=C', database];
      await runInstallCommand(path.join(bin, 'createdb'), createdb, { hint: `createdb ${database} failed.` });
    },
    stop: async (timeoutMs?: number) => {
      await stopProcess(timeoutMs);
      if (ownDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  });
}

/** The newest major version's server binaries. */
function postgresBinDir(): string {
  const versions = existsSync(DEBIAN_BIN_DIRS) ? readdirSync(DEBIAN_BIN_DIRS).filter((name) => /^\d+$/.test(name)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a)).map((version) => path.join(DEBIAN_BIN_DIRS, version, 'bin'))
    .find((dir) => ['initdb', 'postgres', 'pg_isready', 'createdb'].every((binary) => existsSync(path.join(dir, binary))));
  if (!newest) {
    throw new ToolInstallError(`No PostgreSQL server binaries in ${DEBIAN_BIN_DIRS}/<version>/bin. Install them (Debian/Ubuntu: apt-get install postgresql).`);
  }
  return newest;
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, SUPERUSER], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  if (uid.status !== 0 || gid.status !== 0) {
    throw new ToolInstallError(`As root, PostgreSQL runs as the "${SUPERUSER}" user (initdb and postgres refuse root), but there is none: create it (useradd --system ${SUPERUSER}) or run as another user.`);
  }
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}
