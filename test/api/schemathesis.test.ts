/**
 * Schemathesis (PyPI; `npm install` puts it in the tools cache, stack/python-venv-tools.ts) fuzzes the live API
 * from its own OpenAPI document (/openapi.json): the schema's examples, boundary and invalid values of every
 * parameter and body (coverage), random ones (fuzzing), and sequences of calls that feed one answer's ids
 * into the next request (stateful). Its checks: no 5xx; every status, content type, header and body is one
 * the document lists for the operation; what the document calls invalid is refused and what it calls valid
 * is not; a missing key is a 401; a method a path does not take is a 405 with `Allow`, and OPTIONS names
 * exactly the documented methods. A fixed seed makes a run repeatable; MAX_EXAMPLES bounds it.
 *
 * Two rules the document can state only in words (cursors the API issued, each line once) are taught to
 * schemathesis by test/api/schemathesis_hooks.py, which drops only the "valid" cases that break them.
 *
 * The two event streams (GET /v1/orders/{orderId}/events, GET /v1/order-events) are left out: a valid
 * request opens a stream that ends only when the client closes it, which schemathesis, reading a whole
 * answer, would wait on until its timeout. test/api/order-events-api.test.ts checks them, their refusals
 * (401, 403, 404, 400 with the field) included.
 *
 * A worker runs, so submitted orders move and changes to them are answered (without one an Update waits
 * for a worker indefinitely). Orders come from channel `store`: the schema's examples set webhooks for
 * channel `web`, and none of these orders' events should go anywhere.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PLACES, seedWarehouse, setStock } from '../support/fixtures.js';
import { KEYS, startApi, type ApiHarness } from './harness.js';

/** Test cases per operation and phase: about a minute of schemathesis on 2 cores. */
const MAX_EXAMPLES = 25;
const SEED = 20261128;
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'positive_data_acceptance',
  'missing_required_header',
  'ignored_auth',
  'unsupported_method',
  'allow_header_conformance',
  'use_after_free',
  'ensure_resource_availability',
];

let harness: ApiHarness;
let workDir: string;

beforeAll(async () => {
  harness = await startApi({
    database: 'api_schemathesis',
    worker: true,
    // Thousands of requests from one key and one address within a minute: the limits are raised here so
    // that schemathesis meets the API's answers rather than 429s (the limits themselves are tested in
    // guards-api.test.ts). The OpenAPI document lists the 429 on every operation either way.
    env: { RATE_LIMIT_PER_KEY: '1000000', RATE_LIMIT_FAILED_AUTH: '1000000', LOG_LEVEL: 'error' },
    // No DNS from a test: every host name of a webhook URL is unknown, as on the machines without DNS.
    webhookResolver: async (hostname) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    },
  });
  // What the schema's examples name: warehouse wh-berlin stocking TSHIRT-BLUE-M, so they meet 200s too.
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await setStock('TSHIRT-BLUE-M', 'wh-berlin', 1_000_000);
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oms-schemathesis-'));
});

afterAll(async () => {
  await harness?.close();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

/**
 * What positive data may meet: the defaults, and 422 where the document says it means a valid request
 * naming something that does not exist (a SKU no warehouse stocks, a warehouse, a webhook host that does
 * not resolve), as the default 404 does for a path. Schemathesis cannot know which SKUs are stocked, and
 * here no host name resolves.
 */
const ACCEPTED_WITH_UNKNOWN_REFERENCES = ['2XX', '3XX', '401', '403', '404', '409', '422', '429', '5XX'];

/** Event streams: open until the client closes them (see above). */
const STREAMS = ['GET /v1/orders/{orderId}/events', 'GET /v1/order-events'];

/** schemathesis.toml: each operation with a key whose role may call it (admin where none is named). */
function config(): string {
  const toml = JSON.stringify; // a JSON string is a TOML basic string
  const operation = (name: string, key: string, extra: string[] = []) =>
    ['[[operations]]', `include-name = ${toml(name)}`, `headers = { Authorization = ${toml(`Bearer ${key}`)} }`, ...extra, ''].join('\n');
  const acceptsUnknownReferences = `checks.positive_data_acceptance.expected-statuses = ${toml(ACCEPTED_WITH_UNKNOWN_REFERENCES)}`;
  return [
    `hooks = ${toml(path.join(import.meta.dirname, 'schemathesis_hooks.py'))}`,
    `headers = { Authorization = ${toml(`Bearer ${KEYS.admin}`)} }`,
    '',
    operation('POST /v1/orders', KEYS.store, [acceptsUnknownReferences]),
    ...['POST /v1/orders/{orderId}/cancel', 'PATCH /v1/orders/{orderId}/shipping-address', 'POST /v1/orders/{orderId}/review', 'POST /v1/orders/{orderId}/returns'].map(
      (name) => operation(name, KEYS.support),
    ),
    operation('POST /v1/orders/{orderId}/returns/{returnId}/receipt', KEYS.warehouse, [acceptsUnknownReferences]),
    operation('POST /v1/shipments/{shipmentId}/events', KEYS.warehouse),
    operation('PUT /v1/channels/{channel}/webhook', KEYS.admin, [acceptsUnknownReferences]),
    ...STREAMS.map((name) => ['[[operations]]', `include-name = ${toml(name)}`, 'enabled = false', ''].join('\n')),
  ].join('\n');
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: workDir, env: { ...process.env, NO_COLOR: '1', COLUMNS: '160', PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

it('finds no server error and nothing the OpenAPI document does not describe', async () => {
  const st = process.env.OMS_SCHEMATHESIS_BIN;
  expect(st, 'OMS_SCHEMATHESIS_BIN is set by npm test and test/global-setup.ts').toBeTruthy();
  const configFile = path.join(workDir, 'schemathesis.toml');
  await fs.writeFile(configFile, config());
  const { code, output } = await run(
    st!,
    [
      '--config-file', configFile,
      'run', `${harness.baseUrl}/openapi.json`,
      '--checks', CHECKS.join(','),
      '--max-examples', String(MAX_EXAMPLES),
      '--seed', String(SEED),
      // One: with two, hypothesis' ast.parse in threads hit CPython 3.11's "AST constructor recursion depth
      // mismatch" SystemError. A run is about a minute either way.
      '--workers', '1',
      '--request-timeout', '20',
      // Nothing remembered between runs: the seed alone decides what is sent.
      '--generation-database', 'none',
      '--no-color',
    ],
    240_000,
  );
  if (code !== 0) console.error(output);
  expect(code, "schemathesis' exit code; its report is printed above").toBe(0);
}, 300_000);
