import { createPublicKey } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import type { Directory } from './directory.ts';
import { E } from './errors.ts';
import { isoOf, readTimeClaim } from './jwt-time.ts';
import type { Application } from './model.ts';
import type { ReplayCache } from './replay-cache.ts';

export { ReplayCache } from './replay-cache.ts';
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** msal-node rounds `nbf` up, so it can sit in the future; Entra allows five minutes. */
export const CLOCK_SKEW_S = 300;
/** An assertion may not be valid for longer than this (msal-node and MSAL Python use 10 minutes). */
const MAX_ASSERTION_LIFETIME_S = 3600;
const MAX_ASSERTION_LENGTH = 16 * 1024;

/**
 * Verifies a certificate client assertion (private_key_jwt) for `app`: the registered certificate
 * is found by `x5t#S256` (or `x5t`), the signature must be PS256 or RS256 with it, `aud` must be
 * one of `audiences` (the token endpoint URLs of this tenant), `iss` = `sub` = client id, `exp`
 * present, `nbf`/`iat` honoured within the skew, `jti` present and unused.
 *
 * The signature is checked by jose, the claims here: MSAL.NET writes `nbf`/`exp` as strings,
 * which jose's claim checks refuse.
 */
export async function verifyClientAssertion(dir: Directory, app: Application, assertion: string, audiences: string[], resource: string, replay: ReplayCache, nowMs = Date.now()): Promise<void> {
  if (assertion.length > MAX_ASSERTION_LENGTH) throw E.assertionClaims('The client assertion is too large.');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw E.assertionClaims('The client assertion is not a well-formed JWT.');
  }
  if (header.alg !== 'PS256' && header.alg !== 'RS256') throw E.badAssertion(`The algorithm '${String(header.alg).slice(0, 20)}' is not accepted; use PS256 or RS256.`);
  const cert = dir.findCertificate(app, { x5tS256: thumbprint(header['x5t#S256']), x5t: thumbprint(header.x5t) });
  if (!cert) throw E.badAssertion(`The certificate with identifier used to sign the client assertion is not registered on application '${app.appId}'.`);
  if (Date.parse(cert.endDateTime) < nowMs || Date.parse(cert.startDateTime) > nowMs + CLOCK_SKEW_S * 1000) {
    throw E.badAssertion(`The certificate ${cert.customKeyIdentifier} registered on application '${app.appId}' is outside its validity period.`);
  }
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(assertion, createPublicKey(cert.certPem), { algorithms: ['PS256', 'RS256'] }));
  } catch {
    throw E.badAssertion('The signature does not verify with the registered certificate.');
  }
  let payload: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    payload = parsed as Record<string, unknown>;
  } catch {
    throw E.assertionClaims('The client assertion payload is not a JSON object.');
  }
  const exp = checkLifetime(payload, nowMs / 1000);

  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const wanted = new Set(audiences.map((a) => a.toLowerCase()));
  if (!aud.some((a) => typeof a === 'string' && wanted.has(a.toLowerCase()))) {
    throw E.assertionClaims(`The audience claim of the client assertion must be the token endpoint ('${audiences[0]}').`);
  }
  if (typeof payload.iss !== 'string' || payload.iss.toLowerCase() !== app.appId) throw E.assertionClaims("The client assertion's 'iss' must be the client id.");
  if (typeof payload.sub !== 'string' || payload.sub.toLowerCase() !== app.appId) throw E.assertionClaims("The client assertion's 'sub' must be the client id.");
  if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256) throw E.assertionClaims("The client assertion lacks a valid 'jti' claim.");
  if (!(await replay.claim(app.appId, payload.jti, resource, exp, Math.floor(nowMs / 1000)))) {
    throw E.assertionClaims('The client assertion has already been used (its jti was seen before).');
  }
}

/** `x5t` values are base64url; MSAL Python keeps the `=` padding, which is not part of the value. */
function thumbprint(v: unknown): string | undefined {
  return typeof v === 'string' && v.length <= 128 ? v.replace(/=+$/, '') : undefined;
}

/** Checks `exp` (required), `nbf` and `iat` (optional) within the skew; returns `exp`. */
function checkLifetime(payload: Record<string, unknown>, now: number): number {
  const exp = readTimeClaim(payload, 'exp');
  const nbf = readTimeClaim(payload, 'nbf');
  const iat = readTimeClaim(payload, 'iat');
  for (const [name, c] of [['exp', exp], ['nbf', nbf], ['iat', iat]] as const) {
    if (!c.ok) throw E.assertionClaims(`The client assertion's '${name}' claim is not a NumericDate (seconds since the epoch, as a number or a string of digits).`);
  }
  if (!exp.ok || exp.value === undefined) throw E.assertionClaims("The client assertion has no 'exp' claim; an assertion must say when it expires.");
  const start = (nbf.ok ? nbf.value : undefined) ?? (iat.ok ? iat.value : undefined);
  const window = `Current time: ${isoOf(now)}, assertion valid from ${start === undefined ? 'unspecified' : isoOf(start)}, expiry time of assertion ${isoOf(exp.value)}.`;
  if (exp.value + CLOCK_SKEW_S <= now) throw E.assertionTime(`The assertion has expired. ${window}`);
  if (start !== undefined && start - CLOCK_SKEW_S > now) throw E.assertionTime(`The assertion is not valid yet. ${window}`);
  if (start !== undefined && exp.value <= start) throw E.assertionTime(`The assertion expires before it becomes valid. ${window}`);
  if (exp.value - (start ?? now) > MAX_ASSERTION_LIFETIME_S) throw E.assertionTime(`The assertion is valid for longer than ${MAX_ASSERTION_LIFETIME_S} seconds. ${window}`);
  return exp.value;
}
