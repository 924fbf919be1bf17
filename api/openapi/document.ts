/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests, with each
 * operation's roles taken from those the routes require (api/actions/permissions.ts).
 */
import { createDocument } from 'zod-openapi';
import { z } from 'zod';
import { EVENT_ID_HEADER, SIGNATURE_HEADER } from '../../domain/webhook-signature.js';
import { OrderEvent } from '../schemas/channels.js';
import { OrderChange, StreamReset } from '../schemas/order-events.js';
import { body, health, json, METHOD_NOT_ALLOWED } from './operations.js';
import { orderPaths } from './order-paths.js';
import { stockPaths } from './stock-paths.js';

export function createOpenApiDocument() {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Fulfillment engine API',
      version: '1.0.0',
      description:
        'Channels submit orders; each runs as a durable Temporal workflow. Support looks orders up; warehouses report shipment events. ' +
        'Authenticate with `Authorization: Bearer <key>`; each key has a role (channel, support, warehouse, admin), and each ' +
        'operation names the roles that may call it (also in `x-roles`). A channel key reaches only its own orders, a warehouse ' +
        "key bound to warehouses only theirs (another's shipments and stock are not found). " +
        'Errors are `application/problem+json` (RFC 9457). Besides its own answers, every /v1 operation may answer 401, 403, ' +
        '429 (rate limits, with `Retry-After` and the `RateLimit` headers) and 503 (the database or Temporal cannot be reached, ' +
        'with `Retry-After`; intake and changes to running orders also while the engine is too far behind, at once, so that ' +
        'lookups and shipment events keep being served); one with parameters or a body also 400, one with a body also 413 and 415. A method a path does not ' +
        'take is a 405 with `Allow` (components/responses/MethodNotAllowed).',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key' } },
      responses: { MethodNotAllowed: METHOD_NOT_ALLOWED },
      // The data of the event streams' events, which no response schema reaches.
      schemas: { OrderChange, StreamReset },
    },
    paths: {
      '/health': { get: health('Readiness of the API (as /health/ready)') },
      '/health/ready': { get: health('Readiness: the API can reach Temporal and the database') },
      '/health/live': {
        get: { summary: 'Liveness: the process answers', responses: { '200': json(z.object({ status: z.literal('ok') }), 'The process answers') } },
      },
      ...orderPaths,
      ...stockPaths,
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
