import { createHash, createPrivateKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { x509, type CryptoKeyPair } from '../tls/x509.ts';
import type { Sealer } from '../store/index.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A token-signing key as stored. `kid` = `x5t` = base64url SHA-1 of the certificate, as Entra. */
export interface StoredKey {
  kid: string;
  /** PKCS#8 PEM, sealed under the master key (`signingKey/<kid>`); rows written before sealing hold it plain. */
  privateKeyPem: string;
  certDer: string;          // base64
  createdAt: number;        // epoch ms
  activatesAt: number;      // starts signing
  retiresAt?: number;       // stops being published
}

export interface Jwk { kty: 'RSA'; use: 'sig'; kid: string; x5t: string; n: string; e: string; x5c: string[]; issuer?: string }

/** Private keys in the store are bound to their row: a sealed key copied to another kid does not open. */
export const sealingContext = (kid: string) => `signingKey/${kid}`;

/** The private key of a stored row (opening it if sealed; without a sealer only plain rows open). */
export function openPrivateKey(k: StoredKey, sealer: Sealer | undefined): KeyObject {
  const pem = sealer ? sealer.open(k.privateKeyPem, sealingContext(k.kid)) : k.privateKeyPem;
  return createPrivateKey(pem);
}

/** The row with its private key sealed, or undefined when it already is (or there is no sealer). */
export function sealedRow(k: StoredKey, sealer: Sealer | undefined): StoredKey | undefined {
  if (!sealer || sealer.isSealed(k.privateKeyPem)) return undefined;
  return { ...k, privateKeyPem: sealer.seal(k.privateKeyPem, sealingContext(k.kid)) };
}

/** A new RSA key with the self-signed certificate that names it (x5c, x5t), valid for its whole life. */
export async function generateSigningKey(activatesAt: number, validUntil: number, sealer: Sealer | undefined): Promise<StoredKey> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const keys = {
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), alg, true, ['verify']),
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign']),
  };
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^./, '1'),
    name: 'CN=Lapis token signing',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(validUntil),
    signingAlgorithm: alg,
    keys: keys as CryptoKeyPair,
  });
  const der = Buffer.from(cert.rawData);
  const kid = createHash('sha1').update(der).digest('base64url');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    kid,
    privateKeyPem: sealer ? sealer.seal(pem, sealingContext(kid)) : pem,
    certDer: der.toString('base64'),
    createdAt: now.getTime(),
    activatesAt,
  };
}

/** The JWKS entry of a key: the public half with its certificate. */
export function toJwk(k: StoredKey, privateKey: KeyObject): Jwk {
  const jwk = privateKey.export({ format: 'jwk' });
  return { kty: 'RSA', use: 'sig', kid: k.kid, x5t: k.kid, n: String(jwk.n), e: String(jwk.e), x5c: [k.certDer] };
}
