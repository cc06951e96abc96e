/**
 * HS256 access-key tokens of Web PubSub (reference §2.1). The verification itself (synchronous
 * node:crypto HMAC, pinned algorithm, time claims with 5 minutes of skew) is shared with SignalR
 * in ../../common/hmac-jwt.ts; this file keeps Web PubSub's entry points and its `aud` rule.
 */
import type { JWTPayload } from 'jose';
import { verifyHmacJwt, type JwtHeader } from '../../common/hmac-jwt.ts';
import { decodeJwtHeader } from './types.ts';

export { CLOCK_SKEW_SECONDS } from '../../common/hmac-jwt.ts';

/** Is this token (structurally) an HS256 JWT? Used by the chain to pick its authenticator. */
export function isHs256(token: string): boolean {
  return decodeJwtHeader(token)?.alg === 'HS256';
}

/**
 * HS256 only (Web PubSub); the shared verifier lives in dataplane/common/hmac-jwt.ts. `header`:
 * the token's header when the caller decoded it already (see `bearerOf`); `cache`: remember
 * genuine tokens (REST calls; common/verified-tokens.ts), the payload is then frozen.
 */
export function verifyHs256(token: string, keys: readonly string[], now = Math.floor(Date.now() / 1000), header?: JwtHeader, cache = false): JWTPayload {
  return verifyHmacJwt(token, keys, { algorithms: HS256_ONLY, now, header, cache }).payload;
}

const HS256_ONLY = ['HS256'] as const;

/**
 * `aud` check tolerant of what the SDKs send (reference §2.2, §7.2): the full request URL including
 * query, or without the query, compared case-insensitively, optionally URL-decoded once, ignoring
 * scheme and host (reverse proxies and TLS front ends change them; the key binds the resource).
 */
export function audienceMatches(aud: unknown, requestPathAndQuery: string, extraPaths: readonly string[] = []): boolean {
  // The common case first, with nothing built: one `aud` naming exactly the URL requested (what
  // the SDKs sign). Anything else takes the general comparison below.
  // (Normalising keeps every '?', so the two can only be equal when both have one or neither.)
  if (typeof aud === 'string') {
    const path = pathAndQuery(aud);
    if (path !== undefined && path.includes('?') === requestPathAndQuery.includes('?') && normalize(path) === normalize(requestPathAndQuery)) return true;
  }
  const candidates: string[] = [];
  for (const a of Array.isArray(aud) ? aud : [aud]) {
    if (typeof a !== 'string') continue;
    const path = pathAndQuery(a);
    if (path === undefined) continue;
    candidates.push(normalize(path));
    const decoded = safeDecode(path);
    if (decoded !== undefined && decoded !== path) candidates.push(normalize(decoded));
  }
  if (candidates.length === 0) return false;
  // Then the short forms (path without query, the caller's extra paths): what client tokens
  // carry. The full path and query (a client's holds the token itself, hundreds of characters)
  // is decoded and normalised only when an audience with a query could match it.
  const q = requestPathAndQuery.indexOf('?');
  if (anyWanted(candidates, [q >= 0 ? requestPathAndQuery.slice(0, q) : requestPathAndQuery, ...extraPaths])) return true;
  return q >= 0 && candidates.some((c) => c.includes('?')) && anyWanted(candidates, [requestPathAndQuery]);
}

/** Is any candidate one of `paths`, each taken as is and URL-decoded once, normalised? */
function anyWanted(candidates: readonly string[], paths: readonly string[]): boolean {
  for (const p of paths) {
    if (candidates.includes(normalize(p))) return true;
    // Both sides may be encoded differently (clients and fetch() percent-encode different sets).
    const decoded = safeDecode(p);
    if (decoded !== undefined && decoded !== p && candidates.includes(normalize(decoded))) return true;
  }
  return false;
}

function normalize(pathAndQuery: string): string {
  const lower = pathAndQuery.toLowerCase();
  // The regular expressions only when there is a slash for them to drop (rarely).
  if (!lower.endsWith('/') && !lower.includes('/?')) return lower;
  return lower.replace(/\/+$/, '').replace(/\/+\?/, '?');
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
