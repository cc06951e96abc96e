/**
 * Request authentication is a chain: each authenticator looks at the request and either returns a
 * result (its kind of credential, valid), returns null (not its kind), or throws
 * `AuthenticationError` (its kind, invalid). The first non-null result wins. The authenticator that
 * produced the result then authorises the route's RBAC DataAction, so Entra bearer tokens + RBAC
 * slot in as one more authenticator without touching any route.
 */
import { isUtf8 } from 'node:buffer';

export interface DataPlaneRequest {
  method: string;
  /** Raw path and query as received (what access-key tokens' `aud` is compared with). */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** ARM id of the resource addressed. */
  resourceId: string;
  /** Hub named by the route, lower-cased, when there is one. */
  hub?: string | undefined;
  /** The bearer token and its decoded header, filled by `bearerOf` the first time one is asked for. */
  bearer?: Bearer | undefined;
}

/** A request's bearer token, read once and shared by every authenticator of the chain. */
export interface Bearer {
  /** The token of `Authorization: Bearer <token>`; undefined when absent or another scheme. */
  token: string | undefined;
  /** Its JOSE protected header; undefined when there is no token or it is not a JWT. */
  header: Readonly<Record<string, unknown>> | undefined;
}

export interface DataPlaneAuth {
  /** Which authenticator accepted the request, e.g. `accessKey`, `entra`. */
  kind: string;
  /** Who the caller is (object id for Entra principals; `accessKey` for keys). */
  principal: string;
  claims?: Record<string, unknown>;
}

export interface DataPlaneAuthenticator {
  readonly kind: string;
  /** May answer synchronously (no promise): the chain awaits only what is a promise. */
  authenticate(request: DataPlaneRequest): DataPlaneAuth | null | Promise<DataPlaneAuth | null>;
  /**
   * Checks that `auth` may perform `dataAction` (e.g. `Microsoft.SignalRService/WebPubSub/hub/send/action`)
   * on the request's resource/hub; throws `AuthorizationError` (403) otherwise. Absent = allowed.
   */
  authorize?(auth: DataPlaneAuth, dataAction: string, request: DataPlaneRequest): Promise<void> | void;
}

/** Reads `Authorization: Bearer <token>`; undefined when absent or another scheme. */
export function bearerToken(headers: DataPlaneRequest['headers']): string | undefined {
  const h = headers['authorization'];
  const value = Array.isArray(h) ? h[0] : h;
  if (!value) return undefined;
  const m = BEARER.exec(value);
  return m ? m[1] : undefined;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The request's bearer token and its protected header, decoded once per request: every
 * authenticator of the chain asks (to tell its kind of token from another's), and the one that
 * verifies it reuses the header. Nothing here is trusted: the header only picks the verifier.
 */
export function bearerOf(request: DataPlaneRequest): Bearer {
  let b = request.bearer;
  if (b === undefined) {
    const token = bearerToken(request.headers);
    b = { token, header: token === undefined ? undefined : decodeJwtHeader(token) };
    request.bearer = b;
  }
  return b;
}

const B64URL_PART = /^[A-Za-z0-9_-]+={0,2}$/;

/**
 * The protected header of a compact JWS (3 parts) or JWE (5 parts), decoded as strictly as jose's
 * `decodeProtectedHeader` (base64url alphabet, UTF-8, a JSON object); undefined when it is not one.
 */
export function decodeJwtHeader(token: string): Readonly<Record<string, unknown>> | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  let parts = 1;
  for (let i = dot; i >= 0; i = token.indexOf('.', i + 1)) parts++;
  if (parts !== 3 && parts !== 5) return undefined;
  const encoded = token.slice(0, dot);
  // A client signs every token with the same header: decoded once, then looked up.
  const known = headers.get(encoded);
  if (known) return known;
  const header = decodeHeaderPart(encoded);
  if (header && encoded.length <= 512) {
    if (headers.size >= 256) headers.clear();
    headers.set(encoded, header);
  }
  return header;
}

/** Decoded headers by their encoded text (frozen: every request that shares one sees the same object). */
const headers = new Map<string, Readonly<Record<string, unknown>>>();

function decodeHeaderPart(encoded: string): Readonly<Record<string, unknown>> | undefined {
  if (!B64URL_PART.test(encoded)) return undefined;
  const bytes = Buffer.from(encoded, 'base64url');
  if (!isUtf8(bytes)) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.freeze(value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
