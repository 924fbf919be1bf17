/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { z } from 'zod';
import { EVENT_ID_HEADER, SIGNATURE_HEADER } from '../domain/webhook-signature.js';
import { ChannelWebhookPath, OrderEvent, WebhookSettings, WebhookSettingsRequest } from './schemas/channels.js';
import { Address, Health, OrderId, Problem, ReturnId, ShipmentId, Sku, WarehouseId } from './schemas/common.js';
import {
  IdempotencyKeyHeader,
  InventoryList,
  InventoryListQuery,
  MovementList,
  MovementListQuery,
  ReconciliationReport,
  ReconciliationRequest,
  SkuSettings,
  SkuSettingsRequest,
  StockAdjustmentRequest,
  StockAdjustmentResponse,
  WarehousePatchRequest,
  SetStockRequest,
  SkuAvailability,
  StockLevel,
  Warehouse,
  WarehouseRequest,
} from './schemas/inventory.js';
import {
  CancelOrderRequest,
  CancelOrderResponse,
  ChangeShippingAddressResponse,
  CreateOrderRequest,
  OrderAccepted,
  OrderList,
  OrderListQuery,
  OrderView,
  ReturnAccepted,
  ReturnReceiptAccepted,
  ReturnReceiptRequest,
  ReturnRequest,
  ReviewOrderRequest,
  ShipmentEventRequest,
  ShipmentEventResponse,
} from './schemas/orders.js';

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (description: string, more: { id?: string; headers?: z.ZodObject } = {}): ZodOpenApiResponseObject => ({
  description,
  ...more,
  content: { 'application/problem+json': { schema: Problem } },
});

/** `Retry-After`, in seconds, on a 429 and a 503. */
const RetryAfter = z.int().min(0).meta({ description: 'Seconds to wait before trying again' });

/**
 * The answers that only some operations give, named where they are. Every /v1 operation may also give those
 * that `op` adds.
 */
const errors = (...codes: Array<'404' | '409' | '422'>): ZodOpenApiResponsesObject => {
  const descriptions = {
    '404': 'Not found (or not visible to this caller)',
    '409': 'Conflict with the current state',
    '422': 'Valid shape, but refers to something that does not exist',
  };
  return Object.fromEntries(codes.map((code) => [code, problem(descriptions[code])]));
};

/** The answers every /v1 operation may give: api/auth.ts, api/guards.ts and api/problem.ts. */
const SHARED = {
  invalid: problem('Invalid request: malformed JSON, or a path or query parameter, header or body field the schema refuses', { id: 'InvalidRequest' }),
  unauthorized: problem('Missing or invalid API key', { id: 'Unauthorized' }),
  forbidden: problem('The key lacks the role', { id: 'Forbidden' }),
  tooLarge: problem('Body larger than 64 kB', { id: 'PayloadTooLarge' }),
  notJson: problem('A body that is not JSON: send `Content-Type: application/json` (or `+json`)', { id: 'UnsupportedMediaType' }),
  tooMany: problem(
    'Rate limit reached: `RATE_LIMIT_PER_KEY` requests per key and minute, or (per client address) `RATE_LIMIT_FAILED_AUTH` wrong keys in 15 minutes',
    {
      id: 'TooManyRequests',
      headers: z.object({
        'Retry-After': RetryAfter,
        RateLimit: z.string().meta({ description: 'The limit that was reached and what is left of it (IETF draft 8)', example: '"per-key"; r=0; t=42' }),
        'RateLimit-Policy': z.string().meta({ description: 'The limit (IETF draft 8)', example: '"per-key"; q=12000; w=60; pk=:b4b1a0c2e3f5:' }),
      }),
    },
  ),
  unavailable: problem('The database or Temporal cannot be reached right now; answered within a few seconds', {
    id: 'ServiceUnavailable',
    headers: z.object({ 'Retry-After': RetryAfter }),
  }),
};

const METHOD_NOT_ALLOWED = problem('The path does not take this method; `Allow` names those it takes', {
  id: 'MethodNotAllowed',
  headers: z.object({ Allow: z.string().meta({ example: 'GET, POST, HEAD' }) }),
});

/** GET /health and /health/ready (api/app.ts): no key needed, no rate limit. */
const health = (summary: string): ZodOpenApiOperationObject => ({
  summary,
  responses: {
    '200': json(Health, 'Temporal and MongoDB answer'),
    '503': { ...json(Health, 'A dependency does not answer; `checks` says which'), headers: z.object({ 'Retry-After': RetryAfter }) },
  },
});

/** A JSON body; required unless the operation takes none as `{}` (`required: false`). */
const body = (schema: z.ZodType, { required = true } = {}) => ({ required, content: { 'application/json': { schema } } });

/**
 * A /v1 operation: it needs an API key, and besides its own answers it may give 401, 403, 429 and 503; 400
 * when it takes parameters or a body, and 413 and 415 when it takes a body. An answer the operation
 * describes itself takes the place of the shared one.
 */
const op = (operation: ZodOpenApiOperationObject): ZodOpenApiOperationObject => {
  const takesInput = operation.requestBody !== undefined || operation.requestParams !== undefined;
  const responses: ZodOpenApiResponsesObject = {
    ...(takesInput ? { '400': SHARED.invalid } : {}),
    '401': SHARED.unauthorized,
    '403': SHARED.forbidden,
    ...(operation.requestBody ? { '413': SHARED.tooLarge, '415': SHARED.notJson } : {}),
    '429': SHARED.tooMany,
    '503': SHARED.unavailable,
    ...operation.responses,
  };
  const byCode = Object.entries(responses).sort(([a], [b]) => a.localeCompare(b));
  return { security: [{ apiKey: [] }], ...operation, responses: Object.fromEntries(byCode) };
};

export function createOpenApiDocument() {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Fulfillment engine API',
      version: '1.0.0',
      description:
        'Channels submit orders; each runs as a durable Temporal workflow. Support looks orders up; warehouses report shipment events. ' +
        'Authenticate with `Authorization: Bearer <key>`; each key has a role (channel, support, warehouse, admin). ' +
        'Errors are `application/problem+json` (RFC 9457). Besides its own answers, every /v1 operation may answer 401, 403, ' +
        '429 (rate limits, with `Retry-After` and the `RateLimit` headers) and 503 (the database or Temporal cannot be reached, ' +
        'with `Retry-After`); one with parameters or a body also 400, one with a body also 413 and 415. A method a path does not ' +
        'take is a 405 with `Allow` (components/responses/MethodNotAllowed).',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key' } },
      responses: { MethodNotAllowed: METHOD_NOT_ALLOWED },
    },
    paths: {
      '/health': { get: health('Readiness of the API (as /health/ready)') },
      '/health/ready': { get: health('Readiness: the API can reach Temporal and the database') },
      '/health/live': {
        get: { summary: 'Liveness: the process answers', responses: { '200': json(z.object({ status: z.literal('ok') }), 'The process answers') } },
      },
      '/v1/orders': {
        post: op({
          summary: 'Submit an order (channel)',
          description: '`(channel, externalId)` is the idempotency key: repeating the request returns the same order with 200.',
          requestBody: body(CreateOrderRequest),
          responses: { '202': json(OrderAccepted, 'Order accepted; its workflow started'), '200': json(OrderAccepted, 'The same request again'), ...errors('409', '422') },
        }),
        get: op({
          summary: 'List orders, newest first (support, admin; a channel sees its own)',
          requestParams: { query: OrderListQuery },
          responses: { '200': json(OrderList, 'A page of orders') },
        }),
      },
      '/v1/orders/{orderId}': {
        get: op({
          summary: 'Look up an order (owning channel, support, admin)',
          requestParams: { path: z.object({ orderId: OrderId }) },
          responses: { '200': json(OrderView, 'The order with its timeline'), ...errors('404') },
        }),
      },
      '/v1/orders/{orderId}/cancel': {
        post: op({
          summary: 'Cancel an order, or some units of its lines (owning channel, support)',
          description:
            'Without `lines`, the whole order (409 once anything has shipped). With `lines`, only those units, if they have not shipped: their stock is released and exactly their value voided; the rest of the order goes ahead.',
          requestParams: { path: z.object({ orderId: OrderId }) },
          requestBody: body(CancelOrderRequest),
          responses: { '202': json(CancelOrderResponse, 'Cancelled: stock released, authorization voided'), ...errors('404', '409') },
        }),
      },
      '/v1/orders/{orderId}/shipping-address': {
        patch: op({
          summary: 'Change the shipping address (owning channel, support)',
          description:
            'Allowed until the first shipment leaves the warehouse. Once stock is reserved, the order is routed again for the new address and moves when other warehouses serve it better (the new stock is reserved before the old is released); pending shipments are booked anew.',
          requestParams: { path: z.object({ orderId: OrderId }) },
          requestBody: body(Address),
          responses: { '202': json(ChangeShippingAddressResponse, 'Address changed'), ...errors('404', '409') },
        }),
      },
      '/v1/orders/{orderId}/review': {
        post: op({
          summary: 'Decide on an order held for review (support, admin)',
          description: 'Approve: the order goes on to reserve stock. Reject: authorization voided, customer told.',
          requestParams: { path: z.object({ orderId: OrderId }) },
          requestBody: body(ReviewOrderRequest),
          responses: { '202': json(CancelOrderResponse, 'Decision applied'), ...errors('404', '409') },
        }),
      },
      '/v1/orders/{orderId}/returns': {
        post: op({
          summary: 'Open a return of delivered units of order lines (owning channel, support)',
          description:
            'Names order lines as cancelling lines does (`lines: [{ lineId, quantity }]`). Within the return window after delivery ' +
            '(`RETURN_WINDOW`), for units of a line that were delivered and are not on a return already. The return runs as its own ' +
            "workflow: once the warehouse records what arrived, those units go back into stock, are refunded at their lines' unit prices " +
            'and the customer is emailed. If nothing arrives by `receiptDeadline` (`RETURN_RECEIPT_TIMEOUT`) the return expires. ' +
            '409 with the reason before delivery, after the window, for an unknown line, or for units that cannot be returned.',
          requestParams: { path: z.object({ orderId: OrderId }) },
          requestBody: body(ReturnRequest),
          responses: { '202': json(ReturnAccepted, 'Return opened'), ...errors('404', '409') },
        }),
      },
      '/v1/orders/{orderId}/returns/{returnId}/receipt': {
        post: op({
          summary: 'Record what arrived of a return (warehouse)',
          description:
            'Once per return, per SKU (a warehouse sees SKUs, not order lines), for at most what the return announced of each. The units go ' +
            'back into the stock of `warehouseId` (a `restock` movement per SKU) and are refunded: the units of a SKU count against the ' +
            "return's lines of that SKU in their order, each at its line's unit price. 409 when the return was received before, has " +
            'expired, or the lines do not fit it.',
          requestParams: { path: z.object({ orderId: OrderId, returnId: ReturnId }) },
          requestBody: body(ReturnReceiptRequest),
          responses: { '202': json(ReturnReceiptAccepted, 'Receipt recorded'), ...errors('404', '409', '422') },
        }),
      },
      '/v1/shipments/{shipmentId}/events': {
        post: op({
          summary: 'Report a shipment event (warehouse)',
          description:
            'Answered once the order accepted the event; recording it, capturing the payment (on `shipped`) and emailing the customer follow, and show on the order. An event out of order is a 409.',
          requestParams: { path: z.object({ shipmentId: ShipmentId }) },
          requestBody: body(ShipmentEventRequest),
          responses: { '202': json(ShipmentEventResponse, 'Event accepted'), ...errors('404', '409') },
        }),
      },
      '/v1/warehouses/{warehouseId}': {
        put: op({
          summary: 'Create or replace a warehouse (admin)',
          description: 'Keeps `active` and `priority` of an existing warehouse. The ids `settings` and `movements` are reserved.',
          requestParams: { path: z.object({ warehouseId: WarehouseId }) },
          requestBody: body(WarehouseRequest),
          responses: { '200': json(Warehouse, 'Updated'), '201': json(Warehouse, 'Created') },
        }),
        patch: op({
          summary: 'Enable or disable a warehouse, or change its priority (admin)',
          description: 'A disabled warehouse gets no new allocations; its stock and existing reservations stay.',
          requestParams: { path: z.object({ warehouseId: WarehouseId }) },
          requestBody: body(WarehousePatchRequest),
          responses: { '200': json(Warehouse, 'The warehouse'), ...errors('404') },
        }),
      },
      '/v1/inventory': {
        get: op({
          summary: 'List SKUs with availability and low-stock state (any role)',
          requestParams: { query: InventoryListQuery },
          responses: { '200': json(InventoryList, 'A page of SKUs, ascending') },
        }),
      },
      '/v1/inventory/{sku}/{warehouseId}': {
        put: op({
          summary: 'Set the on-hand count (and optionally the safety stock) of a SKU at a warehouse (admin, warehouse)',
          requestParams: { path: z.object({ sku: Sku, warehouseId: WarehouseId }) },
          requestBody: body(SetStockRequest),
          responses: { '200': json(StockLevel, 'The new level'), ...errors('404', '409') },
        }),
      },
      '/v1/inventory/{sku}/{warehouseId}/adjustments': {
        post: op({
          summary: 'Add or remove stock by a delta (admin, warehouse)',
          description:
            'Records one ledger movement. With `Idempotency-Key`, a retry applies once and answers 200 with the first movement; ' +
            'the same key with another request is a 409. 409 also when the change would take on hand below 0 or below what is reserved.',
          requestParams: { path: z.object({ sku: Sku, warehouseId: WarehouseId }), header: IdempotencyKeyHeader },
          requestBody: body(StockAdjustmentRequest),
          responses: {
            '201': json(StockAdjustmentResponse, 'Applied'),
            '200': json(StockAdjustmentResponse, 'The same Idempotency-Key again: the first movement, applied once'),
            ...errors('404', '409'),
          },
        }),
      },
      '/v1/inventory/{sku}/movements': {
        get: op({
          summary: "A SKU's stock ledger, newest first (admin, support)",
          description: 'Sorted by the time each movement was recorded, then warehouse id, then sequence number, all descending.',
          requestParams: { path: z.object({ sku: Sku }), query: MovementListQuery },
          responses: { '200': json(MovementList, 'A page of movements'), ...errors('404') },
        }),
      },
      '/v1/inventory/{sku}/settings': {
        put: op({
          summary: "Set a SKU's low-stock threshold (admin)",
          description: 'The low-stock alert is re-evaluated at once: it opens (notifying operations) or closes.',
          requestParams: { path: z.object({ sku: Sku }) },
          requestBody: body(SkuSettingsRequest),
          responses: { '200': json(SkuSettings, 'The settings'), ...errors('404') },
        }),
      },
      '/v1/inventory/{sku}': {
        get: op({
          summary: 'Availability of a SKU across warehouses (any role)',
          requestParams: { path: z.object({ sku: Sku }) },
          responses: { '200': json(SkuAvailability, 'Availability per warehouse'), ...errors('404') },
        }),
      },
      '/v1/admin/reconciliation': {
        post: op({
          summary: 'Check stock levels against the ledger, optionally repairing them (admin)',
          requestBody: body(ReconciliationRequest, { required: false }),
          responses: { '200': json(ReconciliationReport, 'What was checked and the drift found') },
        }),
      },
      '/v1/channels/{channel}/webhook': {
        put: op({
          summary: "Set a channel's webhook: the URL its order events are POSTed to and the secret that signs them (admin)",
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
        get: op({
          summary: "A channel's webhook, without its secret (admin)",
          requestParams: { path: ChannelWebhookPath },
          responses: { '200': json(WebhookSettings, 'The webhook'), ...errors('404') },
        }),
        delete: op({
          summary: "Switch a channel's webhook off and forget its secret (admin)",
          requestParams: { path: ChannelWebhookPath },
          responses: { '204': { description: 'Switched off' }, ...errors('404') },
        }),
      },
    },
    webhooks: {
      orderEvent: {
        post: {
          summary: "Each event of an order (each timeline entry), POSTed to its channel's webhook",
          description:
            'In order per order, retried with backoff until the webhook answers 2xx, and sent once per event id ' +
            '(after a crash between your 2xx and our record it may come again: deduplicate by the event id). ' +
            `Verify \`${SIGNATURE_HEADER}\` over the raw body before trusting it.`,
          requestParams: {
            header: z.object({
              [EVENT_ID_HEADER]: z.string().meta({ description: 'The event id, as in the body' }),
              [SIGNATURE_HEADER]: z.string().meta({
                description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the channel secret>`',
              }),
            }),
          },
          requestBody: body(OrderEvent),
          responses: { '2XX': { description: 'Accepted: the event is not sent again' }, default: { description: 'Not accepted: sent again later' } },
        },
      },
    },
  });
}
