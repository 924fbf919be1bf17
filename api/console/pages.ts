/** What every console page handler shares: rendering a page, its context (who, CSRF token), role checks. */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Role } from '../auth.js';
import { problems } from '../problem.js';
import type { PageContext } from './views/layout.js';

export interface Render {
  render(res: Response, page: VNode, status?: number): void;
  context(req: Request, res: Response): PageContext;
  allow(...roles: Role[]): RequestHandler;
}

export function renderPage(res: Response, page: VNode, status = 200): void {
  res.status(status).type('html').send(`<!doctype html>${renderToString(page)}`);
}

export function allow(...roles: Role[]): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) =>
    req.principal && roles.includes(req.principal.role) ? next() : next(problems.forbidden(`This is for the ${roles.filter((r) => r !== 'channel').join(' and ')} roles.`));
}

/** An id as a notice may repeat it: the characters our ids use, at most 100. */
export const idForNotice = (value: unknown) => (typeof value === 'string' ? value.replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 100) : '');
