import { X509Certificate, createHash } from 'node:crypto';
import { CertificateError } from './errors.ts';

export { CertificateError } from './errors.ts';

export interface ParsedCertificate {
  pem: string;
  /** base64url SHA-1 of the DER: the JWT `x5t` header. */
  x5t: string;
  /** base64url SHA-256 of the DER: the JWT `x5t#S256` header (what msal-node sends). */
  x5tS256: string;
  /** Graph's customKeyIdentifier: upper-case hex SHA-1 thumbprint. */
  thumbprintHex: string;
  notBefore: string;
  notAfter: string;
  subject: string;
}


/** Accepts a PEM certificate or base64 DER (Graph's `key`), refuses private keys. */
export function parseCertificate(input: string): ParsedCertificate {
  if (/PRIVATE KEY/.test(input)) throw new CertificateError('a key credential must hold only the public certificate, not a private key');
  const pemBlock = input.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pemBlock ?? Buffer.from(input.replace(/\s+/g, ''), 'base64'));
  } catch {
    throw new CertificateError('not an X.509 certificate (expected PEM or base64 DER)');
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') throw new CertificateError('the certificate must have an RSA public key (Entra signs client assertions with RS256/PS256)');
  const der = cert.raw;
  return {
    pem: cert.toString(),
    x5t: createHash('sha1').update(der).digest('base64url'),
    x5tS256: createHash('sha256').update(der).digest('base64url'),
    thumbprintHex: createHash('sha1').update(der).digest('hex').toUpperCase(),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    subject: cert.subject,
  };
}
