/** Request parsing with the shared zod schemas; a mismatch becomes a 400 problem naming each field. */
import type { z } from 'zod';
import { fieldErrors, problems } from './problem.js';

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path' | 'header'): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const detail = { body: 'The request body', query: 'The query string', path: 'The URL', header: 'A request header' }[where] + ' is not valid.';
  throw problems.validation(fieldErrors(result.error, where === 'body' ? '' : where), detail);
}
