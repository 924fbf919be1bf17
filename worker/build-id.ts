/**
 * The build id a versioned worker runs as when `TEMPORAL_WORKER_BUILD_ID` is not set: the package version and
 * the checkout's commit, `0.1.0+9041ae7`. A build id must name one workflow code: orders pinned to it are
 * replayed by whichever worker claims it. So uncommitted changes to tracked files add `-dirty.` and a digest
 * of the diff, and each edit is a build of its own (a new file counts once it is added, `git add -N`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SettingsError } from '../domain/settings-error.js';

const repoDir = fileURLToPath(new URL('..', import.meta.url));

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

export function defaultBuildId(): string {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  let commit: string;
  let diff: string;
  try {
    commit = git(['rev-parse', '--short=7', 'HEAD']).trim();
    diff = git(['diff', 'HEAD', '--binary']);
  } catch (error) {
    const reason = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new SettingsError(
      `TEMPORAL_WORKER_BUILD_ID is not set, and the build id cannot be derived from git in ${repoDir} (${reason}). ` +
        'Set TEMPORAL_WORKER_BUILD_ID to an id of this build, e.g. its image tag.',
    );
  }
  const dirty = diff === '' ? '' : `-dirty.${createHash('sha256').update(diff).digest('hex').slice(0, 8)}`;
  return `${version}+${commit}${dirty}`;
}
