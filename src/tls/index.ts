import { webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { x509, type CryptoKey } from './x509.ts';

export interface TlsMaterial {
  /** PEM of the local CA: what users put in NODE_EXTRA_CA_CERTS. */
  caCertPem: string;
  caCertPath: string;
  /** Server certificate chain (leaf then CA) and its key, for every HTTPS listener. */
  certPem: string;
  keyPem: string;
}

/** Names the server certificate always covers; config may add more (hosts behind DNS). */
export const DEFAULT_SERVER_NAMES = ['localhost', '127.0.0.1', '::1'];

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const LEAF_DAYS = 397; // the longest lifetime browsers accept for a server certificate
const CA_YEARS = 10;
/** Renew the leaf this long before it expires, at start-up. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/**
 * Loads the local CA and server certificate from `<dataDir>/tls`, creating the CA on first start
 * and (re)issuing the server certificate when it is missing, near expiry, or lacks a wanted name.
 * Keys are written readable by the owner only.
 */
export async function ensureTls(dataDir: string, extraNames: string[] = [], sharedCa?: CaStore): Promise<TlsMaterial> {
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = tlsPaths(dataDir);
  const names = [...new Set([...DEFAULT_SERVER_NAMES, ...extraNames])];

  if (sharedCa) {
    // One CA for every node that shares the store: the first node's (or this data directory's, when
    // it had one before it joined a cluster) wins; the others take it.
    const local = existsSync(paths.ca) && existsSync(paths.caKey)
      ? { certPem: readFileSync(paths.ca, 'utf8'), keyPem: readFileSync(paths.caKey, 'utf8') }
      : undefined;
    const ca = await sharedCa.getOrCreate(async () => local ?? await createCa());
    if (local?.certPem !== ca.certPem || local.keyPem !== ca.keyPem) {
      writeAtomic(paths.caKey, ca.keyPem, 0o600);
      writeAtomic(paths.ca, ca.certPem, 0o644);
    }
  } else if (!existsSync(paths.ca) || !existsSync(paths.caKey)) {
    const ca = await createCa();
    writeAtomic(paths.caKey, ca.keyPem, 0o600);
    writeAtomic(paths.ca, ca.certPem, 0o644);
  }
  const caCertPem = readFileSync(paths.ca, 'utf8');
  if (!existsSync(paths.cert) || !existsSync(paths.key) || !leafIsUsable(readFileSync(paths.cert, 'utf8'), names, caCertPem)) {
    const caKey = await importEcKey(readFileSync(paths.caKey, 'utf8'));
    const leaf = await createLeaf(new x509.X509Certificate(caCertPem), caKey, names);
    writeAtomic(paths.key, leaf.keyPem, 0o600);
    writeAtomic(paths.cert, leaf.certPem, 0o644);
  }
  const leafPem = readFileSync(paths.cert, 'utf8');
  return {
    caCertPem,
    caCertPath: paths.ca,
    certPem: `${leafPem.trim()}\n${caCertPem.trim()}\n`,
    keyPem: readFileSync(paths.key, 'utf8'),
  };
}

/** Where one node keeps its TLS material (owner-only keys). */
export function tlsPaths(dataDir: string) {
  const dir = join(dataDir, 'tls');
  return { ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem') };
}

/** Where the CA of a cluster is kept (the store, key sealed): `getOrCreate` returns the one every node uses. */
export interface CaStore {
  getOrCreate(create: () => Promise<{ certPem: string; keyPem: string }>): Promise<{ certPem: string; keyPem: string }>;
}

function leafIsUsable(pem: string, names: string[], caCertPem: string): boolean {
  try {
    const cert = new X509Certificate(pem);
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    // A node that joined a cluster (or whose CA changed) issues a new leaf under the CA in use.
    const ca = new X509Certificate(caCertPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    const san = cert.subjectAltName ?? '';
    return names.every((n) => san.includes(isIP(n) ? `IP Address:${expandIp(n)}` : `DNS:${n}`));
  } catch {
    return false;
  }
}

/** Node prints IPv6 SANs expanded (`0:0:0:0:0:0:0:1`); compare in that form. */
function expandIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = Array(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((p) => p.replace(/^0+(?=.)/, '').toUpperCase()).join(':');
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=Lapis Local CA ${now.toISOString().slice(0, 10)}, O=Lapis`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_YEARS * 365 * 24 * 3600 * 1000),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPkcs8(keys.privateKey) };
}

async function createLeaf(ca: x509.X509Certificate, caKey: CryptoKey, names: string[]) {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=localhost, O=Lapis',
    issuer: ca.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + LEAF_DAYS * 24 * 3600 * 1000),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) ? 'ip' as const : 'dns' as const, value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPkcs8(keys.privateKey) };
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return Buffer.from(bytes).toString('hex');
}

async function exportPkcs8(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').trim()}\n-----END PRIVATE KEY-----\n`;
}

async function importEcKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export function writeAtomic(path: string, content: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}
