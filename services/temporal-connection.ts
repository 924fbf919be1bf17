/**
 * Connecting to Temporal when a process starts, and checking that its namespace can run orders. Every
 * failure is one line that names what to fix (a certificate the server refuses, a server that does not
 * speak TLS or does, a refused API key, a missing namespace, missing search attributes), so a process
 * stops at once instead of failing each order later.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Connection, isGrpcServiceError, type ConnectionOptions } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { TemporalConnectionOptions } from '../config.js';
import { ORDER_SEARCH_ATTRIBUTE_TYPES } from '../contracts/search-attributes.js';
import { SettingsError } from '../domain/settings-error.js';

// A CommonJS module whose named exports Node cannot see: take the enum from its default export.
const { IndexedValueType } = proto.temporal.api.enums.v1;
/** The gRPC status codes Temporal refuses with, by name. */
export const GRPC_STATUS = { NOT_FOUND: 5, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, UNAUTHENTICATED: 16 } as const;
const refusesCredentials = (code: number | undefined) => code === GRPC_STATUS.UNAUTHENTICATED || code === GRPC_STATUS.PERMISSION_DENIED;

/** Connects a client, or fails with one line saying why it cannot. */
export async function connectTemporalClient(options: TemporalConnectionOptions & ConnectionOptions): Promise<Connection> {
  try {
    return await Connection.connect({ connectTimeout: '5 seconds', ...options });
  } catch (error) {
    // A key the server does not accept fails the connection's first call.
    const { cause } = error as { cause?: unknown };
    if (isGrpcServiceError(cause) && refusesCredentials(cause.code)) {
      throw new SettingsError(refusal(cause.code, cause.details || cause.message, options));
    }
    throw new SettingsError(await whyTemporalIsUnreachable(options, error));
  }
}

/**
 * Why a connection to Temporal failed, in one line. The gRPC clients say little ("Failed to connect before
 * the deadline"), so this opens a TCP connection and, when TLS is set, a TLS handshake with the same
 * certificates, and names the setting behind what fails.
 */
export async function whyTemporalIsUnreachable(options: TemporalConnectionOptions, error: unknown): Promise<string> {
  const { address } = options;
  const [host, port] = splitAddress(address);
  const tcp = await attempt((done) => net.connect({ host, port }, () => done()));
  if (tcp) return `cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${tcp}`;
  const tlsSettings = options.tls === true ? {} : options.tls || undefined;
  if (tlsSettings) {
    const handshake = await attempt(
      () => tls.connect({
        host, port, ALPNProtocols: ['h2'],
        servername: tlsSettings.serverNameOverride ?? (net.isIP(host) ? undefined : host),
        ca: tlsSettings.serverRootCACertificate ? Buffer.from(tlsSettings.serverRootCACertificate) : undefined,
        cert: tlsSettings.clientCertPair ? Buffer.from(tlsSettings.clientCertPair.crt) : undefined,
        key: tlsSettings.clientCertPair ? Buffer.from(tlsSettings.clientCertPair.key) : undefined,
      }),
      // A server that requires a client certificate says so with an alert just after the handshake.
      { waitAfterConnectMs: 300 },
    );
    if (handshake) return `TLS with Temporal at ${address} failed: ${handshake}; ${tlsHint(handshake, options)}`;
  } else {
    const plain = await attempt((done) => tls.connect({ host, port, rejectUnauthorized: false }, () => done()));
    if (plain === undefined) return `Temporal at ${address} speaks TLS: set TEMPORAL_TLS=true (and TEMPORAL_TLS_SERVER_CA_CERT_PATH unless its certificate is publicly trusted)`;
  }
  return `cannot connect to Temporal at ${address}: ${error instanceof Error ? error.message : String(error)}`;
}

function tlsHint(failure: string, options: TemporalConnectionOptions): string {
  if (/wrong version number|packet length too long|unexpected eof|ECONNRESET/i.test(failure)) return 'the server does not speak TLS here: unset TEMPORAL_TLS, or check TEMPORAL_ADDRESS';
  if (/certificate required|handshake failure|bad certificate|unknown ca|alert/i.test(failure)) {
    const sent = typeof options.tls === 'object' && options.tls?.clientCertPair !== undefined;
    return sent ? 'the server refused the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)' : 'the server requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH';
  }
  if (/altnames|host ?name|servername/i.test(failure)) return `the server's certificate is not for that name: set TEMPORAL_TLS_SERVER_NAME to a name it holds`;
  return `the server's certificate is not trusted: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it`;
}

/** Resolves undefined when the socket connects (and stays up `waitAfterConnectMs`), else the reason it did not. */
function attempt(open: (done: () => void) => net.Socket, { waitAfterConnectMs = 0, timeoutMs = 3000 } = {}): Promise<string | undefined> {
  return new Promise((resolve) => {
    let connected = false;
    const succeed = () => {
      connected = true;
      setTimeout(() => finish(undefined), waitAfterConnectMs);
    };
    const socket = open(succeed);
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    socket.once('secureConnect', succeed);
    socket.once('error', (error: NodeJS.ErrnoException) => finish(oneLine(error)));
    socket.once('close', () => finish(connected ? undefined : 'the server closed the connection'));
    function finish(reason: string | undefined) {
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.destroy();
      resolve(reason);
    }
  });
}

/** OpenSSL's errors span lines and name C files; its reason ("wrong version number") is what a person needs. */
function oneLine(error: NodeJS.ErrnoException): string {
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(error.message)?.[1] ?? error.message.split('\n')[0];
  return error.code && !reason.includes(error.code) ? `${reason} (${error.code})` : reason;
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return at < 0 ? [address, 7233] : [address.slice(0, at).replace(/^\[|\]$/g, ''), Number(address.slice(at + 1))];
}

/** The order search attributes a namespace lacks, by name, with their types (`OrderId` Keyword, `Late` Bool). */
export async function missingSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<Array<{ name: string; type: 'Keyword' | 'Bool' }>> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return ORDER_SEARCH_ATTRIBUTE_TYPES.filter(({ name }) => !(customAttributes && name in customAttributes));
}

export const indexedValueType = (type: 'Keyword' | 'Bool') => (type === 'Bool' ? IndexedValueType.INDEXED_VALUE_TYPE_BOOL : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);

/**
 * Fails with one line unless the namespace exists, answers this client (its API key or certificate is
 * accepted) and has every search attribute an order sets: without them every order's workflow fails its
 * first task, silently for the channel that placed it.
 */
export async function checkOrderNamespace(connection: Pick<Connection, 'operatorService' | 'workflowService'>, options: TemporalConnectionOptions, namespace: string): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    const missing = await missingSearchAttributes(connection, namespace);
    if (missing.length > 0) {
      throw new SettingsError(`namespace "${namespace}" at ${options.address} lacks the search attributes ${missing.map(({ name, type }) => `${name} (${type})`).join(', ')}: run npm run setup:temporal (docs/deployment.md)`);
    }
  } catch (error) {
    if (!isGrpcServiceError(error)) throw error;
    throw new SettingsError(refusal(error.code, error.details || error.message, options, namespace));
  }
}

/** Temporal's refusal of a call, as the setting to fix. */
export function refusal(code: number | undefined, detail: string, options: TemporalConnectionOptions, namespace?: string): string {
  const at = `Temporal at ${options.address}`;
  const forNamespace = namespace === undefined ? '' : ` for namespace "${namespace}"`;
  if (code === GRPC_STATUS.NOT_FOUND) return `namespace "${namespace}" does not exist at ${options.address}: create it, or set TEMPORAL_NAMESPACE`;
  if (refusesCredentials(code)) {
    const what = options.apiKey ? 'refused the API key (TEMPORAL_API_KEY)' : 'wants an API key (TEMPORAL_API_KEY)';
    return `${at} ${what}${forNamespace}: ${detail}`;
  }
  return `${at} refused a check${forNamespace}: ${detail}`;
}
