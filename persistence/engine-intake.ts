/**
 * Orders accepted that the engine has not taken up yet: intake marks an order once its workflow started,
 * and the workflow's first save of the order (revision 1) unmarks it. The age of the oldest
 * mark is how far behind the engine is with new orders, measured end to end: a worker busy with other
 * orders, its database, Temporal. Admission control reads it every second (api/admission.ts).
 *
 * The marks live in `order_list_entries` under `intake#<receivedAt>|<orderId>`, so the oldest is the first
 * of an `_id` range: one indexed read, however many orders are stored.
 */
import type { mongo } from 'mongoose';
import { ignoreDuplicateKey } from './duplicate-key.js';
import { entryId, OrderListEntryModel, positionOf } from './order-lists.js';
import { OrderModel } from './orders.js';

const INTAKE = 'intake';

const marks = () => OrderListEntryModel.collection as unknown as mongo.Collection<{ _id: string; orderId: string }>;

const markId = (orderId: string, receivedAt: string) => entryId(INTAKE, { createdAt: receivedAt, orderId });

export async function markAwaitingEngine(orderId: string, receivedAt: string): Promise<void> {
  await marks().insertOne({ _id: markId(orderId, receivedAt), orderId }).catch(ignoreDuplicateKey);
}

/** The workflow's first save. Idempotent. */
export async function unmarkAwaitingEngine(orderId: string, receivedAt: string): Promise<void> {
  await marks().deleteOne({ _id: markId(orderId, receivedAt) });
}

/** A mark this young is taken as it is; an older one is checked against the order before it counts. */
const CHECK_OLDER_THAN_MS = 1_000;
/** Stale marks removed per reading at most; the next reading goes on. */
const MARKS_CHECKED = 5;

/**
 * How long the oldest order accepted has waited for the engine to take it up, in ms; 0 when none waits.
 * Marks that outlived their order's first save (it came before the mark, or its unmark failed) are removed
 * on the way, so that none can hold intake shut.
 */
export async function engineIntakeLagMs(now: number): Promise<number> {
  const oldest = await marks()
    .find({ _id: { $gt: `${INTAKE}#`, $lt: `${INTAKE}#~` } }, { projection: { _id: 1 } })
    .sort({ _id: 1 })
    .limit(MARKS_CHECKED)
    .toArray();
  for (const { _id } of oldest) {
    const { createdAt: receivedAt, orderId } = positionOf(_id);
    const waited = Math.max(0, now - Date.parse(receivedAt));
    if (waited <= CHECK_OLDER_THAN_MS) return waited;
    const stored = await OrderModel.collection.findOne({ _id: orderId as never }, { projection: { revision: 1 } });
    // No view yet: intake could not store it, and the workflow has not saved it either.
    if (!stored || stored.revision === 0) return waited;
    await unmarkAwaitingEngine(orderId, receivedAt);
  }
  return 0;
}
