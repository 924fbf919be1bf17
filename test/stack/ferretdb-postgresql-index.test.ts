/**
 * FerretDB on PostgreSQL reads and writes by `_id` through the unique `_id` index
 * (tools/ferretdb/patches/use-id-index-on-postgresql.patch), also when the filter has other conditions
 * beside the `_id`, and still answers as MongoDB does. The check is on the SQL FerretDB really sends: its
 * debug log has every statement, and PostgreSQL explains each (prepared as FerretDB prepares it, with the
 * plan it would use for any value) as a scan of the `_id` index, not of the table.
 *
 * A page of an `_id` range (string bounds, sorted by `_id`, limited) is read from the `_id` index too and
 * stops after the page (use-id-ranges-on-postgresql.patch), on a database whose collation is `C`; on any
 * other collation FerretDB keeps its old path, which is slow but still orders strings by their bytes.
 *
 * Its own PostgreSQL and FerretDB: the suite's FerretDB runs on SQLite.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPostgres, type PostgresServer } from '../../stack/postgres.js';
import { findFreePort } from '../../stack/processes.js';
import { startFerretDB, type FerretDBServer } from '../../stack/services.js';

const DATABASE = 'id_index_probe'; // a schema in PostgreSQL, where pg_ names are reserved

/** Ids of every type the test stores or asks for. */
type ProbeId = string | number | mongoose.Types.ObjectId | mongoose.mongo.Long | mongoose.mongo.Double;
type Probe = { _id: ProbeId; key?: string; revision?: number; note?: string };
const COLLECTION = 'probe';

/**
 * Ids for string ranges: upper and lower case and a non-ASCII letter, whose byte order (MongoDB's, and
 * PostgreSQL's under collation C) differs from a natural-language collation's (`k-a`, `k-A`, `k-b`, ...);
 * a string and an ObjectId whose hex digits lie in the same string range, and numbers, which jsonb orders
 * after every string.
 */
const RANGE_IDS = ['k-b', 'k-A', 'k-é', 'k-Z', 'k-a', 'k-z', 'k-B', '6b-string'];
const RANGE_OBJECT_ID = new mongoose.Types.ObjectId('6b2d41000000000000000001');
const RANGE_PROBES: Probe[] = [...RANGE_IDS.map((_id) => ({ _id, revision: 2 })), { _id: RANGE_OBJECT_ID, revision: 2 }, { _id: 70, revision: 2 }];
/** RANGE_IDS starting `k-` in byte order. */
const K_IDS = ['k-A', 'k-B', 'k-Z', 'k-a', 'k-b', 'k-z', 'k-é'];

describe('FerretDB on PostgreSQL', () => {
  let postgres: PostgresServer;
  let ferretdb: FerretDBServer;
  let connection: mongoose.Connection;
  let collection: mongoose.mongo.Collection<Probe>;
  /** FerretDB's debug log since the last `sqlOf`. */
  let log: string[] = [];
  const objectId = new mongoose.Types.ObjectId();

  beforeAll(async () => {
    postgres = await startPostgres({ port: await findFreePort(), ownProcessGroup: false, onLine: () => {} });
    await postgres.createDatabase('ferretdb');
    ferretdb = await startFerretDB({
      binary: process.env.OMS_FERRETDB_BIN!, port: await findFreePort(), postgresqlUrl: postgres.url('ferretdb'),
      logLevel: 'debug', ownProcessGroup: false, onLine: (line) => void log.push(line),
    });
    connection = await mongoose.createConnection(ferretdb.uri(DATABASE)).asPromise();
    collection = connection.collection<Probe>(COLLECTION);
    // Enough rows that a scan of the table costs PostgreSQL more than a look-up in the index.
    await collection.insertMany(Array.from({ length: 2_000 }, (_, i) => ({ _id: id(i), key: `key-${i}`, revision: i, note: 'x'.repeat(200) })));
    await collection.insertMany([{ _id: 7, revision: 1 }, { _id: 2.5, revision: 1 }, { _id: mongoose.mongo.Long.fromNumber(9), revision: 1 }, { _id: objectId, revision: 1 }]);
    await collection.insertMany(RANGE_PROBES);
  });
  afterAll(async () => {
    await connection?.close();
    await ferretdb?.stop();
    await postgres?.stop();
  });

  const id = (n: number) => `doc-${String(n).padStart(4, '0')}`;
  const psql = (sql: string) =>
    promisify(execFile)('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', postgres.url('ferretdb'), '-c', sql]).then(({ stdout }) => stdout.trim());

  /**
   * The statements on the collection's table that FerretDB sent for `call`, once all of `kinds` (SELECT,
   * UPDATE, DELETE) are among them: the log reaches us after the call's answer.
   */
  async function sqlOf(call: () => Promise<unknown>, kinds: string[]): Promise<string[]> {
    log = [];
    await call();
    return vi.waitFor(() => {
      const statements = log.flatMap((line) => {
        const quoted = / msg=Query .*? sql=("(?:[^"\\]|\\.)*")/.exec(line)?.[1];
        const sql = quoted ? (JSON.parse(quoted) as string) : '';
        return sql.includes(`"${DATABASE}".`) && !sql.includes('_ferretdb_database_metadata') ? [sql] : [];
      });
      for (const kind of kinds) expect(statements.some((sql) => sql.startsWith(kind)), `${kind} in ${JSON.stringify(statements)}`).toBe(true);
      return statements;
    });
  }

  /** PostgreSQL's plan of a statement, prepared and planned for any parameter values (a generic plan). */
  async function plan(sql: string): Promise<string> {
    const parameters = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    const execute = parameters ? `EXECUTE q(${Array(parameters).fill('NULL').join(', ')})` : 'EXECUTE q';
    return psql(`SET plan_cache_mode = force_generic_plan; PREPARE q AS ${sql}; EXPLAIN (FORMAT JSON) ${execute}`);
  }

  /** The index on `_jsonb->'_id'` FerretDB made for the collection. */
  async function idIndex(): Promise<string> {
    const names = await psql(`SELECT indexname FROM pg_indexes WHERE schemaname = '${DATABASE}'
      AND tablename <> '_ferretdb_database_metadata' AND indexdef LIKE '%((_jsonb -> ''_id''::text))%'`);
    expect(names.split('\n')).toHaveLength(1);
    return names;
  }

  /** Every statement the call sent is read through the `_id` index. */
  async function expectIdIndexScans(call: () => Promise<unknown>, kinds: string[]): Promise<void> {
    const index = await idIndex();
    for (const sql of await sqlOf(call, kinds)) {
      const explained = await plan(sql);
      expect(explained, sql).toContain(`"Index Name": "${index}"`);
      expect(explained, sql).not.toContain('Seq Scan');
    }
  }

  it('finds, updates and deletes by _id through the _id index, with or without other conditions', async () => {
    await expectIdIndexScans(() => collection.findOne({ _id: id(7) }), ['SELECT']);
    await expectIdIndexScans(() => collection.findOne({ _id: id(7), revision: { $lt: 10 } }), ['SELECT']);
    await expectIdIndexScans(() => collection.findOne({ _id: objectId }), ['SELECT']);
    await expectIdIndexScans(() => collection.findOne({ _id: 7 }), ['SELECT']);
    await expectIdIndexScans(() => collection.find({ _id: { $in: [id(1), id(2)] } }).toArray(), ['SELECT']);
    await expectIdIndexScans(() => collection.updateOne({ _id: id(8) }, { $set: { key: 'updated' } }), ['SELECT', 'UPDATE']);
    await expectIdIndexScans(() => collection.updateOne({ _id: id(8), revision: { $lt: 10 } }, { $set: { key: 'again' } }), ['SELECT', 'UPDATE']);
    await expectIdIndexScans(() => collection.deleteOne({ _id: id(9) }), ['SELECT', 'DELETE']);
  });

  it('still scans for a filter without an _id condition (so the check above can fail)', async () => {
    const [sql] = await sqlOf(() => collection.findOne({ key: 'key-7' }), ['SELECT']);
    expect(await plan(sql)).toContain('Seq Scan');
  });

  it('answers as MongoDB does: ids of each type, other conditions, missing ids', async () => {
    expect(await collection.findOne({ _id: id(17), revision: { $lt: 20 } })).toMatchObject({ key: 'key-17' });
    expect(await collection.findOne({ _id: id(17), revision: { $lt: 17 } })).toBeNull();
    expect(await collection.updateOne({ _id: id(18), revision: { $lt: 18 } }, { $set: { key: 'changed' } })).toMatchObject({ matchedCount: 0 });
    expect(await collection.findOne({ _id: id(18) })).toMatchObject({ key: 'key-18' });
    expect(await collection.deleteOne({ _id: id(19), revision: { $gt: 19 } })).toMatchObject({ deletedCount: 0 });
    expect(await collection.findOne({ _id: id(19) })).not.toBeNull();

    // An ObjectId and a string of its hex digits are different ids (FerretDB stores both as that text).
    expect(await collection.findOne({ _id: objectId })).toMatchObject({ revision: 1 });
    expect(await collection.findOne({ _id: objectId.toHexString() })).toBeNull();
    expect(await collection.findOne({ _id: new mongoose.Types.ObjectId() })).toBeNull();

    // Numbers equal by value whatever their BSON type, as in MongoDB.
    const { Double, Long } = mongoose.mongo;
    expect(await collection.findOne({ _id: new Double(7) })).toMatchObject({ _id: 7 });
    expect(await collection.findOne({ _id: Long.fromNumber(7) })).toMatchObject({ _id: 7 });
    expect(await collection.findOne({ _id: 9 })).toMatchObject({ revision: 1 });
    expect(await collection.findOne({ _id: new Double(2.5) })).toMatchObject({ _id: 2.5 });
    expect(await collection.findOne({ _id: 2 })).toBeNull();
    expect(await collection.findOne({ _id: '7' })).toBeNull();

    const found = await collection.find({ _id: { $in: [id(21), 7, objectId, 'nothing', id(22)] } }).toArray();
    expect(found.map((doc) => String(doc._id)).sort()).toEqual([id(21), id(22), '7', objectId.toHexString()].sort());

    expect(await collection.findOne({ _id: 'missing' })).toBeNull();
    expect(await collection.updateOne({ _id: 'missing' }, { $set: { key: 'x' } })).toMatchObject({ matchedCount: 0 });
    expect(await collection.deleteOne({ _id: 'missing' })).toMatchObject({ deletedCount: 0 });
    expect(await collection.deleteOne({ _id: id(23) })).toMatchObject({ deletedCount: 1 });
    expect(await collection.findOne({ _id: id(23) })).toBeNull();
  });

  it('reads a page of an _id range from the _id index, in order, and stops after the page', async () => {
    const index = await idIndex();
    for (const direction of [1, -1] as const) {
      const page = () => collection.find({ _id: { $gt: id(100), $lt: id(1000) } }).sort({ _id: direction }).limit(50).toArray();
      const [sql, ...more] = await sqlOf(page, ['SELECT']);
      expect(more).toEqual([]);
      expect(sql).toMatch(direction === 1 ? /ORDER BY _jsonb->'_id' LIMIT \$\d+$/ : /ORDER BY _jsonb->'_id' DESC LIMIT \$\d+$/);
      const explained = await plan(sql);
      expect(explained, sql).toContain(`"Index Name": "${index}"`);
      expect(explained, sql).toContain('"Node Type": "Limit"');
      expect(explained, sql).not.toContain('Seq Scan');
      expect(explained, sql).not.toContain('"Node Type": "Sort"');
      if (direction === -1) expect(explained, sql).toContain('"Scan Direction": "Backward"');

      const expected = Array.from({ length: 50 }, (_, i) => id(direction === 1 ? 101 + i : 999 - i));
      expect((await page()).map((doc) => doc._id)).toEqual(expected);
    }
  });

  it('answers string ranges as MongoDB does: strings only, in byte order, bounds in or out', async () => {
    await expectRangeAnswers(collection);
  });

  describe('on a database whose collation is not C', () => {
    let icuFerretdb: FerretDBServer;
    let icuConnection: mongoose.Connection;
    let icuCollection: mongoose.mongo.Collection<Probe>;
    let icuLog: string[] = [];

    beforeAll(async () => {
      // ICU's en-US orders `k-a` before `k-A` before `k-b`; lc_collate `C` still, which FerretDB requires.
      await psql(`CREATE DATABASE ferretdb_icu TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LC_COLLATE 'C' LC_CTYPE 'C'`);
      expect(await psqlOn('ferretdb_icu', `SELECT '"k-a"'::jsonb < '"k-A"'::jsonb AND '"k-é"'::jsonb < '"k-z"'::jsonb`)).toBe('t');
      icuFerretdb = await startFerretDB({
        binary: process.env.OMS_FERRETDB_BIN!, port: await findFreePort(), postgresqlUrl: postgres.url('ferretdb_icu'),
        logLevel: 'debug', ownProcessGroup: false, onLine: (line) => void icuLog.push(line),
      });
      icuConnection = await mongoose.createConnection(icuFerretdb.uri(DATABASE)).asPromise();
      icuCollection = icuConnection.collection<Probe>(COLLECTION);
      await icuCollection.insertMany([...Array.from({ length: 200 }, (_, i) => ({ _id: id(i), revision: i })), ...RANGE_PROBES]);
    });
    afterAll(async () => {
      await icuConnection?.close();
      await icuFerretdb?.stop();
    });

    it('says once that ranges read the whole collection, and keeps sort and limit out of SQL', async () => {
      expect(icuLog.filter((line) => line.includes('Database collation is not C'))).toHaveLength(1);
      icuLog = [];
      await icuCollection.find({ _id: { $gt: id(10), $lt: id(100) } }).sort({ _id: -1 }).limit(5).toArray();
      const statements = await vi.waitFor(() => {
        const found = icuLog.filter((line) => line.includes(' msg=Query ') && line.includes(`${DATABASE}`) && !line.includes('_ferretdb_database_metadata'));
        expect(found).not.toEqual([]);
        return found;
      });
      for (const line of statements) expect(line).not.toMatch(/ORDER BY _jsonb|LIMIT/);
    });

    it('still answers string ranges as MongoDB does (the slow path)', async () => {
      await expectRangeAnswers(icuCollection);
      const page = await icuCollection.find({ _id: { $gt: id(10), $lt: id(100) } }).sort({ _id: -1 }).limit(5).toArray();
      expect(page.map((doc) => doc._id)).toEqual([id(99), id(98), id(97), id(96), id(95)]);
    });
  });

  const psqlOn = (database: string, sql: string) =>
    promisify(execFile)('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', postgres.url(database), '-c', sql]).then(({ stdout }) => stdout.trim());
});

/** What MongoDB answers for string ranges over RANGE_PROBES (and the other ids, all below `k-`). */
async function expectRangeAnswers(collection: mongoose.mongo.Collection<Probe>): Promise<void> {
  const ids = async (filter: mongoose.mongo.Filter<Probe>, direction: 1 | -1, limit = 50) =>
    (await collection.find(filter).sort({ _id: direction }).limit(limit).toArray()).map((doc) => doc._id);

  expect(await ids({ _id: { $gt: 'k-', $lt: 'l' } }, 1)).toEqual(K_IDS);
  expect(await ids({ _id: { $gt: 'k-', $lt: 'l' } }, -1)).toEqual([...K_IDS].reverse());
  expect(await ids({ _id: { $gte: 'k-B', $lte: 'k-b' } }, 1)).toEqual(['k-B', 'k-Z', 'k-a', 'k-b']);
  expect(await ids({ _id: { $gt: 'k-B', $lt: 'k-b' } }, -1)).toEqual(['k-a', 'k-Z']);
  expect(await ids({ _id: { $gt: 'k-a', $lt: 'k-z' } }, 1, 1)).toEqual(['k-b']);
  // Strings only: not the numbers above every string in jsonb, nor an ObjectId whose hex digits are in range.
  expect(await ids({ _id: { $gt: 'k-' } }, -1, 3)).toEqual(['k-é', 'k-z', 'k-b']);
  expect(await ids({ _id: { $gt: '6', $lt: '7' } }, 1)).toEqual(['6b-string']);
  expect(await ids({ _id: { $lt: '7' } }, -1)).toEqual(['6b-string']);
  expect(await collection.countDocuments({ _id: { $gte: '6b2d41000000000000000001', $lte: '6b2d41000000000000000001' } })).toBe(0);
  // MongoDB orders strings before ObjectIds.
  expect((await ids({ _id: { $in: [RANGE_OBJECT_ID, 'k-a', 'k-A'] } }, 1)).map(String)).toEqual(['k-A', 'k-a', RANGE_OBJECT_ID.toHexString()]);
}
