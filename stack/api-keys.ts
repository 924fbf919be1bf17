/**
 * Signed API keys for the production-shaped stack's Temporal server: an ES256 key pair made fresh for each
 * stack, its public half served as a JWKS document on loopback (the server's `jwtKeyProvider` fetches it),
 * and JWTs in the form Temporal's default claim mapper reads: `sub`, and `permissions` such as
 * `default:write` or `temporal-system:admin` (common/authorization/default_jwt_claim_mapper.go). The
 * private key never leaves this process.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const ALGORITHM = 'ES256';
const JWKS_PATH = '/.well-known/jwks.json';
/**
 * The default authorizer's system scope (primitives.SystemLocalNamespace): `temporal-system:admin` may call
 * every API on every namespace, such as registering namespaces and adding search attributes.
 */
export const SYSTEM_ADMIN_PERMISSION = 'temporal-system:admin';

export interface MintApiKeyOptions {
  /** `<namespace>:<read|write|worker|admin>`, or `temporal-system:<role>` for every namespace. */
  permissions: string[];
  /** The `sub` claim, which the server records as the caller. */
  subject?: string;
  /** A time span as jose reads it, e.g. `10m` or `24h`; default `24h` (a stack may serve a long benchmark). */
  expiresIn?: string;
}

export interface ApiKeyIssuer {
  /** Where the JWKS document is served, for `jwtKeyProvider.keySourceURIs`. */
  jwksUrl: string;
  /** A JWT signed with the stack's key, its `kid` the one the JWKS names. */
  mint(options: MintApiKeyOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startApiKeyIssuer(): Promise<ApiKeyIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM);
  const kid = randomUUID();
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' }] });
  const server = http.createServer((request, response) => {
    if (request.method === 'GET' && request.url === JWKS_PATH) response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    jwksUrl: `http://127.0.0.1:${port}${JWKS_PATH}`,
    mint: ({ permissions, subject = 'oms-stack', expiresIn = '24h' }) =>
      new SignJWT({ permissions })
        .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' })
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
