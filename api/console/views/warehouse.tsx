/** The warehouse screen: what to ship and what is on its way from one warehouse, and receiving a return. */
import type { Warehouse } from '../../../persistence/warehouses.js';
import type { WarehouseWork } from '../warehouse-work.js';
import { statusText, when } from './format.js';
import { CsrfField, Layout, ProblemNotice, type PageContext } from './layout.js';

export function WarehousePage({ context, warehouses, warehouseId, work, notice, problem }: {
  context: PageContext;
  warehouses: Warehouse[];
  warehouseId?: string;
  work: WarehouseWork;
  notice?: string;
  problem?: { title: string; detail?: string; status: number };
}) {
  const back = `/console/warehouse?warehouse=${encodeURIComponent(warehouseId ?? '')}`;
  return (
    <Layout title="Warehouse" context={context}>
      <h1>Warehouse</h1>
      {notice && <div class="notice ok" role="status">{notice}</div>}
      <ProblemNotice problem={problem} />
      <form method="get" action="/console/warehouse" class="search">
        <div class="field grow">
          <label for="warehouse">Warehouse</label>
          <select id="warehouse" name="warehouse">
            {warehouses.map((w) => <option value={w.warehouseId} selected={w.warehouseId === warehouseId}>{`${w.name} (${w.warehouseId})`}</option>)}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>

      <section aria-labelledby="to-ship">
        <h2 id="to-ship">To ship ({work.toShip.length})</h2>
        {work.toShip.length === 0 ? <p class="empty">Nothing waits to be shipped here.</p> : (
          <ul class="cards">
            {work.toShip.map((s) => (
              <li class="card">
                <div><strong>{s.lines.map((l) => `${l.quantity} x ${l.sku}`).join(', ')}</strong></div>
                <div><small>Order {s.externalId} · {s.shipToCity} · booked {when(s.orderCreatedAt)} · <span class="mono">{s.shipmentId}</span></small></div>
                <form method="post" action={`/console/warehouse/shipments/${encodeURIComponent(s.shipmentId)}/shipped`} class="row">
                  <CsrfField token={context.csrfToken} />
                  <input type="hidden" name="back" value={back} />
                  <label class="inline" for={`tracking-${s.shipmentId}`}>Tracking number ({s.carrier})</label>
                  <input id={`tracking-${s.shipmentId}`} name="trackingNumber" value={s.trackingNumber} maxLength={64} class="short" />
                  <button type="submit">Mark shipped</button>
                </form>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="to-deliver">
        <h2 id="to-deliver">On its way ({work.onItsWay.length})</h2>
        {work.onItsWay.length === 0 ? <p class="empty">Nothing is on its way from here.</p> : (
          <ul class="cards">
            {work.onItsWay.map((s) => (
              <li class="card">
                <div><strong>{s.lines.map((l) => `${l.quantity} x ${l.sku}`).join(', ')}</strong> <span class="status">{statusText(s.status)}</span></div>
                <div><small>Order {s.externalId} · {s.shipToCity} · {s.carrier} <span class="mono">{s.trackingNumber}</span></small></div>
                <form method="post" action={`/console/warehouse/shipments/${encodeURIComponent(s.shipmentId)}/delivered`} class="row">
                  <CsrfField token={context.csrfToken} />
                  <input type="hidden" name="back" value={back} />
                  <button type="submit">Mark delivered</button>
                </form>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="returns">
        <h2 id="returns">Receive a return</h2>
        <form method="get" action="/console/warehouse/returns" class="row">
          <input type="hidden" name="warehouse" value={warehouseId ?? ''} />
          <label class="inline" for="returnId">Return id</label>
          <input id="returnId" name="returnId" required class="short" />
          <button type="submit">Find</button>
        </form>
      </section>
    </Layout>
  );
}

export function ReturnReceiptPage({ context, warehouses, warehouseId, returnId, externalId, lines, problem }: {
  context: PageContext;
  warehouses: Warehouse[];
  warehouseId?: string;
  returnId: string;
  externalId: string;
  lines: Array<{ sku: string; quantity: number }>;
  problem?: { title: string; detail?: string; status: number };
}) {
  return (
    <Layout title={`Return ${returnId}`} context={context}>
      <p><a href={`/console/warehouse?warehouse=${encodeURIComponent(warehouseId ?? '')}`}>← Warehouse</a></p>
      <h1>Return {returnId}</h1>
      <p>Of order {externalId}. Count what arrived: it goes back into the chosen warehouse's stock, and the customer is refunded for it.</p>
      <ProblemNotice problem={problem} />
      <form method="post" action={`/console/warehouse/returns/${encodeURIComponent(returnId)}/receipt`} class="action">
        <CsrfField token={context.csrfToken} />
        <label for="receipt-warehouse">Received at</label>
        <select id="receipt-warehouse" name="warehouseId">
          {warehouses.map((w) => <option value={w.warehouseId} selected={w.warehouseId === warehouseId}>{`${w.name} (${w.warehouseId})`}</option>)}
        </select>
        {lines.map((line) => (
          <div class="units">
            <label for={`received-${line.sku}`}>{`${line.sku} (${line.quantity} announced)`}</label>
            <input id={`received-${line.sku}`} name={`received_${line.sku}`} type="number" min={0} max={line.quantity} value={String(line.quantity)} inputMode="numeric" />
          </div>
        ))}
        <button type="submit">Record receipt</button>
      </form>
    </Layout>
  );
}
