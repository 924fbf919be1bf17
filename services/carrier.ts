/**
 * A sandbox carrier: books a shipment and hands back a carrier name and a tracking number. The tracking
 * number is derived from the shipment's business key, so booking the same shipment twice gives the same one.
 */
import { createHash } from 'node:crypto';

export interface CarrierBooking {
  carrier: string;
  trackingNumber: string;
}

export interface Carrier {
  book(request: { shipmentKey: string; fromCountry: string; toCountry: string }): Promise<CarrierBooking>;
}

export class SandboxCarrier implements Carrier {
  async book({ shipmentKey, fromCountry, toCountry }: { shipmentKey: string; fromCountry: string; toCountry: string }) {
    const digits = BigInt(`0x${createHash('sha256').update(shipmentKey).digest('hex').slice(0, 15)}`).toString().padStart(12, '0');
    const carrier = fromCountry === toCountry ? 'sandbox-ground' : 'sandbox-international';
    return { carrier, trackingNumber: `SBX${digits.slice(0, 12)}` };
  }
}
