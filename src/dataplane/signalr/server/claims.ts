/**
 * The client token's claims as OpenConnection carries them to the app server. The SDK signs
 * negotiate tokens with short JWT claim names (`nameid`, `unique_name`, `role`…), but the app's
 * `Context.User.Identity.Name` and `IsInRole` look for the long .NET claim types, and the SDK passes
 * OpenConnection claims through unchanged: so the short names are mapped back, as Azure does
 * (observed with SDK 1.34: with long types Name and IsInRole work, with short ones they do not).
 * `asrs.s.*` claims stay (the SDK reads `asrs.s.uid` → UserIdentifier, `asrs.s.aut` → auth type,
 * and hides the rest); the token's own registered claims are dropped.
 */
import type { Claim, Headers } from '../../../protocols/signalr-service/index.ts';

const WS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
/** The inbound map of .NET's JwtSecurityTokenHandler for the names the SDK's outbound map shortens. */
const LONG_TYPES: Readonly<Record<string, string>> = {
  nameid: `${WS}/nameidentifier`,
  unique_name: `${WS}/name`,
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  email: `${WS}/emailaddress`,
  given_name: `${WS}/givenname`,
  family_name: `${WS}/surname`,
  gender: `${WS}/gender`,
  birthdate: `${WS}/dateofbirth`,
  actort: 'http://schemas.xmlsoap.org/ws/2009/09/identity/claims/actor',
};
const DROPPED = new Set(['aud', 'exp', 'iat', 'nbf', 'iss', 'jti']);
const MAX_CLAIMS = 256;

export function openConnectionClaims(token: Readonly<Record<string, unknown>>): Claim[] {
  const out: Claim[] = [];
  for (const [name, raw] of Object.entries(token)) {
    if (DROPPED.has(name)) continue;
    const type = LONG_TYPES[name] ?? name;
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (out.length >= MAX_CLAIMS) return out;
      const value = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : v === null || v === undefined ? undefined : JSON.stringify(v);
      if (value !== undefined) out.push({ type, value });
    }
  }
  return out;
}

const NOT_FORWARDED = new Set(['authorization', 'cookie', 'connection', 'upgrade', 'content-length', 'transfer-encoding', 'sec-websocket-key', 'sec-websocket-extensions', 'sec-websocket-version']);
const MAX_HEADERS = 64;
const MAX_HEADER_CHARS = 4096;

/**
 * The client's request headers as OpenConnection carries them (name → values): the SDK builds the
 * app's HttpContext from them (User-Agent, Host…; X-Forwarded-For becomes RemoteIpAddress, so the
 * client's address is appended as a proxy would). Credentials are not passed on.
 */
export function openConnectionHeaders(headers: import('node:http').IncomingHttpHeaders | undefined, remoteAddress: string | undefined): Headers {
  const out: Headers = new Map();
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (out.size >= MAX_HEADERS) break;
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    const values = (Array.isArray(value) ? value : [value]).filter((v) => v.length <= MAX_HEADER_CHARS);
    if (values.length > 0) out.set(name, values);
  }
  if (remoteAddress) {
    const prior = out.get('x-forwarded-for');
    out.set('x-forwarded-for', prior && prior[0] ? [`${prior[0]}, ${remoteAddress}`] : [remoteAddress]);
  }
  return out;
}
