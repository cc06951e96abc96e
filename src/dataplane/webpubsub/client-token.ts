/**
 * Client access tokens (reference §3.2): HS256 JWTs with `sub` (user id), `role` and
 * `webpubsub.group` (string or array), `aud` = `{endpoint}/client/hubs/{hub}`.
 * Tokens minted by `:generateToken` are signed with the service's internal key, so they keep
 * working when local auth (access keys) is disabled, as in Azure.
 */
import { SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { audienceMatches, verifyHs256 } from './auth/hs256.ts';
import { decodeJwtHeader } from './auth/types.ts';
import { AuthenticationError } from './errors.ts';

export interface ClientIdentity {
  userId: string | undefined;
  roles: string[];
  groups: string[];
  claims: JWTPayload;
}

export function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** Synchronous (node:crypto HMAC): a handshake with no connect handler completes in one turn. */
export function verifyClientToken(
  token: string,
  hub: string,
  requestPathAndQuery: string,
  keys: readonly string[],
): ClientIdentity {
  // Every SDK signs with the same header: decoded once and looked up by its text after that.
  const claims = verifyHs256(token, keys, undefined, decodeJwtHeader(token));
  const expected = `/client/hubs/${hub}`;
  if (!audienceMatches(claims.aud, requestPathAndQuery, [expected, `/client/hubs/${encodeURIComponent(hub)}`])) {
    throw new AuthenticationError(`The access token's audience (aud) is not this hub's client endpoint (${expected}).`);
  }
  const sub = claims.sub;
  return {
    userId: typeof sub === 'string' && sub.length > 0 ? sub : undefined,
    roles: stringList(claims.role),
    groups: stringList(claims['webpubsub.group']),
    claims,
  };
}

export interface MintOptions {
  origin: string;
  hub: string;
  userId?: string | undefined;
  roles: string[];
  groups: string[];
  minutesToExpire: number;
  key: string;
  clientPath?: string;
}

export async function mintClientToken(o: MintOptions): Promise<string> {
  const claims: JWTPayload = {};
  if (o.roles.length > 0) claims.role = o.roles;
  if (o.groups.length > 0) claims['webpubsub.group'] = o.groups;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(`${o.minutesToExpire}m`)
    .setAudience(`${o.origin}${o.clientPath ?? '/client/hubs/'}${o.hub}`);
  if (o.userId) jwt.setSubject(o.userId);
  return jwt.sign(new TextEncoder().encode(o.key));
}
