/** The Express app: routes are thin; errors of every kind leave as application/problem+json. */
import express from 'express';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type Client, type ConnectionOptions } from '@temporalio/client';
import type { InventorySettings, TemporalConnectionOptions } from '../config.js';
import type { AdmissionSettings } from '../domain/admission.js';
import type { OrderPolicySettings } from '../domain/order.js';
import { pingMongo } from '../persistence/connection.js';
import type { Mailer } from '../services/mailer.js';
import { createStockEffects } from '../services/stock-effects.js';
import { consoleRouter } from './console/router.js';
import { loadConsoleKeys } from './console/session.js';
import { trackingRoutes } from './console/tracking-routes.js';
import { trackingLinks } from '../services/tracking-links.js';
import { loadWebhookSettings, type HostResolver } from '../services/webhook-targets.js';
import { allowedNetworksWarning } from '../domain/webhook-addresses.js';
import { admissionControl } from './admission.js';
import { authenticate, loadApiKeys } from './auth.js';
import { docsRouter } from './docs.js';
import { createLogger, requestLog } from './request-log.js';
import { methodNotAllowed, requireJsonBody, securityHeaders, trustProxy } from './guards.js';
import { createRateLimits, rateLimitSettings } from './rate-limits.js';
import { createOpenApiDocument } from './openapi/document.js';
import { createMetrics } from './metrics.js';
import { createOrderFeed } from './order-feed.js';
import { Draining } from './shutdown.js';
import { problems, problemHandler, unreachableDependency } from './problem.js';
import { adminRouter } from './routes/admin.js';
import { channelsRouter } from './routes/channels.js';
import { inventoryRouter } from './routes/inventory.js';
import { orderEventsRouter } from './routes/order-events.js';
import { ordersRouter } from './routes/orders.js';
import { returnsRouter } from './routes/returns.js';
import { shipmentsRouter } from './routes/shipments.js';
import { warehousesRouter } from './routes/warehouses.js';

/** How long the API's database calls wait for an unreachable database before answering 503. */
export const DATABASE_WAIT_MS = 3_000;

/**
 * The API's connection to Temporal: it gives up on an unreachable server within about two seconds (the
 * client's default retries for about 20), so a client hears 503 rather than waiting.
 */
export function temporalConnectionOptions(connection: TemporalConnectionOptions): ConnectionOptions & TemporalConnectionOptions {
  return {
    ...connection,
    connectTimeout: '3 seconds',
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
  };
}

export interface AppOptions {
  temporal: Client;
  taskQueue: string;
  inventory: InventorySettings;
  /** Low-stock alerts raised by stock changes through the API are emailed through it. */
  mailer: Mailer;
  orderPolicy: OrderPolicySettings;
  /** Where the console links an order's workflow; default the local dev server's UI. */
  temporalUi?: { url: string; namespace: string };
  env?: NodeJS.ProcessEnv;
  /** How webhook URLs' host names are resolved when they are set; default the system resolver. */
  webhookResolver?: HostResolver;
  /** Begun when the process is told to stop (api/main.ts): readiness turns 503 and event streams end. */
  draining?: Draining;
  /** How long order changes are kept (ORDER_EVENTS_RETENTION; api/main.ts prunes them): event streams resume from within it. */
  orderEventsRetentionMs: number;
  /** When intake and changes are refused because the engine is behind (api/admission.ts); unset: never. */
  admission?: AdmissionSettings;
}

export function createApp({ temporal, taskQueue, inventory, mailer, orderPolicy, temporalUi, env = process.env, webhookResolver, draining = new Draining(), orderEventsRetentionMs, admission }: AppOptions): express.Express {
  const effects = createStockEffects({ temporal, taskQueue, ...inventory, mailer });
  const keys = loadApiKeys(env);
  const openApiDocument = createOpenApiDocument();
  const limits = createRateLimits(rateLimitSettings(env));
  const logger = createLogger(env);
  const metrics = createMetrics();
  // One reader of the order changes per API process, for every stream it serves.
  const orderFeed = createOrderFeed({ retentionMs: orderEventsRetentionMs, log: logger });
  const app = express();
  app.disable('x-powered-by');
  trustProxy(app, env);
  app.set('query parser', 'simple');
  app.use(requestLog(logger));
  app.use(draining.closeConnections);
  app.use(metrics.timeRequests);
  app.use(securityHeaders());
  app.get('/metrics', metrics.serve);

  // Liveness: the process answers. Readiness (and /health): it can reach what requests need.
  app.get('/health/live', (_req, res) => res.json({ status: 'ok' }));
  app.get(['/health', '/health/ready'], async (_req, res) => {
    const [mongo, temporalUp] = await Promise.all([pingMongo(), pingTemporal(temporal)]);
    const ok = mongo && temporalUp && !draining.started;
    if (!ok) res.set('Retry-After', '5');
    const status = draining.started ? 'draining' : ok ? 'ok' : 'unavailable';
    res.status(ok ? 200 : 503).json({ status, checks: { mongo, temporal: temporalUp } });
  });
  app.get('/openapi.json', (_req, res) => res.json(openApiDocument));
  app.use(docsRouter());
  app.use('/track', trackingRoutes(trackingLinks(env)));
  app.use(
    '/console',
    consoleRouter({
      temporal,
      apiKeys: keys,
      keys: loadConsoleKeys(env),
      // Wrong keys count the same at the console's sign-in and at the API.
      failedAuthentication: limits.failedAuthentication,
      production: env.NODE_ENV === 'production',
      temporalUi: temporalUi ?? { url: 'http://localhost:8233', namespace: temporal.options.namespace },
      effects,
      lowStockThreshold: inventory.lowStockThreshold,
      stopping: draining.signal,
      orderFeed,
      openStreams: metrics.openStreams,
    }),
  );

  // The key first: only a request without a valid one counts against (and is refused by) its address's budget.
  app.use('/v1', authenticate(keys, limits.failedAuthentication), limits.perKey, requireJsonBody);
  // Before the body and the routes: 405 and OPTIONS answer from the OpenAPI document's paths (api/guards.ts).
  app.use(methodNotAllowed(openApiDocument));
  app.use(express.json({ limit: '64kb', strict: true, type: () => true }));
  // Intake and changes are refused while the engine is behind; reads and shipment events never are.
  const admit = admissionControl({ temporal, taskQueue, settings: admission, metrics: metrics.admission, logger, stopping: draining.signal });
  app.use(ordersRouter(temporal, { taskQueue, orderPolicy }, metrics, admit));
  app.use(orderEventsRouter(temporal, { feed: orderFeed, metrics, stopping: draining.signal }));
  app.use(returnsRouter(temporal, admit));
  app.use(shipmentsRouter(temporal));
  app.use(warehousesRouter());
  const webhooks = loadWebhookSettings(env, webhookResolver);
  const networksWarning = allowedNetworksWarning(webhooks.policy);
  if (networksWarning) logger.warn(networksWarning);
  app.use(channelsRouter(webhooks));
  app.use(inventoryRouter(effects, inventory));
  app.use(adminRouter(effects));

  app.use((req, _res, next) => next(problems.notFound(`No route for ${req.method} ${req.path}.`)));
  app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    const dependency = unreachableDependency(error);
    if (dependency) metrics.outages.inc({ dependency });
    next(error);
  });
  app.use(problemHandler);
  return app;
}

async function pingTemporal(temporal: Client): Promise<boolean> {
  try {
    await temporal.connection.withDeadline(Date.now() + 2_000, () => temporal.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}
