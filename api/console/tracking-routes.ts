/**
 * /track/<token>: the customer's tracking page, no login (services/tracking-links.ts). A token we did not
 * make, or one for no order, gets a plain 404 that says nothing more.
 */
import { Router } from 'express';
import { customerEmailsOf } from '../../persistence/notifications.js';
import { findOrder } from '../../persistence/orders.js';
import type { TrackingLinks } from '../../services/tracking-links.js';
import { renderPage } from './pages.js';
import { TrackingPage } from './views/tracking.js';

export function trackingRoutes(tracking: TrackingLinks): Router {
  const router = Router();
  router.get('/:token', async (req, res) => {
    // The token is in the URL: keep it out of caches, search engines and other sites' logs.
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Robots-Tag': 'noindex' });
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    const orderId = tracking.orderOf(req.params.token);
    const order = orderId ? await findOrder(orderId) : undefined;
    if (!order) return res.status(404).type('text/plain').send('Not found');
    // What the customer was told: the emails that reached their mail server.
    const emails = (await customerEmailsOf(order.orderId)).filter((email) => email.status === 'sent').map(({ subject, at }) => ({ subject, at: at.toISOString() }));
    const parcels = order.shipments.filter((s) => s.status === 'shipped' || s.status === 'delivered');
    renderPage(res, TrackingPage({ externalId: order.externalId, status: order.status, parcels, emails }));
  });
  return router;
}
