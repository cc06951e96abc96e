/**
 * HMAC JWT verification against access keys (HMAC key = UTF-8 bytes of the key text, not
 * base64-decoded), shared by the Web PubSub and SignalR data planes. Moved here from
 * webpubsub/auth/hs256.ts so SignalR can allow HS512 as well without a second implementation.
 *
 * Why not jose's `jwtVerify`: jose verifies through WebCrypto, whose HMAC runs asynchronously on
 * the libuv thread pool. This check sits on the hot path of every REST call and every client
 * connection; the benchmark showed pipelined sends each finishing in their own event loop turn
 * and ~15k verifications/s against ~220k/s for node:crypto's synchronous HMAC. The algorithms are
 * pinned by the caller, the comparison is constant time, and the time claims are checked as jose
 * checks them.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { AuthenticationError } from '../webpubsub/errors.ts';
import { forgetVerified, MAX_CACHED_TOKEN_CHARS, rememberVerified, tokenDigest, verifiedToken } from './verified-tokens.ts';

export const CLOCK_SKEW_SECONDS = 300;
const MAX_TOKEN_LENGTH = 16 * 1024;
const B64URL = /^[A-Za-z0-9_-]+$/;

export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';
const DIGEST: Record<HmacAlgorithm, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

export interface JwtHeader {
  alg?: unknown;
  kid?: unknown;
  [name: string]: unknown;
}

export interface HmacVerifyOptions {
  algorithms: readonly HmacAlgorithm[];
  now?: number;
  /**
   * The token's protected header when the caller has already decoded it (strictly: see
   * `decodeJwtHeader` in webpubsub/auth/types.ts), so it is not decoded a second time. Only
   * picks the algorithm and keys; the signature check below covers it like the rest.
   */
  header?: JwtHeader | undefined;
  /**
   * Remember genuine tokens and skip the HMAC when the same token text comes again with its
   * key still offered (verified-tokens.ts says what is and is not re-checked). For REST calls,
   * where a sender repeats tokens; the returned header and payload are then frozen and shared.
   */
  cache?: boolean;
}

/** The protected header of a compact JWT, or undefined when it is not one. Never throws. */
export function peekHeader(token: string): JwtHeader | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JwtHeader) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies signature (any of the keys; `keys` may choose them from the header, e.g. by `kid`),
 * algorithm and time claims (`exp` required, `nbf` honoured, both with `CLOCK_SKEW_SECONDS` of
 * tolerance); throws a 401 with the reason.
 */
export function verifyHmacJwt(
  token: string,
  keys: readonly string[] | ((header: JwtHeader) => readonly string[]),
  opts: HmacVerifyOptions,
): { header: JwtHeader; payload: JWTPayload } {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (token.length > MAX_TOKEN_LENGTH) throw new AuthenticationError('The access token is malformed.');
  const digest = opts.cache === true && token.length <= MAX_CACHED_TOKEN_CHARS ? tokenDigest(token) : undefined;
  if (digest !== undefined) {
    const hit = verifiedToken(digest);
    // A hit whose algorithm is not allowed here, or whose key is no longer offered, is verified
    // from scratch below (and refused there with the usual reason).
    if (hit !== undefined && (opts.algorithms as readonly string[]).includes(hit.header.alg as string) &&
      (typeof keys === 'function' ? keys(hit.header) : keys).includes(hit.key)) {
      try {
        checkTimes(hit.payload, now);
      } catch (err) {
        forgetVerified(digest);
        throw err;
      }
      return { header: hit.header, payload: hit.payload };
    }
  }
  const parts = token.split('.');
  if (parts.length !== 3 || !B64URL.test(parts[0]!) || !B64URL.test(parts[1]!) || !B64URL.test(parts[2]!)) {
    throw new AuthenticationError('The access token is malformed.');
  }
  const [h, p, s] = parts as [string, string, string];
  const header = opts.header ?? (decodeJson(h) as JwtHeader);
  const alg = header.alg;
  if (typeof alg !== 'string' || !(opts.algorithms as readonly string[]).includes(alg)) {
    throw new AuthenticationError(`The access token must be signed with ${opts.algorithms.join(' or ')}.`);
  }
  if (header.crit !== undefined) throw new AuthenticationError('The access token is malformed.');
  const signature = Buffer.from(s, 'base64url');
  const signed = token.slice(0, h.length + 1 + p.length);
  let signedBy: string | undefined;
  for (const key of typeof keys === 'function' ? keys(header) : keys) {
    if (!key) continue;
    const mac = createHmac(DIGEST[alg as HmacAlgorithm], secretKey(key)).update(signed).digest();
    // Constant-time comparison. A token no key signed is checked against every key, so the time
    // a forgery takes says nothing; only a genuine token stops at the key that signed it, which
    // tells its holder nothing they do not know (and spares the second HMAC on every call).
    if (mac.length === signature.length && timingSafeEqual(mac, signature)) {
      signedBy = key;
      break;
    }
  }
  if (signedBy === undefined) throw new AuthenticationError('The access token signature is invalid.');
  const payload = decodeJson(p) as JWTPayload;
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') {
      throw new AuthenticationError(`The access token is not valid: claim '${claim}' is invalid.`);
    }
  }
  // A token signed with an access key must say when it ends (RFC 8725 §3.10; Azure's validators
  // require `exp`): without it, one leaked token would open the resource for ever.
  if (payload.exp === undefined) throw new AuthenticationError("The access token has no expiry: claim 'exp' is required.");
  checkTimes(payload, now);
  if (digest !== undefined) rememberVerified(digest, { header, payload, key: signedBy });
  return { header, payload };
}

/** `exp` (present and a number: checked before a token is accepted or cached) and `nbf`, with skew. */
function checkTimes(payload: JWTPayload, now: number): void {
  if (payload.exp! <= now - CLOCK_SKEW_SECONDS) {
    throw new AuthenticationError(`The access token is expired (its 'exp' is more than ${CLOCK_SKEW_SECONDS} seconds in the past).`);
  }
  if (payload.nbf !== undefined && payload.nbf > now + CLOCK_SKEW_SECONDS) {
    throw new AuthenticationError(`The access token is not valid yet: claim 'nbf' is more than ${CLOCK_SKEW_SECONDS} seconds in the future.`);
  }
}

/**
 * Keys as KeyObjects, made once per key text: `createHmac` with a string converts it on every
 * call. Bounded: regenerated keys replace old ones, and a full table starts over.
 */
const secretKeys = new Map<string, KeyObject>();

function secretKey(key: string): KeyObject {
  let k = secretKeys.get(key);
  if (!k) {
    if (secretKeys.size >= 256) secretKeys.clear();
    k = createSecretKey(Buffer.from(key, 'utf8'));
    secretKeys.set(key, k);
  }
  return k;
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
