/**
 * The machine's processes as Linux lists them in /proc: who started whom, what each runs and the CPU it
 * has used. Read from /proc rather than with `ps`, which slim images lack.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Its arguments joined by spaces, or the title it set itself (vitest's workers do); empty for a kernel thread. */
  commandLine: string;
  /** /proc's one-letter state: R running, S sleeping, Z zombie (exited, not yet reaped by its parent), ... */
  state: string;
  /** User plus system CPU time used so far. */
  cpuSeconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Whether this machine has a process table to read (Linux's /proc). */
export function hasProcessTable(): boolean {
  return existsSync('/proc/self/stat');
}

/** Every process now. Rejects where there is no /proc (ask hasProcessTable first). */
export async function readProcessTable(): Promise<ProcessEntry[]> {
  const pids = (await fs.readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const processes: ProcessEntry[] = [];
  for (const pid of pids) {
    try {
      const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) start after its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const commandLine = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim();
      processes.push({
        pid: Number(pid),
        ppid: Number(fields[1]),
        commandLine,
        state: fields[0],
        cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
      });
    } catch {
      // The process ended while we read it.
    }
  }
  return processes;
}

/**
 * The processes below `rootPids` in `table` (their children, the children's children, ...), each once and
 * after its parent; a root below another root is not among them.
 */
export function descendantsIn(table: ProcessEntry[], rootPids: number[]): ProcessEntry[] {
  const childrenOf = new Map<number, ProcessEntry[]>();
  for (const entry of table) {
    const siblings = childrenOf.get(entry.ppid);
    if (siblings) siblings.push(entry);
    else childrenOf.set(entry.ppid, [entry]);
  }
  const reached = new Set(rootPids);
  const descendants: ProcessEntry[] = [];
  for (let parents = rootPids; parents.length > 0; ) {
    const children = parents.flatMap((pid) => childrenOf.get(pid) ?? []).filter((child) => !reached.has(child.pid));
    for (const child of children) reached.add(child.pid);
    descendants.push(...children);
    parents = children.map((child) => child.pid);
  }
  return descendants;
}
