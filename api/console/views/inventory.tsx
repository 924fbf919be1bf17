/** The inventory screens: stock per SKU and warehouse, what runs low, and one SKU with its adjustments and ledger. */
import type { InventorySummary } from '../../../persistence/inventory.js';
import type { StockMovementDoc } from '../../../persistence/stock-models.js';
import type { Warehouse } from '../../../persistence/warehouses.js';
import { statusText, when } from './format.js';
import { CsrfField, Layout, ProblemNotice, type PageContext } from './layout.js';

export function InventoryPage({ context, items, onlyLow, nextHref }: { context: PageContext; items: InventorySummary[]; onlyLow: boolean; nextHref?: string }) {
  return (
    <Layout title="Inventory" context={context}>
      <h1>Inventory</h1>
      <form method="get" action="/console/inventory" class="search">
        <label class="inline"><input type="checkbox" name="low" value="1" checked={onlyLow} /> Only what is at or below its low-stock threshold</label>
        <button type="submit">Show</button>
      </form>
      {items.length === 0 ? <p class="empty">{onlyLow ? 'Nothing runs low.' : 'No stock yet.'}</p> : (
        <div class="table-wrap">
          <table class="inventory">
            <thead><tr><th scope="col">SKU</th><th scope="col" class="num">Available</th><th scope="col" class="num">Threshold</th><th scope="col">Where (on hand / reserved)</th></tr></thead>
            <tbody>
              {items.map((item) => (
                <tr class={item.lowStock ? 'low' : undefined}>
                  <td><a href={`/console/inventory/${encodeURIComponent(item.sku)}`}>{item.sku}</a>{item.lowStock && <> <span class="status status-backordered">low</span></>}</td>
                  <td class="num">{item.available}</td>
                  <td class="num">{item.threshold}</td>
                  <td>{item.locations.map((l) => `${l.warehouseId}: ${l.onHand} / ${l.reserved}`).join(' · ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextHref && <a class="button" href={nextHref}>More SKUs</a>}
    </Layout>
  );
}

export function SkuPage({ context, summary, warehouses, movements, olderHref, idempotencyKey, notice, problem }: {
  context: PageContext;
  summary: InventorySummary;
  warehouses: Warehouse[];
  movements: StockMovementDoc[];
  olderHref?: string;
  /** A fresh key per form, so submitting it twice adjusts once. */
  idempotencyKey: string;
  notice?: string;
  problem?: { title: string; detail?: string; status: number };
}) {
  return (
    <Layout title={`Inventory ${summary.sku}`} context={context}>
      <p><a href="/console/inventory">← Inventory</a></p>
      <h1>{summary.sku}</h1>
      {notice && <div class="notice ok" role="status">{notice}</div>}
      <ProblemNotice problem={problem} />
      <p>{summary.available} available across warehouses; low-stock threshold {summary.threshold}{summary.lowStock ? ' — running low' : ''}.</p>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Warehouse</th><th scope="col" class="num">On hand</th><th scope="col" class="num">Reserved</th><th scope="col" class="num">Safety stock</th><th scope="col" class="num">Available</th></tr></thead>
          <tbody>
            {summary.locations.map((l) => (
              <tr><td>{l.warehouseId}</td><td class="num">{l.onHand}</td><td class="num">{l.reserved}</td><td class="num">{l.safetyStock}</td><td class="num">{l.available}</td></tr>
            ))}
          </tbody>
        </table>
      </div>

      <section aria-labelledby="adjust">
        <h2 id="adjust">Adjust stock</h2>
        <form method="post" action={`/console/inventory/${encodeURIComponent(summary.sku)}/adjustments`} class="action">
          <CsrfField token={context.csrfToken} />
          <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
          <label for="adjust-warehouse">Warehouse</label>
          <select id="adjust-warehouse" name="warehouseId">
            {warehouses.map((w) => <option value={w.warehouseId}>{`${w.name} (${w.warehouseId})`}</option>)}
          </select>
          <label for="adjust-delta">Units (positive adds, negative removes)</label>
          <input id="adjust-delta" name="delta" type="number" required inputMode="numeric" class="short" />
          <label for="adjust-reason">Reason</label>
          <input id="adjust-reason" name="reason" required maxLength={500} />
          <button type="submit">Adjust</button>
        </form>
      </section>

      <section aria-labelledby="ledger">
        <h2 id="ledger">Ledger, newest first</h2>
        <div class="table-wrap">
          <table class="ledger">
            <thead><tr><th scope="col">When</th><th scope="col">Warehouse</th><th scope="col">Movement</th><th scope="col" class="num">On hand</th><th scope="col" class="num">Reserved</th><th scope="col">Why</th></tr></thead>
            <tbody>
              {movements.map((m) => (
                <tr>
                  <td>{when(new Date(m.at).toISOString())}</td>
                  <td>{m.warehouseId}</td>
                  <td>{statusText(m.kind)} {signed(m.onHandDelta)}{m.reservedDelta ? ` (reserved ${signed(m.reservedDelta)})` : ''}</td>
                  <td class="num">{m.onHand}</td>
                  <td class="num">{m.reserved}</td>
                  <td>{m.reason ?? (m.orderId ? `order ${m.orderId}` : '')} <small>{m.actor}</small></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {olderHref && <a class="button" href={olderHref}>Older movements</a>}
      </section>
    </Layout>
  );
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
