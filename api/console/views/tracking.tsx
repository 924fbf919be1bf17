/**
 * The customer's tracking page: what their emails already told them, in one place. The status in the
 * customer's words, the parcels that left (carrier, tracking number), and the emails as a timeline; nothing
 * about payment, stock or review holds that the emails did not say.
 */
import type { OrderStatus, Shipment } from '../../../domain/order.js';
import { when } from './format.js';

/** The status as the customer knows it from the emails; a review hold looks like any received order. */
const CUSTOMER_STATUS: Record<OrderStatus, string> = {
  received: 'Received',
  awaiting_review: 'Received',
  payment_declined: 'Payment declined',
  backordered: 'Waiting for stock',
  allocated: 'Being prepared',
  partially_shipped: 'Partly shipped',
  shipped: 'Shipped',
  delivered: 'Delivered',
  partially_returned: 'Partly returned',
  returned: 'Returned',
  cancelled: 'Cancelled',
  failed: 'Could not be fulfilled',
};

export function TrackingPage({ externalId, status, parcels, emails }: {
  externalId: string;
  status: OrderStatus;
  parcels: Array<Pick<Shipment, 'carrier' | 'trackingNumber' | 'status'>>;
  emails: Array<{ subject: string; at: string }>;
}) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`Your order ${externalId}`}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
      </head>
      <body>
        <main class="tracking">
          <h1>Your order {externalId}</h1>
          <p class="big-status">{CUSTOMER_STATUS[status]}</p>
          {parcels.length > 0 && (
            <section aria-labelledby="parcels">
              <h2 id="parcels">Parcels</h2>
              <ul class="cards">
                {parcels.map((parcel) => (
                  <li class="card">
                    <div>{parcel.status === 'delivered' ? 'Delivered' : 'On its way'} with {parcel.carrier}</div>
                    <div>Tracking number <strong class="mono">{parcel.trackingNumber}</strong></div>
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section aria-labelledby="history">
            <h2 id="history">What happened</h2>
            <ol class="timeline">
              {emails.map((email) => (
                <li><time dateTime={email.at}>{when(email.at)}</time> {email.subject}</li>
              ))}
            </ol>
          </section>
        </main>
      </body>
    </html>
  );
}
