/**
 * Running the commands (pip, go, npm, tar, ...) that install a tool, and the error that says what to do
 * when one fails: `npm install` and `npm test` print its message alone, without a stack trace.
 */
import { spawn } from 'node:child_process';

export class ToolInstallError extends Error {}

/**
 * Runs a command with its output on our stderr (pip/go/npm are quiet unless something is wrong), or
 * with its stdout captured and returned.
 */
export function runInstallCommand(
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
