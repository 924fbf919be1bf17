/** Signing in to the console with an API key (a support, warehouse or admin key), and out again. */
import { Router, type Request, type Response } from 'express';
import { principalOfKey, type FailedAuthentication, type KeyEntry, type Principal } from '../auth.js';
import { problems } from '../problem.js';
import { renderPage, type PageContextOf } from './pages.js';
import { CONSOLE_ROLES, SESSION_COOKIE, sessionCookieOptions, sessionFor, signOut, type ConsoleKeys } from './session.js';
import { SignInPage } from './views/sign-in.js';

export function signInRoutes(
  { apiKeys, keys, failedAuthentication, production }: { apiKeys: KeyEntry[]; keys: ConsoleKeys; failedAuthentication: FailedAuthentication; production: boolean },
  context: PageContextOf,
): Router {
  const router = Router();

  router.get('/sign-in', (req: Request, res: Response) => {
    renderPage(res, SignInPage({ context: context(req, res), next: safeNext(req.query.next) }));
  });

  router.post('/sign-in', async (req, res) => {
    const apiKey = typeof req.body.apiKey === 'string' ? req.body.apiKey.trim() : '';
    const principal = apiKey ? principalOfKey(apiKeys, apiKey) : undefined;
    if (!principal || !(CONSOLE_ROLES as readonly string[]).includes(principal.role)) {
      // A valid key of another role is no guess: only a wrong key counts, and only it meets the 429.
      const problem = principal
        ? problems.forbidden(`A ${principal.role} key cannot open the console; it is for the support, warehouse and admin roles.`)
        : await failedAuthentication(req, res, problems.unauthorized('That API key is not valid.'));
      return renderPage(res, SignInPage({ context: context(req, res), problem, next: safeNext(req.body.next) }), problem.status);
    }
    res.cookie(SESSION_COOKIE, sessionFor(keys, apiKey), sessionCookieOptions(production));
    res.redirect(303, safeNext(req.body.next) ?? homeOf(principal));
  });

  router.post('/sign-out', (_req, res) => {
    signOut(res, production);
    res.redirect(303, '/console/sign-in');
  });

  return router;
}

function homeOf(principal: Principal): string {
  return principal.role === 'warehouse' ? '/console/warehouse' : '/console';
}

/** Only a path of this console, never another site (an open redirect). */
function safeNext(value: unknown): string | undefined {
  return typeof value === 'string' && /^\/console(\/|$|\?)/.test(value) && !value.startsWith('//') ? value : undefined;
}
