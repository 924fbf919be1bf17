/**
 * One order as support sees it: what was ordered and paid, where it ships from, its timeline and emails, and
 * the changes this person may ask for. The details (#order-live) refresh by themselves when the order changes
 * (console/assets/live.js); the forms below them keep what is being typed.
 */
import type { OrderView } from '../../schemas/order-view.js';
import type { CancelOffer, OrderActionName } from '../order-actions.js';
import { money, statusText, when } from './format.js';
import { CsrfField, Layout, ProblemNotice, type PageContext } from './layout.js';

export interface SentEmail {
  event: string;
  recipient: string;
  subject: string;
  status: string;
  at: string;
}

export interface OrderPageProps {
  context: PageContext;
  order: OrderView;
  emails: SentEmail[];
  temporalUrl: string;
  actions: Set<OrderActionName>;
  cancelOffer: CancelOffer;
  /** The order's revision shown, so live.js knows when the stored one is newer. */
  revision: number;
  /** The answer to the change just made. */
  notice?: string;
  problem?: { title: string; detail?: string; status: number };
}

export function OrderPage(props: OrderPageProps) {
  const { context, order, actions, cancelOffer, notice, problem } = props;
  return (
    <Layout title={`Order ${order.externalId}`} context={context} scripts={['/console/assets/live.js']}>
      <p><a href="/console">← Orders</a></p>
      {notice && <div class="notice ok" role="status">{notice}</div>}
      <ProblemNotice problem={problem} />
      <div id="order-live" data-events={`/console/orders/${encodeURIComponent(order.orderId)}/events`} data-revision={String(props.revision)} aria-live="polite">
        <OrderDetails {...props} />
      </div>
      <OrderActions order={order} actions={actions} cancelOffer={cancelOffer} csrfToken={context.csrfToken} />
    </Layout>
  );
}

export function OrderDetails({ order, emails, temporalUrl }: OrderPageProps) {
  const { currency } = order.total;
  return (
    <>
      <div class="title-row">
        <h1>Order {order.externalId}</h1>
        <span class={`status status-${order.status}`}>{statusText(order.status)}</span>
      </div>
      <dl class="facts">
        <dt>Order id</dt><dd class="mono">{order.orderId}</dd>
        <dt>Channel</dt><dd>{order.channel}</dd>
        <dt>Customer</dt><dd>{order.customer.name ?? order.customer.id} ({order.customer.id}), {order.customer.email}</dd>
        <dt>Ship to</dt><dd>{[order.shippingAddress.name, order.shippingAddress.line1, order.shippingAddress.line2, `${order.shippingAddress.postalCode} ${order.shippingAddress.city}`, order.shippingAddress.country].filter(Boolean).join(', ')}</dd>
        <dt>Received</dt><dd>{when(order.createdAt)}</dd>
        <dt>Last change</dt><dd>{when(order.updatedAt)}</dd>
        {order.review && (<><dt>Review</dt><dd>{order.review.reason}{order.review.decision ? ` — ${order.review.decision}` : ''}</dd></>)}
        {order.lateSince && (<><dt>Late since</dt><dd>{when(order.lateSince)}</dd></>)}
        {order.backorderDeadline && (<><dt>Backordered until</dt><dd>{when(order.backorderDeadline)}</dd></>)}
      </dl>
      <p><a href={temporalUrl} target="_blank" rel="noopener">Open this order's workflow in the Temporal UI</a></p>

      <section aria-labelledby="lines">
        <h2 id="lines">Lines</h2>
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Line</th><th scope="col">SKU</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Cancelled</th><th scope="col" class="num">Unit price</th></tr></thead>
            <tbody>
              {order.lines.map((line) => (
                <tr><td>{line.lineId}</td><td>{line.sku}</td><td class="num">{line.quantity}</td><td class="num">{line.cancelledQuantity}</td><td class="num">{money(line.unitPrice, currency)}</td></tr>
              ))}
            </tbody>
            <tfoot><tr><th scope="row" colSpan={4}>Total</th><td class="num">{money(order.total.amount, currency)}</td></tr></tfoot>
          </table>
        </div>
      </section>

      <section aria-labelledby="payment">
        <h2 id="payment">Payment</h2>
        <dl class="facts">
          <dt>Status</dt><dd>{statusText(order.payment.status)}</dd>
          <dt>Authorized</dt><dd>{money(order.payment.authorized, currency)}</dd>
          <dt>Captured</dt><dd>{money(order.payment.captured, currency)}</dd>
          <dt>Refunded</dt><dd>{money(order.payment.refunded, currency)}</dd>
          <dt>Voided</dt><dd>{money(order.payment.voided, currency)}</dd>
        </dl>
      </section>

      <section aria-labelledby="shipments">
        <h2 id="shipments">Allocations and shipments</h2>
        {order.allocations.length === 0 && order.shipments.length === 0 && <p class="empty">Nothing allocated yet.</p>}
        {order.unallocated.length > 0 && (
          <p>Waiting for stock: {order.unallocated.map((u) => `${u.quantity} x ${u.sku}`).join(', ')}</p>
        )}
        {order.shipments.length > 0 && (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Shipment</th><th scope="col">Warehouse</th><th scope="col">Status</th><th scope="col">Carrier</th><th scope="col">Tracking number</th><th scope="col">Contents</th></tr></thead>
              <tbody>
                {order.shipments.map((s) => (
                  <tr><td class="mono">{s.shipmentId}</td><td>{s.warehouseId}</td><td>{statusText(s.status)}</td><td>{s.carrier}</td><td class="mono">{s.trackingNumber}</td><td>{s.lines.map((l) => `${l.quantity} x ${l.sku}`).join(', ')}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {order.returns.length > 0 && (
        <section aria-labelledby="returns">
          <h2 id="returns">Returns</h2>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Return</th><th scope="col">Status</th><th scope="col">Units</th><th scope="col">Reason</th><th scope="col" class="num">Refund</th></tr></thead>
              <tbody>
                {order.returns.map((r) => (
                  <tr><td class="mono">{r.returnId}</td><td>{statusText(r.status)}</td><td>{r.lines.map((l) => `${l.quantity} x ${l.sku}`).join(', ')}</td><td>{r.reason}</td><td class="num">{r.amount !== undefined ? money(r.amount, currency) : ''}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <ol class="timeline">
          {order.timeline.map((entry) => (
            <li>
              <time dateTime={entry.at}>{when(entry.at)}</time> <span class="event">{statusText(entry.type)}</span> {entry.message}
              {entry.webhook && <small class="webhook"> · sent to the channel's webhook {when(entry.webhook.deliveredAt)} ({entry.webhook.attempts} {entry.webhook.attempts === 1 ? 'attempt' : 'attempts'})</small>}
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby="emails">
        <h2 id="emails">Emails to the customer</h2>
        {emails.length === 0 ? <p class="empty">None yet.</p> : (
          <ul class="emails">
            {emails.map((email) => (
              <li><time dateTime={email.at}>{when(email.at)}</time> {email.subject} <small>to {email.recipient}, {email.status}</small></li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

const orderPath = (order: OrderView, action: string) => `/console/orders/${encodeURIComponent(order.orderId)}/${action}`;

function OrderActions({ order, actions, cancelOffer, csrfToken }: { order: OrderView; actions: Set<OrderActionName>; cancelOffer: CancelOffer; csrfToken: string }) {
  // live.js swaps this section only when what is offered changed (the units that can be cancelled too), so
  // typing is never lost to a refresh.
  const offered = [...actions, ...cancelOffer.lines.map((line) => `${line.lineId}:${line.units}`)].join(' ');
  return (
    <section aria-labelledby="actions" class="actions" id="order-actions" data-offered={offered} hidden={actions.size === 0}>
      <h2 id="actions">Actions</h2>
      {actions.has('review') && (
        <form method="post" action={orderPath(order, 'review')} class="action">
          <h3>Review hold</h3>
          <CsrfField token={csrfToken} />
          <fieldset>
            <legend>Decision</legend>
            <label class="inline"><input type="radio" name="decision" value="approve" required /> Approve: allocate and ship</label>
            <label class="inline"><input type="radio" name="decision" value="reject" /> Reject: cancel and void the payment</label>
          </fieldset>
          <label for="review-note">Note (optional)</label>
          <input id="review-note" name="note" maxLength={500} />
          <button type="submit">Decide…</button>
        </form>
      )}
      {actions.has('cancel') && (
        <form method="post" action={orderPath(order, 'cancel')} class="action">
          <h3>Cancel</h3>
          <CsrfField token={csrfToken} />
          <p class="hint">
            {cancelOffer.wholeOrder
              ? 'Leave every count at 0 to cancel the whole order, or choose units of lines that have not shipped.'
              : 'Part of the order has left the warehouse: choose units of lines that have not shipped.'}
          </p>
          {cancelOffer.lines.map((line) => (
            <div class="units">
              <label for={`cancel-${line.lineId}`}>{`${line.lineId}: ${line.sku} (${line.units} can be cancelled)`}</label>
              <input id={`cancel-${line.lineId}`} name={`units_${line.lineId}`} type="number" min={0} max={line.units} value="0" inputMode="numeric" />
            </div>
          ))}
          <label for="cancel-reason">Reason</label>
          <input id="cancel-reason" name="reason" required maxLength={500} />
          <button type="submit" class="danger">Cancel…</button>
        </form>
      )}
      {actions.has('shipping-address') && (
        <form method="post" action={orderPath(order, 'shipping-address')} class="action">
          <h3>Shipping address</h3>
          <CsrfField token={csrfToken} />
          <AddressFields address={order.shippingAddress} />
          <button type="submit">Change address…</button>
        </form>
      )}
      {actions.has('return') && (
        <form method="post" action={orderPath(order, 'return')} class="action">
          <h3>Open a return</h3>
          <CsrfField token={csrfToken} />
          {order.lines.map((line) => (
            <div class="units">
              <label for={`return-${line.lineId}`}>{`${line.lineId}: ${line.sku}`}</label>
              <input id={`return-${line.lineId}`} name={`units_${line.lineId}`} type="number" min={0} max={line.quantity - line.cancelledQuantity} value="0" inputMode="numeric" />
            </div>
          ))}
          <label for="return-reason">Reason</label>
          <input id="return-reason" name="reason" required maxLength={500} />
          <button type="submit">Open return…</button>
        </form>
      )}
    </section>
  );
}

function AddressFields({ address }: { address: OrderView['shippingAddress'] }) {
  const field = (name: keyof typeof address & string, label: string, required: boolean, extra: Record<string, unknown> = {}) => (
    <>
      <label for={`address-${name}`}>{label}</label>
      <input id={`address-${name}`} name={name} value={String(address[name] ?? '')} required={required} {...extra} />
    </>
  );
  return (
    <div class="address">
      {field('name', 'Name', false, { maxLength: 200 })}
      {field('line1', 'Street and number', true, { maxLength: 200 })}
      {field('line2', 'Address line 2', false, { maxLength: 200 })}
      {field('postalCode', 'Postal code', true, { maxLength: 20 })}
      {field('city', 'City', true, { maxLength: 100 })}
      {field('country', 'Country (two letters)', true, { maxLength: 2, pattern: '[A-Za-z]{2}' })}
    </div>
  );
}
