import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { Directory } from './directory.ts';
import { E } from './errors.ts';
import { KIND, type Application } from './model.ts';
import type { Store } from '../store/index.ts';

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
 * Entries are written through to the store, so a restart does not reopen the window.
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #max: number;
  readonly #store: Store | undefined;

  constructor(store?: Store, max = 100_000) {
    this.#store = store;
    this.#max = max;
  }

  /** Loads the entries still live and drops the expired ones from the store. */
  async load(now = Math.floor(Date.now() / 1000)): Promise<void> {
    if (!this.#store) return;
    for (const e of await this.#store.list<{ key: string; until: number }>(KIND.assertionJti)) {
      if (e.until > now) this.#seen.set(e.key, e.until);
      else await this.#store.delete(KIND.assertionJti, e.key);
    }
  }

  /** Returns false if this (client, jti, resource) was already used. */
  async claim(clientId: string, jti: string, resource: string, exp: number, now = Math.floor(Date.now() / 1000)): Promise<boolean> {
    const key = `${clientId}|${jti}|${resource.toLowerCase()}`;
    const until = this.#seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.#seen.size >= this.#max) await this.#sweep(now);
    const entry = exp + CLOCK_SKEW_S;
    this.#seen.set(key, entry);
    await this.#store?.put(KIND.assertionJti, key, { key, until: entry });
    return true;
  }

  async #sweep(now: number): Promise<void> {
    for (const [k, until] of this.#seen) {
      if (until > now) continue;
      this.#seen.delete(k);
      await this.#store?.delete(KIND.assertionJti, k);
    }
    // Still full of live entries: refuse to grow; the oldest go (they expire within the hour).
    for (const k of this.#seen.keys()) {
      if (this.#seen.size < this.#max) break;
      this.#seen.delete(k);
    }
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
  if (!(await replay.claim(app.appId, String(payload.jti), resource, payload.exp!))) {
    throw E.assertionClaims('The client assertion has already been used (its jti was seen before).');
  }
}
