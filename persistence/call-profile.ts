/**
 * Counting this process's database calls, for benchmarks (`npm run bench:orders`): with OMS_DB_PROFILE_DIR
 * set, the worker and the API count every collection call mongoose makes, by collection, method and filter
 * shape, and write the counts to `<dir>/<name>-<pid>.json` when they exit. A shape keeps field names and
 * operators, never values: `orders.updateOne {_id, revision: {$lt}}`.
 */
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';

/** The shape of a filter: its field names and operators, values left out. */
export function filterShape(value: unknown): string {
  if (Array.isArray(value)) return `[${[...new Set(value.map(filterShape))].join(' | ')}]`;
  if (!isPlainObject(value)) return '?';
  return `{${Object.entries(value)
    .map(([key, inner]) => (isPlainObject(inner) || Array.isArray(inner) ? `${key}: ${filterShape(inner)}` : key))
    .join(', ')}}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** What a call is looked up by: the filter of reads and updates, the stages of an aggregation. */
function callShape(method: string, args: unknown[]): string {
  if (method.startsWith('insert') || method === 'createIndex') return '';
  if (method === 'aggregate') return filterShape((args[0] as unknown[] | undefined)?.map((stage) => Object.keys(stage as object)[0]));
  return filterShape(args[0]);
}

export function profileDatabaseCalls(dir: string, name: string): void {
  const counts: Record<string, number> = {};
  mongoose.set('debug', (collection: string, method: string, ...args: unknown[]) => {
    const call = `${collection}.${method} ${callShape(method, args)}`.trimEnd();
    counts[call] = (counts[call] ?? 0) + 1;
  });
  process.on('exit', () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}-${process.pid}.json`), JSON.stringify(counts));
  });
}
