// Client certificates for the identity tests: what a user would create with openssl and upload to
// an app registration. @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the
// reflect polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as never);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

export interface ClientCert {
  /** PEM of the certificate alone: what goes into `keyCredentials[].key`. */
  certPem: string;
  /** PKCS#8 PEM of the private key (unencrypted). */
  keyPem: string;
  /** The private key, for signing hand-made client assertions. */
  privateKey: KeyObject;
  /** DER of the certificate. */
  der: Buffer;
  /** base64url SHA-1 of the DER (`x5t`). */
  x5t: string;
  /** base64url SHA-256 of the DER (`x5t#S256`). */
  x5tS256: string;
  /** Path of a PEM file holding the certificate chain (leaf first) and then the key. */
  pemPath: string;
}

function pemOf(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

function thumbprint(alg: 'sha1' | 'sha256', der: Buffer): string {
  return createHash(alg).update(der).digest('base64url');
}

let tempRoot: string | undefined;
/** One temp folder per test process for the PEM files; removed by `removeCertFiles()`. */
function certDir(): string {
  tempRoot ??= mkdtempSync(join(tmpdir(), 'lapis-test-certs-'));
  return tempRoot;
}

export function removeCertFiles(): void {
  if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
  tempRoot = undefined;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportKey(keys: CryptoKeyPair): Promise<string> {
  return pemOf('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
}

function finish(cert: x509.X509Certificate, keyPem: string, fileName: string, chainPems: string[], filePem?: string): ClientCert {
  const der = Buffer.from(cert.rawData);
  const certPem = pemOf('CERTIFICATE', der);
  const pemPath = join(certDir(), fileName);
  writeFileSync(pemPath, filePem ?? [certPem, ...chainPems, keyPem].join(''), { mode: 0o600 });
  return {
    certPem,
    keyPem,
    privateKey: createPrivateKey(keyPem),
    der,
    x5t: thumbprint('sha1', der),
    x5tS256: thumbprint('sha256', der),
    pemPath,
  };
}

let counter = 0;

/**
 * RSA 2048 key + self-signed certificate; the PEM file holds the certificate then the PKCS#8 key
 * (encrypted with `passphrase` when given). Validity defaults to now − 1 min … now + 2 days.
 */
export async function createClientCert(commonName = 'lapis-test-client', opts: { passphrase?: string; notBefore?: Date; notAfter?: Date } = {}): Promise<ClientCert> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys,
    notBefore: opts.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: opts.notAfter ?? new Date(Date.now() + 2 * 24 * 3600_000),
    signingAlgorithm: RSA,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const keyPem = await exportKey(keys);
  const name = `${commonName}-${process.pid}-${++counter}.pem`;
  if (opts.passphrase === undefined) return finish(cert, keyPem, name, []);
  // An encrypted PKCS#8 key, as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it.
  const encrypted = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: opts.passphrase }) as string;
  return finish(cert, keyPem, name, [], pemOf('CERTIFICATE', Buffer.from(cert.rawData)) + encrypted);
}

/**
 * A leaf issued by a throwaway CA. The PEM file holds leaf, CA, key — the chain that
 * `sendCertificateChain: true` puts into the assertion's `x5c` header.
 */
export async function createChainedClientCert(commonName = 'lapis-test-chained'): Promise<ClientCert & { caPem: string }> {
  const caKeys = await newKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName} CA`,
    keys: caKeys,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 7 * 24 * 3600_000),
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const leafKeys = await newKeys();
  const leaf = await x509.X509CertificateGenerator.create({
    subject: `CN=${commonName}`,
    issuer: ca.subject,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 2 * 24 * 3600_000),
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const caPem = pemOf('CERTIFICATE', Buffer.from(ca.rawData));
  const keyPem = await exportKey(leafKeys);
  return { ...finish(leaf, keyPem, `${commonName}-${process.pid}-${++counter}.pem`, [caPem]), caPem };
}
