/**
 * Prometheus metrics of the API at `/metrics` (prom-client): request latency and count by route and status,
 * orders accepted by channel, dependency outages answered with 503, the event streams open, admission
 * control (how far behind the engine is, and the requests refused for it: api/admission.ts), and Node's
 * process metrics. Each app
 * has a registry of its own. The worker's own metrics (the Temporal SDK's) are served by the worker
 * (WORKER_METRICS_PORT).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  ordersAccepted: Counter<'channel'>;
  outages: Counter<'dependency'>;
  /** Event streams open now, by kind: `order` (one order's), `orders` (every order a key may see), `console` (live order pages). */
  openStreams: Gauge<'stream'>;
  admission: AdmissionMetrics;
  /** Times each request; its route is the path template that served it (`/v1/orders/:orderId`), not the URL. */
  timeRequests: RequestHandler;
  serve: RequestHandler;
}

export interface AdmissionMetrics {
  /** Requests refused because the engine is behind, by route template and reason(s). */
  refusals: Counter<'route' | 'reason'>;
  /** 1 while intake and changes are refused. */
  refusing: Gauge;
  /** How long the oldest order accepted has waited for the engine; absent while it cannot be read. */
  intakeLag: Gauge;
  /** The order task queue's backlog by task type, as Temporal last reported it; absent while it cannot be asked. */
  backlogAge: Gauge<'type'>;
  backlogTasks: Gauge<'type'>;
  eventLoopDelay: Gauge;
}

export function createMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'oms_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const ordersAccepted = new Counter({ name: 'oms_orders_accepted_total', help: 'Orders accepted at intake (a workflow started)', labelNames: ['channel'], registers: [registry] });
  const outages = new Counter({ name: 'oms_dependency_unavailable_total', help: 'Requests answered 503 because a dependency could not be reached', labelNames: ['dependency'], registers: [registry] });
  const openStreams = new Gauge({ name: 'oms_event_streams_open', help: 'Event streams open now, by kind', labelNames: ['stream'], registers: [registry] });
  const admission: AdmissionMetrics = {
    refusals: new Counter({ name: 'oms_admission_refusals_total', help: 'Requests answered 503 because the engine is behind, by route and reason (intake, backlog, event-loop)', labelNames: ['route', 'reason'], registers: [registry] }),
    refusing: new Gauge({ name: 'oms_admission_refusing', help: '1 while this API process refuses intake and changes because the engine is behind', registers: [registry] }),
    intakeLag: new Gauge({ name: 'oms_intake_lag_seconds', help: 'How long the oldest order accepted has waited for the engine to take it up (its workflow\'s first save)', registers: [registry] }),
    backlogAge: new Gauge({ name: 'oms_order_task_queue_backlog_age_seconds', help: "Age of the oldest task waiting in the order task queue, by task type (workflow, activity), as Temporal reports it (refreshed by the server every 5 s)", labelNames: ['type'], registers: [registry] }),
    backlogTasks: new Gauge({ name: 'oms_order_task_queue_backlog_tasks', help: 'Tasks waiting in the order task queue, by task type, as Temporal reports it', labelNames: ['type'], registers: [registry] }),
    eventLoopDelay: new Gauge({ name: 'oms_api_event_loop_delay_seconds', help: "This API process's event-loop delay, mean over the last second", registers: [registry] }),
  };

  const timeRequests = (req: Request, res: Response, next: NextFunction) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      end({ method: req.method, route: routeTemplate(req), status: String(res.statusCode) });
    });
    next();
  };
  const serve = async (_req: Request, res: Response) => {
    res.type(registry.contentType).send(await registry.metrics());
  };
  return { registry, ordersAccepted, outages, openStreams, admission, timeRequests, serve };
}

/** The matched route's template (`/v1/orders/:orderId`), which keeps ids out of the labels; unmatched paths are one label. */
export function routeTemplate(req: Request): string {
  const template = req.route?.path;
  return typeof template === 'string' ? `${req.baseUrl}${template}` : 'unmatched';
}
