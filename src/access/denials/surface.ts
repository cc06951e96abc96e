import { decodeJwt } from 'jose';
import type { TokenFailure } from './types.ts';

/** The response header carrying a denial's id, next to the surface's request id. */
export const DENIAL_HEADER = 'x-ms-lapis-denial-id';

const FAILURES: Record<string, TokenFailure> = {
  missing: 'missing', malformed: 'malformed', signature: 'signature', algorithm: 'signature', expired: 'expired',
  not_yet_valid: 'notYetValid', issuer: 'issuer', audience: 'audience', tenant: 'tenant', unknown_key: 'unknownKey',
};

/** A token verifier's refusal (`TokenRejected.code`) as a denial's failure; `other` for anything else. */
export function tokenFailureOf(err: unknown): TokenFailure {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? FAILURES[code] ?? 'other' : 'other';
}

/**
 * The payload of a refused bearer token, decoded without trusting it (to say whose token it was
 * and what it was for). Undefined when the header holds no JWT.
 */
export function unverifiedClaims(authorization: string | undefined | null): Record<string, unknown> | undefined {
  const m = /^Bearer\s+(\S{1,16384})\s*$/i.exec(authorization ?? '');
  if (!m) return undefined;
  try {
    return decodeJwt(m[1]!) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The object id a token names: `oid`, else `sub` when it is a GUID. */
export function claimedPrincipal(claims: Record<string, unknown> | undefined): string | undefined {
  const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  for (const c of [claims?.oid, claims?.sub]) if (typeof c === 'string' && guid.test(c)) return c.toLowerCase();
  return undefined;
}
