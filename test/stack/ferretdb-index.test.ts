/**
 * The embedded FerretDB reads by `_id` through the `_id` index (tools/ferretdb/patches/id-index.patch), also
 * when the filter has other conditions beside the `_id`: the query plan SQLite reports through `explain`
 * is a search of the index, not a scan of the table. Other filters are still answered by a scan.
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

describe('embedded FerretDB', () => {
  let connection: mongoose.Connection;
  const name = `index_probe_${Date.now()}_${process.pid}`;

  beforeAll(async () => {
    connection = await mongoose.createConnection(inject('mongoUri')).asPromise();
    await connection.collection(name).insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `doc-${i}` as never, key: `key-${i}`, revision: i })));
  });
  afterAll(async () => {
    await connection?.collection(name).drop();
    await connection?.close();
  });

  /** The SQLite query plan lines of a find with this filter. */
  async function plan(filter: Record<string, unknown>): Promise<string> {
    const explained = await connection.db!.command({ explain: { find: name, filter }, verbosity: 'queryPlanner' });
    return JSON.stringify(explained.queryPlanner);
  }

  it('finds by _id through the _id index, with or without other conditions', async () => {
    expect(await plan({ _id: 'doc-7' })).toMatch(/SEARCH .* USING INDEX/);
    expect(await plan({ _id: 'doc-7', revision: { $lt: 10 } })).toMatch(/SEARCH .* USING INDEX/);
    expect(await connection.collection(name).findOne({ _id: 'doc-7' as never, revision: { $lt: 10 } })).toMatchObject({ key: 'key-7' });
    expect(await connection.collection(name).findOne({ _id: 'doc-7' as never, revision: { $lt: 5 } })).toBeNull();
  });

  it('still scans for a filter without an _id equality', async () => {
    expect(await plan({ key: 'key-7' })).toMatch(/SCAN/);
    expect(await plan({ _id: { $in: ['doc-1', 'doc-2'] } })).toMatch(/SCAN/);
  });
});
