/** The paths of warehouses, stock, reconciliation and channel webhooks (api/routes/warehouses.ts, inventory.ts, admin.ts, channels.ts). */
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { MAY } from '../actions/permissions.js';
import { ChannelWebhookPath, WebhookSettings, WebhookSettingsRequest } from '../schemas/channels.js';
import { Sku, WarehouseId } from '../schemas/common.js';
import {
  IdempotencyKeyHeader,
  InventoryList,
  InventoryListQuery,
  MovementList,
  MovementListQuery,
  ReconciliationReport,
  ReconciliationRequest,
  SetStockRequest,
  SkuAvailability,
  SkuSettings,
  SkuSettingsRequest,
  StockAdjustmentRequest,
  StockAdjustmentResponse,
  StockLevel,
  Warehouse,
  WarehousePatchRequest,
  WarehouseRequest,
} from '../schemas/inventory.js';
import { body, errors, json, op, problem } from './operations.js';

/** The path parameters of /v1/warehouses/{warehouseId} and /v1/inventory/{sku}/... */
const ofWarehouse = z.object({ warehouseId: WarehouseId });
const ofSku = z.object({ sku: Sku });

export const stockPaths: ZodOpenApiPathsObject = {
  '/v1/warehouses/{warehouseId}': {
    put: op(MAY.manageWarehouses, {
      summary: 'Create or replace a warehouse',
      description: 'Keeps `active` and `priority` of an existing warehouse. The ids `settings` and `movements` are reserved.',
      requestParams: { path: ofWarehouse },
      requestBody: body(WarehouseRequest),
      responses: { '200': json(Warehouse, 'Updated'), '201': json(Warehouse, 'Created') },
    }),
    patch: op(MAY.manageWarehouses, {
      summary: 'Enable or disable a warehouse, or change its priority',
      description: 'A disabled warehouse gets no new allocations; its stock and existing reservations stay.',
      requestParams: { path: ofWarehouse },
      requestBody: body(WarehousePatchRequest),
      responses: { '200': json(Warehouse, 'The warehouse'), ...errors('404') },
    }),
  },
  '/v1/inventory': {
    get: op(MAY.readInventory, {
      summary: 'List SKUs with availability and low-stock state',
      requestParams: { query: InventoryListQuery },
      responses: { '200': json(InventoryList, 'A page of SKUs, ascending') },
    }),
  },
  '/v1/inventory/{sku}/{warehouseId}': {
    put: op(MAY.setStock, {
      summary: 'Set the on-hand count (and optionally the safety stock) of a SKU at a warehouse',
      requestParams: { path: ofSku.extend({ warehouseId: WarehouseId }) },
      requestBody: body(SetStockRequest),
      responses: { '200': json(StockLevel, 'The new level'), ...errors('404', '409') },
    }),
  },
  '/v1/inventory/{sku}/{warehouseId}/adjustments': {
    post: op(MAY.setStock, {
      summary: 'Add or remove stock by a delta',
      description:
        'Records one ledger movement. With `Idempotency-Key`, a retry applies once and answers 200 with the first movement; ' +
        'the same key with another request is a 409. 409 also when the change would take on hand below 0 or below what is reserved.',
      requestParams: { path: ofSku.extend({ warehouseId: WarehouseId }), header: IdempotencyKeyHeader },
      requestBody: body(StockAdjustmentRequest),
      responses: {
        '201': json(StockAdjustmentResponse, 'Applied'),
        '200': json(StockAdjustmentResponse, 'The same Idempotency-Key again: the first movement, applied once'),
        ...errors('404', '409'),
      },
    }),
  },
  '/v1/inventory/{sku}/movements': {
    get: op(MAY.readStockLedger, {
      summary: "A SKU's stock ledger, newest first",
      description: 'Sorted by the time each movement was recorded, then warehouse id, then sequence number, all descending.',
      requestParams: { path: ofSku, query: MovementListQuery },
      responses: { '200': json(MovementList, 'A page of movements'), ...errors('404') },
    }),
  },
  '/v1/inventory/{sku}/settings': {
    put: op(MAY.setSkuSettings, {
      summary: "Set a SKU's low-stock threshold",
      description: 'The low-stock alert is re-evaluated at once: it opens (notifying operations) or closes.',
      requestParams: { path: ofSku },
      requestBody: body(SkuSettingsRequest),
      responses: { '200': json(SkuSettings, 'The settings'), ...errors('404') },
    }),
  },
  '/v1/inventory/{sku}': {
    get: op(MAY.readInventory, {
      summary: 'Availability of a SKU across warehouses',
      requestParams: { path: ofSku },
      responses: { '200': json(SkuAvailability, 'Availability per warehouse'), ...errors('404') },
    }),
  },
  '/v1/admin/reconciliation': {
    post: op(MAY.reconcileStock, {
      summary: 'Check stock levels against the ledger, optionally repairing them',
      requestBody: body(ReconciliationRequest, { required: false }),
      responses: { '200': json(ReconciliationReport, 'What was checked and the drift found') },
    }),
  },
  '/v1/channels/{channel}/webhook': {
    put: op(MAY.manageWebhooks, {
      summary: "Set a channel's webhook: the URL its order events are POSTed to and the secret that signs them",
      description:
        'Applies to orders received from then on. The secret is stored encrypted and never returned. The URL must lead to public ' +
        'addresses only: one naming a loopback, private, link-local or metadata address or an internal host is refused (400), ' +
        'and so is one whose host resolves to such an address or does not resolve (422); each delivery checks again.',
      requestParams: { path: ChannelWebhookPath },
      requestBody: body(WebhookSettingsRequest),
      responses: {
        '200': json(WebhookSettings, 'Replaced'),
        '201': json(WebhookSettings, 'Created'),
        '422': problem('The URL host resolves to an address webhooks must not reach, or does not resolve'),
      },
    }),
    get: op(MAY.manageWebhooks, {
      summary: "A channel's webhook, without its secret",
      requestParams: { path: ChannelWebhookPath },
      responses: { '200': json(WebhookSettings, 'The webhook'), ...errors('404') },
    }),
    delete: op(MAY.manageWebhooks, {
      summary: "Switch a channel's webhook off and forget its secret",
      requestParams: { path: ChannelWebhookPath },
      responses: { '204': { description: 'Switched off' }, ...errors('404') },
    }),
  },
};
