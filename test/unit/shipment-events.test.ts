import { describe, expect, it } from 'vitest';
import type { ShipmentStatus } from '../../domain/order.js';
import { nextShipmentStatus, orderStatusFromShipments } from '../../domain/shipment-events.js';

const shipments = (...statuses: ShipmentStatus[]) => statuses.map((status) => ({ status }));

describe('nextShipmentStatus', () => {
  it('moves a shipment from pending to shipped to delivered', () => {
    expect(nextShipmentStatus('pending', 'shipped')).toEqual({ ok: true, status: 'shipped' });
    expect(nextShipmentStatus('shipped', 'delivered')).toEqual({ ok: true, status: 'delivered' });
  });

  it('rejects delivered before shipped', () => {
    expect(nextShipmentStatus('pending', 'delivered')).toMatchObject({ ok: false, reason: expect.stringMatching(/pending.*delivered/) });
  });

  it('rejects anything after delivered', () => {
    expect(nextShipmentStatus('delivered', 'shipped').ok).toBe(false);
    expect(nextShipmentStatus('delivered', 'delivered').ok).toBe(false);
  });

  it('rejects shipping a shipment twice', () => {
    expect(nextShipmentStatus('shipped', 'shipped').ok).toBe(false);
  });

  it('rejects any event on a cancelled shipment', () => {
    expect(nextShipmentStatus('cancelled', 'shipped').ok).toBe(false);
    expect(nextShipmentStatus('cancelled', 'delivered').ok).toBe(false);
  });
});

describe('orderStatusFromShipments', () => {
  it('is allocated while no shipment has left the warehouse', () => {
    expect(orderStatusFromShipments([])).toBe('allocated');
    expect(orderStatusFromShipments(shipments('pending', 'pending'))).toBe('allocated');
  });

  it('is partially_shipped when some but not all shipments have left', () => {
    expect(orderStatusFromShipments(shipments('shipped', 'pending'))).toBe('partially_shipped');
    expect(orderStatusFromShipments(shipments('delivered', 'pending'))).toBe('partially_shipped');
  });

  it('is shipped when every shipment has left and not all are delivered', () => {
    expect(orderStatusFromShipments(shipments('shipped', 'shipped'))).toBe('shipped');
    expect(orderStatusFromShipments(shipments('shipped', 'delivered'))).toBe('shipped');
  });

  it('is delivered when every shipment is delivered', () => {
    expect(orderStatusFromShipments(shipments('delivered', 'delivered'))).toBe('delivered');
  });

  it('ignores cancelled shipments', () => {
    expect(orderStatusFromShipments(shipments('delivered', 'cancelled'))).toBe('delivered');
    expect(orderStatusFromShipments(shipments('shipped', 'cancelled'))).toBe('shipped');
    expect(orderStatusFromShipments(shipments('pending', 'cancelled'))).toBe('allocated');
    expect(orderStatusFromShipments(shipments('cancelled'))).toBe('allocated');
  });
});
