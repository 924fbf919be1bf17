/**
 * CPU time per process of a process tree (Linux /proc), so a benchmark shows where the CPU went: the
 * database, the Temporal server, the worker, the API, or the benchmark's own client.
 */
import fs from 'node:fs/promises';

export type CpuSeconds = Map<string, number>;

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Names a process by what it runs: `ferretdb`, `temporal`, `worker/main.ts` -> `worker`, ... */
function processName(commandLine: string): string {
  const known: Array<[RegExp, string]> = [
    [/ferretdb/, 'FerretDB'],
    [/temporal server/, 'Temporal server'],
    [/mailpit/, 'Mailpit'],
    [/worker\/main\.ts/, 'worker'],
    [/api\/main\.ts/, 'API'],
    [/bench\/orders\.ts/, 'benchmark client (incl. the bare workflow\'s worker)'],
    [/stack\/start\.ts/, 'npm start supervisor'],
  ];
  return known.find(([pattern]) => pattern.test(commandLine))?.[1] ?? commandLine.split(/\s+/)[0].split('/').pop() ?? 'other';
}

async function readProcesses(): Promise<Array<{ pid: number; ppid: number; cpu: number; name: string }>> {
  const entries = await fs.readdir('/proc').catch(() => [] as string[]);
  const processes = [];
  for (const entry of entries.filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) start after its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = (await fs.readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim();
      processes.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
        name: processName(cmdline),
      });
    } catch {
      // The process ended while we read it.
    }
  }
  return processes;
}

/** CPU seconds used so far by `rootPids` and their descendants, summed by process name. Empty where /proc is missing. */
export async function treeCpu(rootPids: number[]): Promise<CpuSeconds> {
  const processes = await readProcesses();
  const inTree = new Set(rootPids);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of processes) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  const totals: CpuSeconds = new Map();
  for (const p of processes) if (inTree.has(p.pid)) totals.set(p.name, (totals.get(p.name) ?? 0) + p.cpu);
  return totals;
}

/** What each process used between two readings, largest first. */
export function cpuBetween(before: CpuSeconds, after: CpuSeconds): Array<{ name: string; seconds: number }> {
  return [...after]
    .map(([name, seconds]) => ({ name, seconds: seconds - (before.get(name) ?? 0) }))
    .filter((row) => row.seconds > 0)
    .sort((a, b) => b.seconds - a.seconds);
}
