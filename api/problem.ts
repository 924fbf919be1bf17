/** RFC 9457 problem details: every error the API returns has this shape, rendered in one place. */
import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title);
  }
}

export const problems = {
  validation: (errors: FieldError[], detail = 'The request does not match the schema.') =>
    new HttpProblem(400, 'Invalid request', detail, errors),
  unprocessable: (detail: string, errors?: FieldError[]) => new HttpProblem(422, 'Unprocessable request', detail, errors),
  unauthorized: (detail: string) => new HttpProblem(401, 'Unauthorized', detail),
  forbidden: (detail: string) => new HttpProblem(403, 'Forbidden', detail),
  notFound: (detail: string) => new HttpProblem(404, 'Not found', detail),
  conflict: (detail: string) => new HttpProblem(409, 'Conflict', detail),
  methodNotAllowed: (detail: string) => new HttpProblem(405, 'Method not allowed', detail),
  unsupportedMediaType: (detail: string) => new HttpProblem(415, 'Unsupported media type', detail),
  tooManyRequests: (detail: string) => new HttpProblem(429, 'Too many requests', detail),
  unavailable: (detail: string) => new HttpProblem(503, 'Service unavailable', detail),
};

export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: issue.message,
  }));
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'too-many-requests',
  503: 'unavailable',
};

export function sendProblem(res: Response, problem: HttpProblem): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: `/problems/${TYPE_BY_STATUS[problem.status] ?? 'error'}`,
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
}

/** Seconds a client should wait before retrying while a dependency is down. */
const RETRY_AFTER_OUTAGE_S = 5;

/** Which dependency an error says cannot be reached: the database, Temporal, or neither. */
export function unreachableDependency(error: unknown): 'database' | 'Temporal' | undefined {
  const { name = '', message = '', code, cause } = (error ?? {}) as { name?: string; message?: string; code?: unknown; cause?: { code?: unknown } };
  if (/^Mongo(ose)?(ServerSelection|Network|NetworkTimeout|NotConnected)Error$/.test(name) || /buffering timed out/.test(message)) return 'database';
  // gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4) from the Temporal client, directly or as the cause of a ServiceError.
  const grpc = [code, cause?.code];
  if ((name === 'ServiceError' || name === 'TransportError' || typeof code === 'number') && grpc.some((c) => c === 14 || c === 4)) return 'Temporal';
  return undefined;
}

/** Turns anything thrown by a route, or by Express's body parser, into a problem response. */
export const problemHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (error instanceof HttpProblem) return sendProblem(res, error);
  const down = unreachableDependency(error);
  if (down) {
    req.log.warn({ err: error, dependency: down }, `${down} unreachable`);
    res.set('Retry-After', String(RETRY_AFTER_OUTAGE_S));
    return sendProblem(res, problems.unavailable(`The ${down} cannot be reached right now; nothing was changed by this request unless a retry says so. Retry after ${RETRY_AFTER_OUTAGE_S} seconds.`));
  }
  const parserError = error as { type?: string; status?: number };
  if (parserError.type === 'entity.parse.failed') {
    return sendProblem(res, new HttpProblem(400, 'Malformed JSON', 'The request body is not valid JSON.'));
  }
  if (parserError.type === 'entity.too.large') {
    return sendProblem(res, new HttpProblem(413, 'Payload too large', 'The request body exceeds the size limit.'));
  }
  if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return sendProblem(res, new HttpProblem(parserError.status, 'Bad request', 'The request could not be read.'));
  }
  // Log the cause for engineers (with the request's id: api/request-log.ts); the client gets no internals.
  req.log.error({ err: error }, `${req.method} ${req.path} failed`);
  sendProblem(res, new HttpProblem(500, 'Internal error', 'Something went wrong on our side; it has been logged.'));
};
