/**
 * The rate limits' counts, shared by every API process: per key and window a ledger in which each lease
 * of points (api/rate-limits.ts) claims the next slot, holding the count up to and including it. The
 * unique `_id` (`<window>|<seq>|<key>`) lets one process only claim a slot, on FerretDB v1 as on MongoDB,
 * so no lease is counted twice or lost. An `$inc` would not do: FerretDB v1 applies an update in Go and
 * writes it back without a lock, and counting so (rate-limiter-flexible's RateLimiterMongo), two processes
 * adding to one key at once lost about half of their counts.
 *
 * A collection per limit, so the per-key counts, read on the hot path, are not slowed by the failed
 * authentications' documents. FerretDB v1 has no TTL index: the windows that ended are deleted here.
 */
import mongoose, { Schema } from 'mongoose';
import { insertOnce } from './duplicate-key.js';

const rateLimitSlotSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    /** The window's number since the epoch (its start divided by its length). */
    window: { type: Number, required: true },
    seq: { type: Number, required: true },
    /** Points counted for the key in the window, this slot's included. */
    total: { type: Number, required: true },
  },
  { versionKey: false },
);
rateLimitSlotSchema.index({ window: 1, key: 1, seq: 1 });

const models = {
  per_key: mongoose.model('RateLimitPerKey', rateLimitSlotSchema, 'rate_limits_per_key'),
  failed_auth: mongoose.model('RateLimitFailedAuth', rateLimitSlotSchema, 'rate_limits_failed_auth'),
};
export const rateLimitModels = Object.values(models);
export type RateLimitName = keyof typeof models;

export interface RateLimitSlot {
  seq: number;
  total: number;
}

/**
 * Counts `points` for `key` in `window` in the slot after `last` (the key's last slot as this process knows
 * it; none for the first of a window), or, when another process claimed that one, after the newest.
 * Returns the slot, and the count before it.
 */
export async function countInWindow(limit: RateLimitName, key: string, window: number, points: number, last: RateLimitSlot | undefined): Promise<{ slot: RateLimitSlot; before: number }> {
  let previous = last ?? { seq: 0, total: 0 };
  for (;;) {
    const slot = { seq: previous.seq + 1, total: previous.total + points };
    if (await insertOnce(() => models[limit].create({ _id: `${window}|${slot.seq}|${key}`, key, window, ...slot }))) return { slot, before: previous.total };
    // (None only if the window was deleted meanwhile: then on, counting this slot as taken.)
    previous = (await models[limit].findOne({ window, key }, { seq: 1, total: 1 }).sort({ seq: -1 }).lean()) ?? slot;
  }
}

/** Deletes the counts of the windows before `window`. */
export async function deleteCountsBefore(limit: RateLimitName, window: number): Promise<void> {
  await models[limit].deleteMany({ window: { $lt: window } });
}
