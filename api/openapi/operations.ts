/**
 * The building blocks of the OpenAPI document: JSON bodies and answers, the problem answers every /v1
 * operation shares, and `op`, which adds those and words who may call the operation from the roles that
 * the routes require (api/actions/permissions.ts).
 */
import type { ZodOpenApiOperationObject, ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { z } from 'zod';
import { describeRoles } from '../actions/permissions.js';
import type { Role } from '../auth.js';
import { Health, Problem } from '../schemas/common.js';

export const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

export const problem = (description: string, more: { id?: string; headers?: z.ZodObject } = {}): ZodOpenApiResponseObject => ({
  description,
  ...more,
  content: { 'application/problem+json': { schema: Problem } },
});

/** A stream of server-sent events (api/event-stream.ts): what its events are is in the description. */
export const eventStream = (description: string) => ({
  description,
  content: { 'text/event-stream': { schema: z.string().meta({ description: 'Server-sent events (the WHATWG HTML standard): blocks of `id:`, `event:` and `data:` lines, and `:` comments, each ended by an empty line' }) } },
});

/** A JSON body; required unless the operation takes none as `{}` (`required: false`). */
export const body = (schema: z.ZodType, { required = true } = {}) => ({ required, content: { 'application/json': { schema } } });

/** `Retry-After`, in seconds, on a 429 and a 503. */
const RetryAfter = z.int().min(0).meta({ description: 'Seconds to wait before trying again' });

/**
 * The answers that only some operations give, named where they are. Every /v1 operation may also give those
 * that `op` adds.
 */
export const errors = (...codes: Array<'404' | '409' | '422'>): ZodOpenApiResponsesObject => {
  const descriptions = {
    '404': 'Not found (or not visible to this caller)',
    '409': 'Conflict with the current state',
    '422': 'Valid shape, but refers to something that does not exist',
  };
  return Object.fromEntries(codes.map((code) => [code, problem(descriptions[code])]));
};

/** The answers every /v1 operation may give: api/auth.ts, api/guards.ts and api/problem.ts. */
const SHARED = {
  invalid: problem('Invalid request: malformed JSON, or a path or query parameter, header or body field the schema refuses', { id: 'InvalidRequest' }),
  unauthorized: problem('Missing or invalid API key', { id: 'Unauthorized' }),
  forbidden: problem('The key lacks the role', { id: 'Forbidden' }),
  tooLarge: problem('Body larger than 64 kB', { id: 'PayloadTooLarge' }),
  notJson: problem('A body that is not JSON: send `Content-Type: application/json` (or `+json`)', { id: 'UnsupportedMediaType' }),
  tooMany: problem(
    'Rate limit reached: `RATE_LIMIT_PER_KEY` requests per key and minute, or, for a request without a valid key, `RATE_LIMIT_FAILED_AUTH` wrong or missing keys from its client address in 15 minutes',
    {
      id: 'TooManyRequests',
      headers: z.object({
        'Retry-After': RetryAfter,
        RateLimit: z.string().meta({ description: 'The limit that was reached and what is left of it (IETF draft 8)', example: '"per-key"; r=0; t=42' }),
        'RateLimit-Policy': z.string().meta({ description: 'The limit (IETF draft 8)', example: '"per-key"; q=12000; w=60' }),
      }),
    },
  ),
  unavailable: problem('The database or Temporal cannot be reached right now; answered within a few seconds', {
    id: 'ServiceUnavailable',
    headers: z.object({ 'Retry-After': RetryAfter }),
  }),
};

/**
 * The 503 of intake and changes to running orders, which are also refused while the engine is too far behind
 * (api/admission.ts); it takes the place of the shared 503 in those operations' answers.
 */
export const REFUSED_WHILE_BEHIND = {
  '503': problem(
    'The database or Temporal cannot be reached, or the engine is too far behind to take this on now (answered at once; nothing was changed): send it again after `Retry-After` seconds',
    { id: 'ServiceUnavailableOrBehind', headers: z.object({ 'Retry-After': RetryAfter }) },
  ),
};

export const METHOD_NOT_ALLOWED = problem('The path does not take this method; `Allow` names those it takes', {
  id: 'MethodNotAllowed',
  headers: z.object({ Allow: z.string().meta({ example: 'GET, POST, HEAD' }) }),
});

/** GET /health and /health/ready (api/app.ts): no key needed, no rate limit. */
export const health = (summary: string): ZodOpenApiOperationObject => ({
  summary,
  responses: {
    '200': json(Health, 'Temporal and MongoDB answer'),
    '503': { ...json(Health, 'A dependency does not answer; `checks` says which'), headers: z.object({ 'Retry-After': RetryAfter }) },
  },
});

/**
 * A /v1 operation for the keys of `roles`: its summary names them (and `x-roles` lists them), and besides
 * its own answers it may give 401, 403, 429 and 503; 400 when it takes parameters or a body, and 413 and
 * 415 when it takes a body. An answer the operation describes itself takes the place of the shared one.
 */
export const op = (roles: readonly Role[], { summary, ...operation }: ZodOpenApiOperationObject & { summary: string }): ZodOpenApiOperationObject => {
  const takesInput = operation.requestBody !== undefined || operation.requestParams !== undefined;
  const responses: ZodOpenApiResponsesObject = {
    ...(takesInput ? { '400': SHARED.invalid } : {}),
    '401': SHARED.unauthorized,
    '403': SHARED.forbidden,
    ...(operation.requestBody ? { '413': SHARED.tooLarge, '415': SHARED.notJson } : {}),
    '429': SHARED.tooMany,
    '503': SHARED.unavailable,
    ...operation.responses,
  };
  const byCode = Object.entries(responses).sort(([a], [b]) => a.localeCompare(b));
  return {
    security: [{ apiKey: [] }],
    summary: `${summary} (${describeRoles(roles)})`,
    'x-roles': [...roles],
    ...operation,
    responses: Object.fromEntries(byCode),
  };
};
