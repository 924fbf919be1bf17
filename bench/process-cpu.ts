/**
 * CPU time per process of a process tree (Linux /proc), so a benchmark shows where the CPU went: the
 * database, the Temporal server, the worker, the API, or the benchmark's own client.
 */
import { descendantsIn, hasProcessTable, readProcessTable } from '../stack/process-table.js';

export type CpuSeconds = Map<string, number>;

/** Names a process by what it runs: `ferretdb`, `temporal`, `worker/main.ts` -> `worker`, ... */
function processName(commandLine: string): string {
  const known: Array<[RegExp, string]> = [
    [/ferretdb/, 'FerretDB'],
    [/temporal server|temporal-server-v[\d.]+\/server/, 'Temporal server'],
    [/postgres/, 'PostgreSQL'],
    [/mailpit/, 'Mailpit'],
    [/worker\/main\.ts/, 'worker'],
    [/api\/main\.ts/, 'API'],
    [/bench\/orders\.ts/, 'benchmark client (incl. the bare workflow\'s worker)'],
    [/stack\/start\.ts/, 'npm start supervisor'],
  ];
  return known.find(([pattern]) => pattern.test(commandLine))?.[1] ?? commandLine.split(/\s+/)[0].split('/').pop() ?? 'other';
}

/** CPU seconds used so far by `rootPids` and their descendants, summed by process name. Empty where /proc is missing. */
export async function treeCpu(rootPids: number[]): Promise<CpuSeconds> {
  const totals: CpuSeconds = new Map();
  if (!hasProcessTable()) return totals;
  const table = await readProcessTable();
  const roots = table.filter((entry) => rootPids.includes(entry.pid));
  for (const entry of [...roots, ...descendantsIn(table, rootPids)]) {
    const name = processName(entry.commandLine);
    totals.set(name, (totals.get(name) ?? 0) + entry.cpuSeconds);
  }
  return totals;
}

/** What each process used between two readings, largest first. */
export function cpuBetween(before: CpuSeconds, after: CpuSeconds): Array<{ name: string; seconds: number }> {
  return [...after]
    .map(([name, seconds]) => ({ name, seconds: seconds - (before.get(name) ?? 0) }))
    .filter((row) => row.seconds > 0)
    .sort((a, b) => b.seconds - a.seconds);
}
