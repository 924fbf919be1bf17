/** One order as support sees it: what was ordered and paid, where it ships from, its timeline and emails. */
import type { OrderView } from '../../api/schemas/orders.js';
import { money, statusText, when } from './format.js';
import { Layout, type PageContext } from './layout.js';

export interface SentEmail {
  event: string;
  recipient: string;
  subject: string;
  status: string;
  at: string;
}

export function OrderPage({ context, order, emails, temporalUrl }: { context: PageContext; order: OrderView; emails: SentEmail[]; temporalUrl: string }) {
  const { currency } = order.total;
  return (
    <Layout title={`Order ${order.externalId}`} context={context}>
      <p><a href="/console">← Orders</a></p>
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
    </Layout>
  );
}
