import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Directory } from './directory.ts';
import type { KeyRing } from './signing-keys.ts';
import { TokenRejected } from './errors.ts';
import { issuerV1, issuerV2 } from './tokens.ts';

export { TokenRejected } from './errors.ts';

export interface VerifiedToken {
  payload: JWTPayload & { tid: string; oid: string; appid?: string; azp?: string; idtyp?: string; ver?: string; scp?: string };
  /** The principal the token speaks for: the user's or the service principal's object id. */
  principalId: string;
  tenantId: string;
}

const CLOCK_SKEW_S = 300;

/**
 * Verifies access tokens this Lapis issued: RS256 only, a key from the current JWKS, issuer
 * pinned to the expected tenant (v1 or v2 form), audience one of those given, lifetime with
 * five minutes of skew. Never consults the network.
 */
export class TokenVerifier {
  readonly #keys: KeyRing;
  readonly #dir: Directory;
  readonly #authority: string;
  #jwks?: { source: object; resolver: ReturnType<typeof createLocalJWKSet> };

  constructor(keys: KeyRing, dir: Directory, authorityHost: string) {
    this.#keys = keys;
    this.#dir = dir;
    this.#authority = authorityHost.replace(/\/+$/, '');
  }

  async verify(token: string, opts: { audiences: string[]; tenantId?: string }): Promise<VerifiedToken> {
    if (!token) throw new TokenRejected('missing', 'No bearer token was presented.');
    if (token.length > 16 * 1024 || token.split('.').length !== 3) throw new TokenRejected('malformed', 'The bearer token is not a JWT.');
    const tenants = opts.tenantId ? [opts.tenantId] : this.#dir.tenants().map((t) => t.id);
    const issuers = tenants.flatMap((t) => [issuerV1(this.#authority, t), issuerV2(this.#authority, t)]);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#resolver(), {
        algorithms: ['RS256'], issuer: issuers, audience: opts.audiences, clockTolerance: CLOCK_SKEW_S,
        requiredClaims: ['tid', 'oid', 'exp', 'nbf', 'iss', 'aud'],
      }));
    } catch (err) {
      throw translate(err);
    }
    const tid = String(payload.tid);
    const iss = String(payload.iss);
    if (iss !== issuerV1(this.#authority, tid) && iss !== issuerV2(this.#authority, tid)) {
      throw new TokenRejected('tenant', 'The token\'s tid does not match its issuer.');
    }
    return { payload: payload as VerifiedToken['payload'], principalId: String(payload.oid), tenantId: tid };
  }

  #resolver() {
    const source = this.#keys.jwks();
    if (this.#jwks?.source !== source) this.#jwks = { source, resolver: createLocalJWKSet(source as never) };
    return this.#jwks.resolver;
  }
}

function translate(err: unknown): TokenRejected {
  if (err instanceof joseErrors.JWTExpired) return new TokenRejected('expired', `The token is expired (its 'exp' is more than ${CLOCK_SKEW_S} seconds in the past).`);
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new TokenRejected('audience', 'The token\'s audience is not accepted here.');
    if (err.claim === 'iss') return new TokenRejected('issuer', 'The token\'s issuer is not trusted here.');
    if (err.claim === 'nbf' && err.reason === 'check_failed') return new TokenRejected('not_yet_valid', `The token is not valid yet (its 'nbf' is more than ${CLOCK_SKEW_S} seconds in the future).`);
    if (err.claim === 'exp' && err.reason === 'missing') return new TokenRejected('malformed', "The token has no 'exp' claim; a token without a lifetime is refused.");
    return new TokenRejected('malformed', `The token lacks a valid '${err.claim}' claim.`);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new TokenRejected('algorithm', 'The token must be signed with RS256.');
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new TokenRejected('signature', 'The token\'s signature does not verify with a published key.');
  }
  return new TokenRejected('malformed', 'The bearer token is not a valid JWT.');
}
