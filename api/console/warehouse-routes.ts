/** /console/warehouse: a warehouse's shipments to ship and deliver, and returns to receive, for the warehouse role. */
import { Router, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { orderIdOfReturn } from '../../contracts/ids.js';
import { allWarehouses } from '../../persistence/warehouses.js';
import { loadOrder } from '../actions/orders.js';
import { MAY } from '../actions/permissions.js';
import { recordReturnReceipt } from '../actions/returns.js';
import { reportShipmentEvent } from '../actions/shipments.js';
import { mayHandleWarehouse, type Principal } from '../auth.js';
import { HttpProblem, problems } from '../problem.js';
import { ReturnId, ShipmentId } from '../schemas/common.js';
import { ReturnReceiptRequest, ShipmentEventRequest } from '../schemas/orders.js';
import { parseWith } from '../validation.js';
import { allow, fieldText, formOf, idForNotice, renderPage, type PageContextOf } from './pages.js';
import { warehouseWork } from './warehouse-work.js';
import { ReturnReceiptPage, WarehousePage } from './views/warehouse.js';

/** The warehouses this person works for: all, unless their key is bound to some. */
const warehousesOf = async (principal: Principal) => (await allWarehouses()).filter((w) => mayHandleWarehouse(principal, w.warehouseId));

export function warehouseRoutes(temporal: Client, context: PageContextOf): Router {
  const router = Router();
  router.use(allow(...MAY.reportShipmentEvent));

  const page = async (req: Request, res: Response, extra: { notice?: string; problem?: HttpProblem } = {}) => {
    const warehouses = await warehousesOf(req.principal!);
    const asked = typeof req.query.warehouse === 'string' ? req.query.warehouse : undefined;
    const warehouseId = warehouses.find((w) => w.warehouseId === asked)?.warehouseId ?? warehouses[0]?.warehouseId;
    const work = warehouseId ? await warehouseWork(warehouseId) : { toShip: [], onItsWay: [] };
    // The order's view may not show yet the event its workflow just accepted.
    const { shipped, delivered } = req.query;
    work.toShip = work.toShip.filter((s) => s.shipmentId !== shipped);
    work.onItsWay = work.onItsWay.filter((s) => s.shipmentId !== delivered);
    renderPage(res, WarehousePage({ context: context(req, res), warehouses, warehouseId, work, ...extra }), extra.problem?.status ?? 200);
  };

  router.get('/', async (req, res) => {
    const { shipped, delivered, received } = req.query;
    const notice = shipped ? `Shipment ${idForNotice(shipped)} is marked shipped.`
      : delivered ? `Shipment ${idForNotice(delivered)} is marked delivered.`
      : received ? `Return ${idForNotice(received)} is recorded as received.`
      : undefined;
    await page(req, res, { notice });
  });

  router.post('/shipments/:shipmentId/:type', async (req, res) => {
    const type = String(req.params.type);
    const form = formOf(req.body);
    const back = form.back?.startsWith('/console/warehouse') ? form.back : '/console/warehouse';
    try {
      const shipmentId = parseWith(ShipmentId, req.params.shipmentId, 'path');
      const event = parseWith(ShipmentEventRequest, { type, trackingNumber: fieldText(form, 'trackingNumber') }, 'body');
      await reportShipmentEvent(temporal, req.principal!, shipmentId, event);
      res.redirect(303, `${back}&${new URLSearchParams({ [type]: shipmentId })}`);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      req.query.warehouse = new URL(back, 'http://x').searchParams.get('warehouse') ?? undefined;
      await page(req, res, { problem: error });
    }
  });

  router.get('/returns', async (req, res) => {
    const returnId = typeof req.query.returnId === 'string' ? req.query.returnId.trim() : '';
    await receiptPage(req, res, returnId);
  });

  const receiptPage = async (req: Request, res: Response, returnId: string, problem?: HttpProblem) => {
    const order = await loadOrder(temporal, req.principal!, orderIdOfReturn(returnId)).catch(() => undefined);
    const wanted = order?.returns?.find((r) => r.returnId === returnId);
    if (!order || !wanted) throw problems.notFound(`There is no return ${returnId}.`);
    const bySku = new Map<string, number>();
    for (const line of wanted.lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
    const lines = [...bySku].map(([sku, quantity]) => ({ sku, quantity }));
    const warehouseId = typeof req.query.warehouse === 'string' ? req.query.warehouse : undefined;
    const warehouses = await warehousesOf(req.principal!);
    renderPage(res, ReturnReceiptPage({ context: context(req, res), warehouses, warehouseId, returnId, externalId: order.externalId, lines, problem }), problem?.status ?? 200);
  };

  router.post('/returns/:returnId/receipt', allow(...MAY.receiveReturn), async (req, res) => {
    const returnId = String(req.params.returnId);
    const form = formOf(req.body);
    const lines = Object.keys(form)
      .filter((name) => name.startsWith('received_') && fieldText(form, name) !== undefined && fieldText(form, name) !== '0')
      .map((name) => ({ sku: name.slice('received_'.length), quantity: Number(fieldText(form, name)) }));
    try {
      const ids = { orderId: orderIdOfReturn(parseWith(ReturnId, returnId, 'path')), returnId };
      const receipt = parseWith(ReturnReceiptRequest, { warehouseId: form.warehouseId, lines }, 'body');
      const result = await recordReturnReceipt(temporal, req.principal!, ids, receipt);
      res.redirect(303, `/console/warehouse?${new URLSearchParams({ warehouse: String(form.warehouseId), received: result.returnId })}`);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      await receiptPage(req, res, returnId, error);
    }
  });

  return router;
}
