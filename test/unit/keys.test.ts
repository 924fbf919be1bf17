/**
 * Business keys are stored data: a retried side effect finds its first run by them, and providers
 * deduplicate by them. A changed format would make running orders authorize, capture or email again.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderIdFor, orderIdOfReturn, returnId } from '../../contracts/ids.js';
import { adjustmentKey, lowStockAlertKey, orderKeys, returnRestockKey } from '../../contracts/keys.js';

describe('business keys keep their stored formats', () => {
  const keys = orderKeys('ord_1');

  it('of payments', () => {
    expect(keys.authorization()).toBe('order:ord_1:authorize');
    expect(keys.authorization(2)).toBe('order:ord_1:authorize:2');
    expect(keys.capture('shp_1')).toBe('order:ord_1:capture:shp_1');
    expect(keys.void()).toBe('order:ord_1:void');
    expect(keys.void('cancel:1')).toBe('order:ord_1:cancel:1:void');
    expect(keys.refund('ord_1-1')).toBe('order:ord_1:refund:ord_1-1');
  });

  it('of stock and shipments', () => {
    expect(keys.reservation(3, 'MUG', 'wh-berlin')).toBe('order:ord_1:reserve:3:MUG:wh-berlin');
    expect(keys.release('cancel-1', 'MUG', 'wh-berlin')).toBe('order:ord_1:release:cancel-1:MUG:wh-berlin');
    expect(keys.releaseOfHeld('MUG', 'wh-berlin', 7)).toBe('order:ord_1:release:MUG:wh-berlin:7');
    expect(keys.shipment(2, 'wh-berlin')).toBe('order:ord_1:shipment:2:wh-berlin');
    expect(keys.shippedStock('shp_1', 'MUG')).toBe('order:ord_1:ship:shp_1:MUG');
    expect(returnRestockKey('ord_1-1', 'MUG', 'wh-paris')).toBe('return:ord_1-1:restock:MUG:wh-paris');
    expect(adjustmentKey('admin:k1')).toBe('adjust:admin:k1');
  });

  it('of email', () => {
    expect(keys.notification('order_confirmed')).toBe('order:ord_1:notify:order_confirmed');
    expect(keys.notification('shipment_shipped', 'shp_1')).toBe('order:ord_1:notify:shipment_shipped:shp_1');
    expect(keys.lateAlert()).toBe('order:ord_1:late');
    expect(lowStockAlertKey('MUG', 'a1')).toBe('stock:MUG:low:a1');
  });
});

describe('ids keep their stored formats', () => {
  it('derives an order id from the channel and its reference as the first 24 hex digits of SHA-256', () => {
    // A stored order is found again by this id when its channel repeats the request.
    expect(orderIdFor('web', 'web-10001')).toBe('ord_006a7fe457d989ab9699b514');
    fc.assert(
      fc.property(fc.string(), fc.string({ unit: 'grapheme' }), (channel, externalId) => {
        const digest = createHash('sha256').update(`${channel}\n${externalId}`).digest('hex');
        expect(orderIdFor(channel, externalId)).toBe(`ord_${digest.slice(0, 24)}`);
      }),
    );
  });

  it('finds the order of a return by its id', () => {
    expect(orderIdOfReturn(returnId('ord_006a7fe457d989ab9699b514', 12))).toBe('ord_006a7fe457d989ab9699b514');
  });
});
