/**
 * docs/api.md's table of endpoints names, for each, the roles that may call it. Those come from one table
 * (api/actions/permissions.ts) that the routes require and the OpenAPI document words; this keeps the
 * prose the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../api/auth.js';
import { createOpenApiDocument } from '../../api/openapi/document.js';
import { repoRoot } from '../../stack/processes.js';

type Operations = Record<string, Record<string, { 'x-roles'?: string[] }>>;

/** `owning channel, support` -> channel, support; `any` -> every role; `support, admin; a channel sees its own` -> channel too. */
function rolesOf(cell: string): string[] {
  if (cell.trim() === 'any') return [...ROLES].sort();
  const roles = cell.split(/[,;]/).map((part) => part.trim().replace(/^owning /, '').replace(/^a channel sees its own$/, 'channel'));
  return [...new Set(roles)].sort();
}

describe('docs/api.md', () => {
  // An escaped `\|` is part of a cell, not a border.
  const table = fs.readFileSync(path.join(repoRoot, 'docs', 'api.md'), 'utf8').replaceAll('\\|', '/');
  const rows = [...table.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) (\/v1\/[^`?\s]+)[^|]*\| ([^|]+) \|/gm)].map(([, method, route, roles]) => ({
    operation: `${method.toLowerCase()} ${route}`,
    roles: rolesOf(roles),
  }));
  const paths = createOpenApiDocument().paths as Operations;
  const documented = Object.entries(paths)
    .filter(([route]) => route.startsWith('/v1/'))
    .flatMap(([route, methods]) => Object.entries(methods).map(([method, operation]) => ({ operation: `${method} ${route}`, roles: [...(operation['x-roles'] ?? [])].sort() })));

  it('lists every v1 operation of the OpenAPI document, with the roles that may call it', () => {
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.sort((a, b) => a.operation.localeCompare(b.operation))).toEqual(documented.sort((a, b) => a.operation.localeCompare(b.operation)));
  });
});
