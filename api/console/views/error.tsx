/** What went wrong, in words: not found, not allowed, a stale form, or our own failure. */
import { Layout, ProblemNotice, type PageContext } from './layout.js';

export function ErrorPage({ context, problem }: { context: PageContext; problem: { title: string; detail?: string; status: number } }) {
  return (
    <Layout title={problem.title} context={context}>
      <h1>{problem.title}</h1>
      <ProblemNotice problem={problem} />
      <p>{context.principal ? <a href="/console">Back to the orders</a> : <a href="/console/sign-in">Sign in</a>}</p>
    </Layout>
  );
}
