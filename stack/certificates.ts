/**
 * The production-shaped stack's certificates, made fresh for each stack: a CA for the servers (the
 * Temporal frontend and its nodes) and another for the clients, so a client certificate never passes for
 * a node (the internal frontend trusts node certificates as system admin). ECDSA P-256, PEM files with
 * the keys readable by their owner only; nothing here logs a key.
 */
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import { webcrypto } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' };
/** The DNS name in the server certificate, which clients verify (TEMPORAL_TLS_SERVER_NAME). */
export const SERVER_NAME = 'localhost';

export interface StackCertificates {
  /** The servers' CA: clients verify the frontend with it, nodes each other. */
  serverCaCert: string;
  /** For localhost and 127.0.0.1, for server and client use: the nodes present it to each other too. */
  serverCert: string;
  serverKey: string;
  /** The CA the frontend accepts client certificates from. */
  clientCaCert: string;
  clientCert: string;
  clientKey: string;
}

/** Makes both CAs and the server and client certificates, as PEM files in `dir`; returns their paths. */
export async function writeStackCertificates(dir: string): Promise<StackCertificates> {
  await fs.mkdir(dir, { recursive: true });
  const serverCa = await createCa('OMS stack server CA');
  const clientCa = await createCa('OMS stack client CA');
  const server = await createLeaf(serverCa, `CN=${SERVER_NAME}`, [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], [
    new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: SERVER_NAME }, { type: 'ip', value: '127.0.0.1' }]),
  ]);
  const client = await createLeaf(clientCa, 'CN=oms-stack-client', [x509.ExtendedKeyUsage.clientAuth], []);

  const write = async (name: string, pem: string, mode: number) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, pem, { mode });
    return file;
  };
  return {
    serverCaCert: await write('server-ca.pem', serverCa.cert.toString('pem'), 0o644),
    serverCert: await write('server.pem', server.cert.toString('pem'), 0o644),
    serverKey: await write('server-key.pem', await privateKeyPem(server.keys.privateKey), 0o600),
    clientCaCert: await write('client-ca.pem', clientCa.cert.toString('pem'), 0o644),
    clientCert: await write('client.pem', client.cert.toString('pem'), 0o644),
    clientKey: await write('client-key.pem', await privateKeyPem(client.keys.privateKey), 0o600),
  };
}

interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** A stack lives for a test run or a benchmark; a day of slack either side covers clock skew and long runs. */
function validity(): { notBefore: Date; notAfter: Date } {
  const day = 24 * 60 * 60 * 1000;
  return { notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + 30 * day) };
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function createCa(commonName: string): Promise<Issued> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

async function createLeaf(issuer: Issued, subject: string, usages: x509.ExtendedKeyUsage[], extensions: x509.Extension[]): Promise<Issued> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    subject,
    issuer: issuer.cert.subject,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
      ...extensions,
    ],
  });
  return { cert, keys };
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}
