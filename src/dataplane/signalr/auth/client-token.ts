/**
 * SignalR client access tokens (reference §2.2): validation for the client endpoint
 * (`/client/?hub=`) and minting for `:generateToken`.
 *
 * Accepted: HS256 or HS512, signed with a temporary key named by `kid`, an access key (unless
 * local auth is disabled) or the internal key; `exp` required; `aud` naming this hub's client
 * endpoint on this origin (port ignored). User id: `asrs.s.uid`, else `nameid`, else `sub`.
 */
import { SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { verifyHmacJwt } from '../../common/hmac-jwt.ts';
import { AuthenticationError } from '../../webpubsub/errors.ts';
import { clientAudienceMatches } from './audience.ts';
import { SIGNALR_TOKEN_ALGORITHMS, tokenKeys } from './keys.ts';
import type { SignalRKeySource } from './keys.ts';

/** `asrs.s.htt` bits (reference §2.2). */
export const TRANSPORT_MASK = { WebSockets: 1, ServerSentEvents: 2, LongPolling: 4 } as const;
const ALL_TRANSPORTS = 7;

export interface SignalRClientIdentity {
  userId: string | undefined;
  /** Every claim of the token, as signed. */
  claims: JWTPayload;
  /** Bitmask of transports the token allows (`asrs.s.htt`); 7 (all) when absent or invalid. */
  allowedTransports: number;
  /** `exp`, epoch seconds. */
  expiresAt: number;
  /** `asrs.s.cht`: custom handshake timeout in seconds (1..30), when given. */
  handshakeTimeoutSeconds: number | undefined;
  /** `asrs.s.ttl`: max long-poll interval in seconds (1..300), when given. */
  longPollingTimeoutSeconds: number | undefined;
  /** The temporary key that signed the token (`kid`), when one did. */
  temporaryKeyId: string | undefined;
}

export interface ClientTokenCheck {
  token: string;
  /** The hub from the client URL, as given (compared case-insensitively). */
  hub: string;
  /** `scheme://host[:port]` the client connected to (ws/wss are treated as http/https). */
  requestOrigin: string;
  keys: SignalRKeySource;
  now?: number;
}

/** Throws `AuthenticationError` (401) with the reason. */
export function verifySignalRClientToken(c: ClientTokenCheck): SignalRClientIdentity {
  let temporaryKeyId: string | undefined;
  const { payload } = verifyHmacJwt(c.token, (header) => {
    const keys = tokenKeys(c.keys, header, true);
    if (typeof header.kid === 'string' && c.keys.temporaryKeys.get(header.kid)) temporaryKeyId = header.kid;
    return keys;
  }, { algorithms: SIGNALR_TOKEN_ALGORITHMS, now: c.now });
  if (!clientAudienceMatches(payload.aud, c.requestOrigin, c.hub)) {
    throw new AuthenticationError(`The access token's audience (aud) is not this hub's client endpoint (${c.requestOrigin}/client/?hub=${c.hub.toLowerCase()}).`);
  }
  return {
    userId: firstString(payload['asrs.s.uid'], payload.nameid, payload.sub),
    claims: payload,
    allowedTransports: boundedInt(payload['asrs.s.htt'], 1, ALL_TRANSPORTS) ?? ALL_TRANSPORTS,
    expiresAt: payload.exp!,
    handshakeTimeoutSeconds: boundedInt(payload['asrs.s.cht'], 1, 30),
    longPollingTimeoutSeconds: boundedInt(payload['asrs.s.ttl'], 1, 300),
    temporaryKeyId,
  };
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v.length > 0) return v;
  return undefined;
}

/** Claims may be numbers or numeric strings (.NET writes claim values as strings). */
function boundedInt(value: unknown, min: number, max: number): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

export interface MintClientTokenOptions {
  /** Client endpoint origin, e.g. `https://localhost:8443`. */
  endpoint: string;
  /** Internal hub name (lower-cased, application prefix applied). */
  hub: string;
  userId?: string | undefined;
  minutesToExpire: number;
  key: string;
  /** Sets the JWT header `kid` (a temporary key's id). */
  keyId?: string;
}

/** `aud` = `{endpoint}/client/?hub={hub}`, `nameid` and `asrs.s.uid` = user id, HS256. */
export async function mintSignalRClientToken(o: MintClientTokenOptions): Promise<string> {
  const claims: JWTPayload = {};
  if (o.userId) {
    claims.nameid = o.userId;
    claims['asrs.s.uid'] = o.userId;
  }
  const header: { alg: 'HS256'; typ: 'JWT'; kid?: string } = { alg: 'HS256', typ: 'JWT' };
  if (o.keyId) header.kid = o.keyId;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader(header)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + o.minutesToExpire * 60)
    .setAudience(`${o.endpoint.replace(/\/+$/, '')}/client/?hub=${encodeURIComponent(o.hub)}`)
    .sign(new TextEncoder().encode(o.key));
}
