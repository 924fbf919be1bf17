/**
 * The layers, checked: dependencies between the top-level folders point one way only, down this list,
 * and no module imports itself round a circle. Type-only imports count: they tie the layers just the same.
 *
 *   test -> bench -> stack (and vitest.config.ts) -> api, worker -> workflows -> activities -> services -> contracts, persistence, config.ts -> domain
 *
 * (Tests may check the benchmarks' own logic, such as their event stream parser; a benchmark never uses a test.)
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/processes.js';

/** Higher imports lower; equal ranks in different folders do not import each other. */
const RANK: Record<string, number> = {
  domain: 0,
  contracts: 1,
  persistence: 1,
  'config.ts': 1,
  services: 2,
  activities: 3,
  workflows: 4,
  api: 5,
  worker: 5,
  stack: 6,
  bench: 7,
  test: 8,
  'vitest.config.ts': 6,
};
const TESTS_AND_TOOLS = new Set(['test', 'bench']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', '.data', '.git', 'tools'].includes(entry.name)) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** `./x.js` as written in an import -> the .ts or .tsx file it names. */
function resolveImport(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier).replace(/\.js$/, '');
  return [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate));
}

type Graph = Map<string, string[]>;

/** Every relative import between our own files, by path from the repository root. */
function importGraph(files: string[]): Graph {
  return new Map(
    files.map((file) => {
      const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
      const targets = importedFiles
        .filter(({ fileName }) => fileName.startsWith('.'))
        .flatMap(({ fileName }) => resolveImport(file, fileName) ?? []);
      return [path.relative(repoRoot, file), targets.map((target) => path.relative(repoRoot, target))];
    }),
  );
}

const topLevel = (file: string) => file.split(path.sep)[0];

/** Imports from one top-level folder to another that the ranks do not allow. */
export function upwardArrows(graph: Graph): string[] {
  const arrows = new Set<string>();
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const [a, b] = [topLevel(from), topLevel(to)];
      if (a === b) continue;
      if (!(a in RANK) || !(b in RANK)) arrows.add(`${from} -> ${to} (a folder with no place in the layers)`);
      else if (RANK[b] >= RANK[a]) arrows.add(`${from} -> ${to}`);
    }
  }
  return [...arrows].sort();
}

/** Circles among the modules (strongly connected components of more than one file, or a file importing itself). */
export function circles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

describe('the import graph', () => {
  const graph = importGraph(sourceFiles(repoRoot));

  it('sees the whole tree', () => {
    for (const folder of ['domain', 'contracts', 'persistence', 'services', 'activities', 'workflows', 'api', 'worker', 'stack']) {
      expect([...graph.keys()].some((file) => topLevel(file) === folder), `${folder}/ has modules`).toBe(true);
    }
  });

  it('points down the layers only', () => {
    expect(upwardArrows(graph)).toEqual([]);
  });

  it('has no circles in the product code', () => {
    const product = new Map([...graph].filter(([file]) => !TESTS_AND_TOOLS.has(topLevel(file))));
    expect(circles(product)).toEqual([]);
  });

  it('catches an upward arrow and a circle', () => {
    const bad: Graph = new Map([
      ['activities/stock.ts', ['api/problem.ts', 'domain/stock.ts']],
      ['api/problem.ts', []],
      ['domain/stock.ts', ['domain/money.ts']],
      ['domain/money.ts', ['domain/stock.ts']],
    ]);
    expect(upwardArrows(bad)).toEqual(['activities/stock.ts -> api/problem.ts']);
    expect(circles(bad)).toEqual([['domain/money.ts', 'domain/stock.ts']]);
  });
});
