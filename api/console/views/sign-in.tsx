/** Signing in with an API key of the support, warehouse or admin role. */
import { CsrfField, Layout, ProblemNotice, type PageContext } from './layout.js';

export function SignInPage({ context, problem, next }: { context: PageContext; problem?: { title: string; detail?: string; status: number }; next?: string }) {
  return (
    <Layout title="Sign in" context={context}>
      <section class="narrow">
        <h1>Sign in</h1>
        <ProblemNotice problem={problem} />
        <form method="post" action="/console/sign-in" class="stack">
          <CsrfField token={context.csrfToken} />
          {next && <input type="hidden" name="next" value={next} />}
          <label for="apiKey">API key</label>
          <input id="apiKey" name="apiKey" type="password" autocomplete="current-password" required />
          <p class="hint">A key of the support, warehouse or admin role. It stays on the server; the browser keeps only a signed session cookie.</p>
          <button type="submit">Sign in</button>
        </form>
      </section>
    </Layout>
  );
}
