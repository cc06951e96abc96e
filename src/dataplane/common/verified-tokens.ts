/**
 * Tokens whose HMAC signature was found genuine, so a REST caller that sends the same token again
 * (the same URL signed within the same second, as the SDKs do for repeated sends to a group or a
 * hub, or a client that reuses its token) is not charged a second HMAC: the HMAC set-up, the
 * signature's and the payload's decoding were ~13 % of a REST send's CPU (issue 16).
 *
 * What is cached is a fact that cannot go stale, "this exact token text is signed by this key
 * text": the entry holds the key text, and a hit counts only if that key is still one of the keys
 * the caller offers now (a regenerated or removed key misses at once and the token is verified
 * from scratch, and refused). Everything else is checked on every hit as on a miss: the algorithm
 * against the caller's allowed list, the keys callback (with its side effects), `exp` and `nbf`
 * against the current time, and whatever the caller checks after (`aud`). Only successes are
 * stored; a forgery always takes the full, constant-time path.
 *
 * Looked up by the SHA-256 of the token rather than its text, so the lookup never compares
 * attacker-chosen text with a genuine token's signature byte by byte: digests of different texts
 * share no useful prefix. Bounded in entries and in token length; the oldest entry goes first.
 */
import { hash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { JwtHeader } from './hmac-jwt.ts';

export interface VerifiedToken {
  header: JwtHeader;
  /** Frozen: shared by every caller that presents the token. */
  payload: JWTPayload;
  /** The key text whose HMAC matched. */
  key: string;
}

/** Enough for the benchmark's 2,000 distinct send URLs and a busy resource's recent senders. */
export const MAX_VERIFIED_TOKENS = 4096;
/** Longer tokens are verified every time (a 16 KiB token would make the cache hold megabytes). */
export const MAX_CACHED_TOKEN_CHARS = 2048;

const verified = new Map<string, VerifiedToken>();

export function tokenDigest(token: string): string {
  return hash('sha256', token, 'base64');
}

export function verifiedToken(digest: string): VerifiedToken | undefined {
  return verified.get(digest);
}

export function rememberVerified(digest: string, entry: VerifiedToken): void {
  if (verified.size >= MAX_VERIFIED_TOKENS) verified.delete(verified.keys().next().value!);
  verified.set(digest, { header: deepFreeze(entry.header), payload: deepFreeze(entry.payload), key: entry.key });
}

export function forgetVerified(digest: string): void {
  verified.delete(digest);
}

/** For tests. */
export function clearVerifiedTokens(): void {
  verified.clear();
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** For tests. */
export function verifiedTokenCount(): number {
  return verified.size;
}
