/** What every console page handler shares: rendering a page, its context (who, CSRF token), role checks, forms. */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Role } from '../auth.js';
import { problems } from '../problem.js';
import type { PageContext } from './views/layout.js';

/** The page context of a request: who is signed in and this browser's CSRF token (console/router.ts makes it). */
export type PageContextOf = (req: Request, res: Response) => PageContext;

/** A form's fields, each a single string (a repeated field keeps its last value). */
export type Form = Record<string, string | undefined>;

export function formOf(body: unknown): Form {
  const entries = Object.entries(body && typeof body === 'object' ? body : {});
  return Object.fromEntries(entries.map(([key, value]) => [key, Array.isArray(value) ? String(value.at(-1)) : typeof value === 'string' ? value : undefined]));
}

/** A field's text without surrounding blanks; undefined when there is none. */
export const fieldText = (form: Form, name: string) => (form[name]?.trim() ? form[name]!.trim() : undefined);

export function renderPage(res: Response, page: VNode, status = 200): void {
  res.status(status).type('html').send(`<!doctype html>${renderToString(page)}`);
}

export function allow(...roles: Role[]): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) =>
    req.principal && roles.includes(req.principal.role) ? next() : next(problems.forbidden(`This is for the ${roles.filter((r) => r !== 'channel').join(' and ')} roles.`));
}

/** An id as a notice may repeat it: the characters our ids use, at most 100. */
export const idForNotice = (value: unknown) => (typeof value === 'string' ? value.replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 100) : '');
