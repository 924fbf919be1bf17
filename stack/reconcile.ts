/**
 * `npm run reconcile [-- --repair] [-- --sku <sku>]`: checks every stock level (the inventory_levels
 * projection) against the stock ledger and prints what disagrees. With --repair, drifted levels are
 * rewritten from the ledger (the ledger itself is never changed).
 *
 * Connects to MONGODB_URI, or the local FerretDB of `npm start`. Exit codes: 0 no drift (or all of it
 * repaired), 1 drift found and not repaired, 2 bad arguments or no database.
 *
 * Unlike POST /v1/admin/reconciliation it does not talk to Temporal, so repaired SKUs get their low-stock
 * alerts re-evaluated, and their backorders woken, with their next stock movement.
 */
import { parseArgs } from 'node:util';
import { Sku } from '../api/schemas/common.js';
import { loadConfig } from '../config.js';
import { connectMongo, disconnectMongo } from '../persistence/connection.js';
import { reconcileStock, type LevelDrift } from '../persistence/reconciliation.js';

const USAGE = 'usage: npm run reconcile [-- --repair] [-- --sku <sku>]';

function parseCommandLine(argv: string[]): { repair: boolean; sku?: string } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { repair: { type: 'boolean', default: false }, sku: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    if (values.sku !== undefined && !Sku.safeParse(values.sku).success) throw new Error(`"${values.sku}" is not a SKU`);
    return { repair: values.repair ?? false, sku: values.sku };
  } catch (error) {
    console.error(`reconcile: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

/** The URI without its password, for the report. */
function displayUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable MONGODB_URI)';
  }
}

const balances = (b: { onHand: number; reserved: number; seq: number }) => `onHand ${b.onHand}, reserved ${b.reserved}, seq ${b.seq}`;

function describe(drift: LevelDrift): string {
  return [
    `  ${drift.sku} @ ${drift.warehouseId}: ${drift.problems.join('; ')}`,
    `    level : ${balances(drift.level)}`,
    `    ledger: ${balances(drift.ledger)} (${drift.ledger.movements} movements)`,
  ].join('\n');
}

async function main(): Promise<number> {
  const options = parseCommandLine(process.argv.slice(2));
  const { uri } = loadConfig().mongo;
  const scope = options.sku ? `SKU ${options.sku}` : 'all SKUs';
  console.log(`Reconciling stock levels with the ledger: ${scope}, ${displayUri(uri)}${options.repair ? ', repairing' : ''}`);
  try {
    await connectMongo(uri);
  } catch (error) {
    console.error(`reconcile: cannot connect to MongoDB: ${(error as Error).message}`);
    return 2;
  }
  try {
    const { checked, drift } = await reconcileStock(options);
    console.log(`Checked ${checked} location${checked === 1 ? '' : 's'}: ${drift.length === 0 ? 'no drift.' : `${drift.length} with drift.`}`);
    for (const d of drift) console.log(describe(d));
    if (drift.length === 0) return 0;
    if (options.repair) {
      console.log(`Repaired ${drift.length} level${drift.length === 1 ? '' : 's'} from the ledger.`);
      const unfixable = drift.filter((d) => d.problems.some((p) => p !== 'level differs from the ledger'));
      if (unfixable.length > 0) {
        console.log(`The ledger itself disagrees at ${unfixable.length} location(s) (running balances or sequence); a level repair does not change that.`);
      }
      return 0;
    }
    console.log('Run again with --repair to rewrite these levels from the ledger.');
    return 1;
  } finally {
    await disconnectMongo();
  }
}

process.exitCode = await main();
