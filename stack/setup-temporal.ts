/**
 * `npm run setup:temporal`: readies an existing Temporal namespace for orders by registering the search
 * attributes every order sets (`OrderId`, `Channel`, `CustomerId`, `OrderStatus` as Keyword, `Late` as
 * Bool). Connects with the same settings as the worker and the API (TEMPORAL_* variables or a profile).
 * Where this client may not register them (Temporal Cloud registers them through its own tools; a key
 * without admin rights), it prints exactly what an operator runs instead, and exits 2.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError } from '@temporalio/client';
import { loadConfig } from '../config.js';
import { ORDER_SEARCH_ATTRIBUTE_TYPES } from '../contracts/search-attributes.js';
import { connectTemporalClient, GRPC_STATUS, indexedValueType, missingSearchAttributes, refusal } from '../services/temporal-connection.js';
import { SettingsError } from '../domain/settings-error.js';

/** The server adds them in the background (a system workflow on SQL visibility): wait until they can be used. */
const REGISTRATION_WAIT_MS = 120_000;

const say = (line: string) => console.log(`[setup:temporal] ${line}`);

async function main(): Promise<number> {
  const { temporal } = loadConfig();
  const { namespace } = temporal;
  const connection = await connectTemporalClient(temporal.connection);
  try {
    const missing = await missingSearchAttributes(connection, namespace).catch((error: unknown) => {
      if (isGrpcServiceError(error)) throw new SettingsError(refusal(error.code, error.details || error.message, temporal.connection, namespace));
      throw error;
    });
    if (missing.length === 0) {
      say(`namespace "${namespace}" at ${temporal.address} has every search attribute orders set; nothing to do.`);
      return 0;
    }
    say(`registering ${missing.map(({ name, type }) => `${name} (${type})`).join(', ')} in namespace "${namespace}" at ${temporal.address} ...`);
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map(({ name, type }) => [name, indexedValueType(type)])),
      });
    } catch (error) {
      if (!isGrpcServiceError(error) || !([GRPC_STATUS.PERMISSION_DENIED, GRPC_STATUS.UNAUTHENTICATED, GRPC_STATUS.UNIMPLEMENTED] as number[]).includes(error.code)) throw error;
      console.error([
        `[setup:temporal] this client may not register search attributes (${error.details || error.message}).`,
        'Ask an operator of the namespace to run one of these, then start the worker and the API again:',
        `  temporal operator search-attribute create --address ${temporal.address} --namespace ${namespace} ${missing.map(({ name, type }) => `--name ${name} --type ${type}`).join(' ')}`,
        `  tcld namespace search-attributes add --namespace ${namespace} ${missing.map(({ name, type }) => `--search-attribute "${name}=${type}"`).join(' ')}   # Temporal Cloud`,
      ].join('\n'));
      return 2;
    }
    // Listed is not yet usable: each server refreshes its cache of them (every 60 s by default), and until
    // then a workflow that sets one is refused. A query that names them all fails the same way.
    const probe = ORDER_SEARCH_ATTRIBUTE_TYPES.map(({ name, type }) => `${name} = ${type === 'Bool' ? 'true' : '"setup-probe"'}`).join(' AND ');
    const usable = async () => (await missingSearchAttributes(connection, namespace)).length === 0
      && (await connection.workflowService.countWorkflowExecutions({ namespace, query: probe }).then(() => true, () => false));
    for (const deadline = Date.now() + REGISTRATION_WAIT_MS; !(await usable()); await sleep(1000)) {
      if (Date.now() > deadline) throw new Error(`the search attributes were accepted but not usable within ${REGISTRATION_WAIT_MS / 1000} s; run the command again`);
    }
    say('done: the worker and the API can start.');
    return 0;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[setup:temporal] ${error instanceof SettingsError ? error.message : error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
