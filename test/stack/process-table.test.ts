/** stack/process-table.ts: the process table read from /proc, and the walk down a process tree. */
import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { descendantsIn, readProcessTable, type ProcessEntry } from '../../stack/process-table.js';

const entry = (pid: number, ppid: number): ProcessEntry => ({ pid, ppid, commandLine: `process ${pid}`, state: 'S', cpuSeconds: 0 });

describe('the process table', () => {
  it('lists a child of this process with its command line, below this process', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', 'process-table-probe'], { stdio: 'ignore' });
    try {
      // Until the child has exec'd node, /proc shows it with our command line.
      const listed = await vi.waitFor(async () => {
        const table = await readProcessTable();
        const found = table.find((candidate) => candidate.pid === child.pid);
        expect(found?.commandLine).toContain('process-table-probe');
        return { found: found!, table };
      });
      expect(listed.found).toMatchObject({ ppid: process.pid, state: expect.stringMatching(/^[A-Za-z]$/) });
      expect(descendantsIn(listed.table, [process.pid]).map(({ pid }) => pid)).toContain(child.pid);
      expect((await readProcessTable()).find(({ pid }) => pid === process.pid)?.cpuSeconds).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('gives the processes below the roots, each once and after its parent', () => {
    // 1 -> 2 -> 3 -> 4, 1 -> 5; 6 is no one's.
    const table = [entry(4, 3), entry(3, 2), entry(2, 1), entry(5, 1), entry(6, 0), entry(1, 0)];
    expect(descendantsIn(table, [1]).map(({ pid }) => pid)).toEqual([2, 5, 3, 4]);
    // A root below another root (as the benchmark's stack is below its own process): not twice, not as a descendant.
    expect(descendantsIn(table, [1, 3]).map(({ pid }) => pid)).toEqual([2, 5, 4]);
    expect(descendantsIn(table, [4])).toEqual([]);
  });
});
