/**
 * HS256 verification against the resource's access keys (HMAC key = UTF-8 bytes of the key text,
 * not base64-decoded — reference §2.1), with 5 minutes of clock skew as the service.
 *
 * Why not jose's `jwtVerify` here: jose verifies through WebCrypto, whose HMAC runs asynchronously
 * on the libuv thread pool. This check sits on the hot path of every REST call and every client
 * connection; the benchmark showed pipelined `sendToAll` calls each finishing in their own event
 * loop turn (so broadcasts could not share one write flush) and ~15k verifications/s against
 * ~220k/s for node:crypto's synchronous HMAC. The algorithm is pinned, the comparison is constant
 * time, and the time claims are checked as jose checks them. RS256 tokens still go through jose.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import type { JWTPayload } from 'jose';
import { AuthenticationError } from '../errors.ts';

export const CLOCK_SKEW_SECONDS = 300;
const MAX_TOKEN_LENGTH = 16 * 1024;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** Is this token (structurally) an HS256 JWT? Used by the chain to pick its authenticator. */
export function isHs256(token: string): boolean {
  try {
    return decodeProtectedHeader(token).alg === 'HS256';
  } catch {
    return false;
  }
}

/**
 * Verifies signature (any of `keys`), algorithm and time claims (`exp` required, `nbf` honoured,
 * both with `CLOCK_SKEW_SECONDS` of tolerance); throws a 401 with the reason.
 */
export function verifyHs256(token: string, keys: readonly string[], now = Math.floor(Date.now() / 1000)): JWTPayload {
  if (token.length > MAX_TOKEN_LENGTH) throw new AuthenticationError('The access token is malformed.');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((x) => B64URL.test(x))) throw new AuthenticationError('The access token is malformed.');
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h);
  if (header.alg !== 'HS256') throw new AuthenticationError('The access token must be signed with HS256.');
  if (header.crit !== undefined) throw new AuthenticationError('The access token is malformed.');
  const signature = Buffer.from(s, 'base64url');
  const signed = `${h}.${p}`;
  let ok = false;
  for (const key of keys) {
    if (!key) continue;
    const mac = createHmac('sha256', key).update(signed).digest();
    // Every key is tried (no early exit), so timing does not tell which key matched.
    if (mac.length === signature.length && timingSafeEqual(mac, signature)) ok = true;
  }
  if (!ok) throw new AuthenticationError('The access token signature is invalid.');
  const payload = decodeJson(p) as JWTPayload;
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') {
      throw new AuthenticationError(`The access token is not valid: claim '${claim}' is invalid.`);
    }
  }
  // A token signed with an access key must say when it ends (RFC 8725 §3.10; Azure's validators
  // require `exp`): without it, one leaked token would open the resource for ever.
  if (payload.exp === undefined) throw new AuthenticationError("The access token has no expiry: claim 'exp' is required.");
  if (payload.exp <= now - CLOCK_SKEW_SECONDS) {
    throw new AuthenticationError(`The access token is expired (its 'exp' is more than ${CLOCK_SKEW_SECONDS} seconds in the past).`);
  }
  if (payload.nbf !== undefined && payload.nbf > now + CLOCK_SKEW_SECONDS) {
    throw new AuthenticationError(`The access token is not valid yet: claim 'nbf' is more than ${CLOCK_SKEW_SECONDS} seconds in the future.`);
  }
  return payload;
}

function decodeJson(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new AuthenticationError('The access token is malformed.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AuthenticationError('The access token is malformed.');
  return value as Record<string, unknown>;
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
