/**
 * HS256 verification against the resource's two access keys (HMAC key = UTF-8 bytes of the key
 * text, not base64-decoded — reference §2.1), with 5 minutes of clock skew as the service.
 */
import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { AuthenticationError } from '../errors.ts';

export const CLOCK_SKEW_SECONDS = 300;

/** Is this token (structurally) an HS256 JWT? Used by the chain to pick its authenticator. */
export function isHs256(token: string): boolean {
  try {
    return decodeProtectedHeader(token).alg === 'HS256';
  } catch {
    return false;
  }
}

export async function verifyHs256(token: string, keys: readonly string[]): Promise<JWTPayload> {
  let lastError: unknown;
  for (const key of keys) {
    if (!key) continue;
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(key), {
        algorithms: ['HS256'],
        clockTolerance: CLOCK_SKEW_SECONDS,
      });
      return payload;
    } catch (err) {
      lastError = err;
      // Only a bad signature means "try the other key"; expiry etc. are final.
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
    }
  }
  throw new AuthenticationError(describe(lastError));
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The access token is expired.';
  if (err instanceof errors.JWTClaimValidationFailed) return `The access token is not valid: claim '${err.claim}' ${err.reason === 'check_failed' ? 'failed validation' : 'is invalid'}.`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The access token signature is invalid.';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The access token must be signed with HS256.';
  return 'The access token is malformed.';
}

/**
 * `aud` check tolerant of what the SDKs send (reference §2.2, §7.2): the full request URL including
 * query, or without the query, compared case-insensitively, optionally URL-decoded once, ignoring
 * scheme and host (reverse proxies and TLS front ends change them; the key binds the resource).
 */
export function audienceMatches(aud: unknown, requestPathAndQuery: string, extraPaths: readonly string[] = []): boolean {
  const auds = Array.isArray(aud) ? aud : [aud];
  const q = requestPathAndQuery.indexOf('?');
  const wanted = new Set<string>();
  for (const p of [requestPathAndQuery, q >= 0 ? requestPathAndQuery.slice(0, q) : requestPathAndQuery, ...extraPaths]) {
    // Both sides may be encoded differently (clients and fetch() percent-encode different sets).
    for (const v of [p, safeDecode(p)]) if (v !== undefined) wanted.add(normalize(v));
  }
  for (const a of auds) {
    if (typeof a !== 'string') continue;
    const path = pathAndQuery(a);
    if (path === undefined) continue;
    for (const candidate of [path, safeDecode(path)]) {
      if (candidate !== undefined && wanted.has(normalize(candidate))) return true;
    }
  }
  return false;
}

function normalize(pathAndQuery: string): string {
  return pathAndQuery.toLowerCase().replace(/\/+$/, '').replace(/\/+\?/, '?');
}

function pathAndQuery(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^#]*)?/i.exec(url);
  if (!m) return undefined;
  return m[1] ?? '/';
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
