import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { Directory } from './directory.ts';
import { E } from './errors.ts';
import type { Application } from './model.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** msal-node rounds `nbf` up, so it can sit in the future; Entra allows five minutes. */
const CLOCK_SKEW_S = 300;
/** An assertion may not be valid for longer than this (msal-node uses 10 minutes). */
const MAX_ASSERTION_LIFETIME_S = 3600;
const MAX_ASSERTION_LENGTH = 16 * 1024;

/**
 * Remembers the `jti` of accepted assertions until they expire, so a captured assertion cannot
 * be replayed. msal-node reuses one assertion for every token request of a credential during its
 * ten-minute life (a second resource, say), so a replay is the same jti for the same resource:
 * a legitimate client never sends that, because it holds the hour-long token in its cache.
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #max: number;
  constructor(max = 100_000) { this.#max = max; }

  /** Returns false if this (client, jti, resource) was already used. */
  claim(clientId: string, jti: string, resource: string, exp: number, now = Math.floor(Date.now() / 1000)): boolean {
    const key = `${clientId}|${jti}|${resource.toLowerCase()}`;
    const until = this.#seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.#seen.size >= this.#max) this.#sweep(now);
    this.#seen.set(key, exp + CLOCK_SKEW_S);
    return true;
  }

  #sweep(now: number): void {
    for (const [k, until] of this.#seen) if (until <= now) this.#seen.delete(k);
    if (this.#seen.size >= this.#max) this.#seen.clear(); // still full of live entries: start over rather than grow
  }
}

/**
 * Verifies a certificate client assertion (private_key_jwt) for `app`: the registered certificate
 * is found by `x5t#S256` (or `x5t`), the signature must be PS256 or RS256 with it, `aud` must be
 * one of `audiences` (the token endpoint URLs of this tenant), `iss` = `sub` = client id, time
 * claims within skew, `jti` present and unused.
 */
export async function verifyClientAssertion(dir: Directory, app: Application, assertion: string, audiences: string[], resource: string, replay: ReplayCache): Promise<void> {
  if (assertion.length > MAX_ASSERTION_LENGTH) throw E.assertionClaims('The client assertion is too large.');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw E.assertionClaims('The client assertion is not a well-formed JWT.');
  }
  if (header.alg !== 'PS256' && header.alg !== 'RS256') throw E.badAssertion(`The algorithm '${String(header.alg).slice(0, 20)}' is not accepted; use PS256 or RS256.`);
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
  const cert = dir.findCertificate(app, { x5tS256, x5t });
  if (!cert) throw E.badAssertion(`The certificate with identifier used to sign the client assertion is not registered on application '${app.appId}'.`);
  const now = Date.now();
  if (Date.parse(cert.endDateTime) < now || Date.parse(cert.startDateTime) > now + CLOCK_SKEW_S * 1000) {
    throw E.badAssertion(`The certificate ${cert.customKeyIdentifier} registered on application '${app.appId}' is outside its validity period.`);
  }
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(assertion, createPublicKey(cert.certPem), {
      algorithms: ['PS256', 'RS256'],
      clockTolerance: CLOCK_SKEW_S,
      requiredClaims: ['aud', 'iss', 'sub', 'exp', 'jti'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired || (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf')) throw E.assertionTime();
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw E.assertionClaims(`The client assertion lacks a valid '${err.claim}' claim.`);
    throw E.badAssertion('The signature does not verify with the registered certificate.');
  }
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const wanted = new Set(audiences.map((a) => a.toLowerCase()));
  if (!aud.some((a) => typeof a === 'string' && wanted.has(a.toLowerCase()))) {
    throw E.assertionClaims(`The audience claim of the client assertion must be the token endpoint ('${audiences[0]}').`);
  }
  if (payload.iss !== app.appId && payload.iss?.toLowerCase() !== app.appId) throw E.assertionClaims("The client assertion's 'iss' must be the client id.");
  if (payload.sub?.toLowerCase() !== app.appId) throw E.assertionClaims("The client assertion's 'sub' must be the client id.");
  const start = payload.nbf ?? payload.iat ?? 0;
  if (start && payload.exp! - start > MAX_ASSERTION_LIFETIME_S) throw E.assertionTime();
  if (!replay.claim(app.appId, String(payload.jti), resource, payload.exp!)) {
    throw E.assertionClaims('The client assertion has already been used (its jti was seen before).');
  }
}
