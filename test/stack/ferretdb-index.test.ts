/**
 * The embedded FerretDB reads by `_id` through the `_id` index (tools/ferretdb/patches/id-index.patch), also
 * when the filter has other conditions beside the `_id`: the query plan SQLite reports through `explain`
 * is a search of the index, not a scan of the table. A list of ids (`$in`) and a range of string ids, sorted
 * by `_id` with a limit, are read from the index too (id-ranges.patch). Other filters are still answered by
 * a scan. FerretDB on PostgreSQL: ferretdb-postgresql-index.test.ts.
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

describe('embedded FerretDB', () => {
  let connection: mongoose.Connection;
  const name = `index_probe_${Date.now()}_${process.pid}`;

  beforeAll(async () => {
    connection = await mongoose.createConnection(inject('mongoUri')).asPromise();
    await connection.collection(name).insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `doc-${String(i).padStart(2, '0')}` as never, key: `key-${i}`, revision: i })));
    // Ids of other types sort apart from strings, as in MongoDB: a string range never returns them.
    await connection.collection(name).insertMany([{ _id: 7 as never }, { _id: new mongoose.Types.ObjectId() as never }, { _id: 'e' as never }]);
  });
  afterAll(async () => {
    await connection?.collection(name).drop();
    await connection?.close();
  });

  /** The SQLite query plan lines of a find with this filter (and sort and limit). */
  async function plan(filter: Record<string, unknown>, options: { sort?: Record<string, 1 | -1>; limit?: number } = {}): Promise<string> {
    const explained = await explain(filter, options);
    return JSON.stringify(explained.queryPlanner);
  }

  function explain(filter: Record<string, unknown>, options: { sort?: Record<string, 1 | -1>; limit?: number } = {}) {
    return connection.db!.command({ explain: { find: name, filter, ...options }, verbosity: 'queryPlanner' });
  }

  const ids = (docs: Array<{ _id: unknown }>) => docs.map((d) => d._id);

  it('finds by _id through the _id index, with or without other conditions', async () => {
    expect(await plan({ _id: 'doc-07' })).toMatch(/SEARCH .* USING INDEX/);
    expect(await plan({ _id: 'doc-07', revision: { $lt: 10 } })).toMatch(/SEARCH .* USING INDEX/);
    expect(await connection.collection(name).findOne({ _id: 'doc-07' as never, revision: { $lt: 10 } })).toMatchObject({ key: 'key-7' });
    expect(await connection.collection(name).findOne({ _id: 'doc-07' as never, revision: { $lt: 5 } })).toBeNull();
  });

  it('finds a list of ids ($in) through the _id index', async () => {
    expect(await plan({ _id: { $in: ['doc-01', 'doc-02'] } })).toMatch(/SEARCH .* USING INDEX/);
    const found = await connection.collection<{ _id: string | number }>(name).find({ _id: { $in: ['doc-02', 'nothing', 'doc-01', 7] } }).sort({ _id: 1 }).toArray();
    expect(ids(found)).toEqual([7, 'doc-01', 'doc-02']);
  });

  it('reads a range of string ids in _id order from the index, applying the limit there', async () => {
    const range = { _id: { $gt: 'doc-10', $lte: 'doc-40' } };
    const explained = await explain(range, { sort: { _id: -1 }, limit: 3 });
    expect(JSON.stringify(explained.queryPlanner)).toMatch(/SEARCH .* USING INDEX/);
    expect(JSON.stringify(explained.queryPlanner)).not.toMatch(/TEMP B-TREE/); // no sort after the search
    expect(explained).toMatchObject({ sortPushdown: true, limitPushdown: true });

    const collection = connection.collection<{ _id: string | number }>(name);
    expect(ids(await collection.find(range).sort({ _id: -1 }).limit(3).toArray())).toEqual(['doc-40', 'doc-39', 'doc-38']);
    expect(ids(await collection.find({ _id: { $gte: 'doc-10', $lt: 'doc-13' } }).sort({ _id: 1 }).toArray())).toEqual(['doc-10', 'doc-11', 'doc-12']);
    // String bounds match strings only: not the number or the ObjectId.
    expect(ids(await collection.find({ _id: { $gt: 'doc-48' } }).sort({ _id: 1 }).toArray())).toEqual(['doc-49', 'e']);
    expect(await collection.countDocuments({ _id: { $gte: '' } })).toBe(51);
  });

  it('applies the rest of a filter beside an _id range, and then leaves the limit to the handler', async () => {
    const filter = { _id: { $gte: 'doc-10' }, revision: { $gte: 45 } };
    expect(await explain(filter, { sort: { _id: -1 }, limit: 2 })).toMatchObject({ limitPushdown: false });
    expect(ids(await connection.collection<{ _id: string | number }>(name).find(filter).sort({ _id: 1 }).limit(2).toArray())).toEqual(['doc-45', 'doc-46']);
  });

  it('still scans for a filter without an _id condition', async () => {
    expect(await plan({ key: 'key-7' })).toMatch(/SCAN/);
  });
});
