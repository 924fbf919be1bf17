/** The order search: by order id, external id, customer id or email, or a list by status, channel and need of a person, newest first. */
import { ORDER_STATUSES } from '../../../domain/order.js';
import type { OrderView } from '../../schemas/order-view.js';
import { money, statusText, when } from './format.js';
import { Layout, ProblemNotice, type PageContext } from './layout.js';

export interface OrderSearch {
  q?: string;
  status?: string;
  channel?: string;
  /** '1': only orders that need a person (a review, stock, a failure, late). */
  attention?: string;
}

export function OrdersPage({ context, search, orders, olderHref, problem }: {
  context: PageContext;
  search: OrderSearch;
  orders: OrderView[];
  olderHref?: string;
  problem?: { title: string; detail?: string; status: number };
}) {
  return (
    <Layout title="Orders" context={context}>
      <h1>Orders</h1>
      <form method="get" action="/console" class="search" role="search">
        <div class="field grow">
          <label for="q">Order id, external id, customer id or email</label>
          <input id="q" name="q" type="search" value={search.q ?? ''} placeholder="ord_…, the channel's order number, a customer id or email" />
        </div>
        <div class="field">
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="">any</option>
            {ORDER_STATUSES.map((status) => (
              <option value={status} selected={search.status === status}>{statusText(status)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="channel">Channel</label>
          <input id="channel" name="channel" value={search.channel ?? ''} placeholder="any" />
        </div>
        <label class="inline attention"><input type="checkbox" name="attention" value="1" checked={search.attention === '1'} /> Needs a person</label>
        <button type="submit">Search</button>
      </form>
      <ProblemNotice problem={problem} />
      {orders.length === 0 && !problem ? (
        <p class="empty">No orders match.</p>
      ) : (
        <div class="table-wrap">
          <table class="orders">
            <caption class="sr-only">Orders, newest first</caption>
            <thead>
              <tr><th scope="col">Order</th><th scope="col">Status</th><th scope="col">Channel</th><th scope="col">Customer</th><th scope="col" class="num">Total</th><th scope="col">Received</th></tr>
            </thead>
            <tbody>
              {orders.map((order) => (
                <tr>
                  <td><a href={`/console/orders/${encodeURIComponent(order.orderId)}`}>{order.externalId}</a><br /><small class="mono">{order.orderId}</small></td>
                  <td><span class={`status status-${order.status}`}>{statusText(order.status)}</span></td>
                  <td>{order.channel}</td>
                  <td>{order.customer.name ?? order.customer.id}<br /><small>{order.customer.email}</small></td>
                  <td class="num">{money(order.total.amount, order.total.currency)}</td>
                  <td>{when(order.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {olderHref && <a class="button" href={olderHref}>Older orders</a>}
    </Layout>
  );
}
