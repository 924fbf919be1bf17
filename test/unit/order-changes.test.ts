/**
 * The outbox of order changes as plain logic: positions (the ids of its entries and of the streams' events)
 * order as their changes were written, read back what they name, and refuse anything else; a change
 * carries the timeline entries its revision added.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { receivedOrder } from '../../domain/order.js';
import { changePosition, orderChange, parseChangePosition, positionAt } from '../../persistence/order-changes.js';
import { orderInput } from '../support/fixtures.js';

const time = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2999, 11, 31) });
const orderId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/), fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }));
const revision = fc.integer({ min: 0, max: 9_999_999_999 });

describe('change positions', () => {
  it('name the time, order and revision they were made of', () => {
    fc.assert(
      fc.property(time, orderId, revision, (writtenAt, id, rev) => {
        expect(parseChangePosition(changePosition(writtenAt, id, rev))).toEqual({ writtenAt, change: { orderId: id, revision: rev } });
      }),
    );
  });

  it("order as strings by time first, and one order's by revision at the same time", () => {
    const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    fc.assert(
      fc.property(time, time, orderId, orderId, revision, revision, (t1, t2, id1, id2, r1, r2) => {
        if (t1 !== t2) expect(compare(changePosition(t1, id1, r1), changePosition(t2, id2, r2))).toBe(Math.sign(t1 - t2));
        expect(compare(changePosition(t1, id1, r1), changePosition(t1, id1, r2))).toBe(Math.sign(r1 - r2));
      }),
    );
  });

  it('put positionAt(t) after every change written before t and before every one written at t or later', () => {
    fc.assert(
      fc.property(time, time, orderId, revision, (at, writtenAt, id, rev) => {
        const position = changePosition(writtenAt, id, rev);
        expect(position > positionAt(at)).toBe(writtenAt >= at);
      }),
    );
    expect(parseChangePosition(positionAt(Date.UTC(2026, 11, 8)))).toEqual({ writtenAt: Date.UTC(2026, 11, 8) });
  });

  it('hold no character that JSON escapes, so the embedded FerretDB orders them as strings', () => {
    fc.assert(
      fc.property(time, orderId, revision, (writtenAt, id, rev) => {
        const position = changePosition(writtenAt, id, rev);
        expect(JSON.stringify(position)).toBe(`"${position}"`);
        expect(position).not.toMatch(/[<>&\u2028\u2029]/);
      }),
    );
  });

  it('refuse what this API does not write', () => {
    for (const text of [
      '',
      'ord_1',
      '2026-12-08T10:15:30.123Z|ord_1',
      '2026-12-08T10:15:30.123Z|ord_1|12',
      '2026-12-08T10:15:30Z|ord_1|0000000012',
      '2026-02-30T10:15:30.123Z|ord_1|0000000012',
      '2026-12-08T10:15:30.123Z|ord|1|0000000012',
      '2026-12-08T10:15:30.123Z|%E0%A4%A|0000000012',
      '2026-12-08T10:15:30.123Z||0000000012',
    ]) {
      expect(parseChangePosition(text), text).toBeUndefined();
    }
  });
});

describe('orderChange', () => {
  const order = {
    ...receivedOrder(orderInput([{ sku: 'MUG', quantity: 1 }], { orderId: 'ord_1' })),
    revision: 3,
    shipments: [{ shipmentId: 's1', warehouseId: 'w1', status: 'shipped' as const, carrier: 'SBX', trackingNumber: 'T1', lines: [{ sku: 'MUG', quantity: 1 }] }],
    timeline: [1, 2, 3].map((n) => ({ id: `ord_1-${n}`, at: `2026-12-08T10:0${n}:00.000Z`, type: `step${n}`, message: `Step ${n}`, webhook: { deliveredAt: '2026-12-08T10:05:00.000Z', attempts: 1 } })),
  };

  it('carries the timeline entries the revision added, without their webhook deliveries', () => {
    const change = orderChange(order, { timeline: order.timeline.slice(0, 2) });
    expect(change).toEqual({
      orderId: 'ord_1',
      channel: order.channel,
      externalId: order.externalId,
      revision: 3,
      status: 'received',
      updatedAt: order.updatedAt,
      shipments: [{ shipmentId: 's1', warehouseId: 'w1', status: 'shipped', carrier: 'SBX', trackingNumber: 'T1' }],
      timeline: [{ id: 'ord_1-3', at: '2026-12-08T10:03:00.000Z', type: 'step3', message: 'Step 3' }],
    });
  });

  it('carries the whole timeline when nothing was saved before', () => {
    expect(orderChange(order).timeline.map((entry) => entry.id)).toEqual(['ord_1-1', 'ord_1-2', 'ord_1-3']);
  });
});
