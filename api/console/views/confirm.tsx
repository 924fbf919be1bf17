/** The step between a form and its effect: what will happen, in a sentence, with a button to go ahead. */
import { CsrfField, Layout, type PageContext } from './layout.js';

export function ConfirmPage({ context, sentence, action, fields, back }: { context: PageContext; sentence: string; action: string; fields: Record<string, string>; back: string }) {
  return (
    <Layout title="Confirm" context={context}>
      <section class="narrow confirm">
        <h1>Confirm</h1>
        <p>{sentence}</p>
        <form method="post" action={action} class="row">
          <CsrfField token={context.csrfToken} />
          {Object.entries(fields).map(([name, value]) => <input type="hidden" name={name} value={value} />)}
          <input type="hidden" name="confirmed" value="yes" />
          <button type="submit">Yes, go ahead</button>
          <a href={back}>No, go back</a>
        </form>
      </section>
    </Layout>
  );
}
