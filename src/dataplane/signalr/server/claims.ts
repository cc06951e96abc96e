/**
 * The client token's claims as OpenConnection carries them to the app server. The SDK signs
 * negotiate tokens with short JWT claim names (`nameid`, `unique_name`, `role`…), but the app's
 * `Context.User.Identity.Name` and `IsInRole` look for the long .NET claim types, and the SDK passes
 * OpenConnection claims through unchanged: so the short names are mapped back, as Azure does
 * (observed with SDK 1.34: with long types Name and IsInRole work, with short ones they do not).
 * `asrs.s.*` claims stay (the SDK reads `asrs.s.uid` → UserIdentifier, `asrs.s.aut` → auth type,
 * and hides the rest); the token's own registered claims are dropped.
 */
import type { Claim } from '../../../protocols/signalr-service/index.ts';

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
