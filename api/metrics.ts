/**
 * Prometheus metrics of the API at `/metrics` (prom-client): request latency and count by route and status,
 * orders accepted by channel, dependency outages answered with 503, the event streams open, and Node's
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
  /** Times each request; its route is the path template that served it (`/v1/orders/:orderId`), not the URL. */
  timeRequests: RequestHandler;
  serve: RequestHandler;
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

  const timeRequests = (req: Request, res: Response, next: NextFunction) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      // The matched route's template keeps ids out of the labels; unmatched paths are one label.
      const template = req.route?.path;
      const route = typeof template === 'string' ? `${req.baseUrl}${template}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
  const serve = async (_req: Request, res: Response) => {
    res.type(registry.contentType).send(await registry.metrics());
  };
  return { registry, ordersAccepted, outages, openStreams, timeRequests, serve };
}
