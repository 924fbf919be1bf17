/**
 * FerretDB on PostgreSQL reads and writes by `_id` through the unique `_id` index
 * (tools/ferretdb/patches/use-id-index-on-postgresql.patch), also when the filter has other conditions
 * beside the `_id`, and still answers as MongoDB does. The check is on the SQL FerretDB really sends: its
 * debug log has every statement, and PostgreSQL explains each (prepared as FerretDB prepares it, with the
 * plan it would use for any value) as a scan of the `_id` index, not of the table.
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
});
