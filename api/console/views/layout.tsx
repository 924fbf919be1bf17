/** The frame of every console page: header with the sections a role may open, who is signed in, sign-out. */
import type { ComponentChildren } from 'preact';
import type { Principal } from '../../auth.js';

export interface PageContext {
  principal?: Principal;
  /** The CSRF token for this browser, put into every form that changes something. */
  csrfToken: string;
}

export function Layout({ title, context, scripts = [], children }: { title: string; context: PageContext; scripts?: string[]; children: ComponentChildren }) {
  const { principal, csrfToken } = context;
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Fulfillment console`}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        {scripts.map((src) => <script src={src} defer />)}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/console">Fulfillment console</a>
          {principal && (
            <nav aria-label="Sections">
              {principal.role !== 'warehouse' && <a href="/console">Orders</a>}
              {principal.role === 'warehouse' && <a href="/console/warehouse">Warehouse</a>}
              {principal.role === 'admin' && <a href="/console/inventory">Inventory</a>}
            </nav>
          )}
          {principal && (
            <form method="post" action="/console/sign-out" class="who">
              <span>Signed in as {principal.label}</span>
              <CsrfField token={csrfToken} />
              <button type="submit">Sign out</button>
            </form>
          )}
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** A problem the API answered, as people read it. */
export function ProblemNotice({ problem }: { problem?: { title: string; detail?: string; status: number } }) {
  if (!problem) return null;
  return (
    <div class="notice error" role="alert">
      <strong>{problem.title}</strong> {problem.detail}
    </div>
  );
}
