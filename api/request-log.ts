/**
 * Structured logs (pino, JSON lines): one line per request with its id, method, route, status and time,
 * and the errors it met. The id is the client's `X-Request-Id` when it sends a usable one, else a new
 * one; it is sent back in `X-Request-Id` and recorded on an order's workflow (its memo), so a log line
 * leads to the workflow and back. A request refused because the engine is behind says so (`refused`: the
 * reason and the Retry-After it got). Authorization headers and cookies are never logged.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler, Response } from 'express';
import type { Refusal } from './admission.js';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export function createLogger(env: NodeJS.ProcessEnv): Logger {
  return pino({ level: env.LOG_LEVEL || 'info', base: { service: 'api' } });
}

const USABLE_ID = /^[\w.:-]{1,100}$/;

export function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const sent = req.headers['x-request-id'];
      const id = typeof sent === 'string' && USABLE_ID.test(sent) ? sent : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // A 503 says a dependency is down (logged where it was met) or the engine is behind (the line says `refused`); other 5xx are our failures.
    customLogLevel: (_req, res, error) => (res.statusCode === 503 ? 'warn' : error || res.statusCode >= 500 ? 'error' : 'info'),
    // A request refused because the engine is behind (api/admission.ts): why, and when it was told to come back;
    // no error and stack as for a failure, since a refusal is the API working as meant.
    customProps: (_req, res) => {
      const refusal = refusalOf(res);
      return refusal ? { refused: refusal } : {};
    },
    customErrorMessage: (_req, res) => (refusalOf(res) ? 'request refused: the engine is behind' : 'request errored'),
    customErrorObject: (_req, res, _error, logged: Record<string, unknown>) => {
      if (!refusalOf(res)) return logged;
      const { err: _err, ...rest } = logged;
      return rest;
    },
    serializers: {
      // A tracking link's token is a credential: the path keeps only that it was one.
      req: (req: IncomingMessage & { id?: unknown }) => ({ id: req.id, method: req.method, url: req.url?.replace(/^\/track\/[^?]*/, '/track/…') }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}

function refusalOf(res: IncomingMessage | ServerResponse): Refusal | undefined {
  return (res as Response).locals?.refusal as Refusal | undefined;
}
