/** Access-key authentication of REST calls: an HS256 JWT signed with one of the resource's keys. */
import { AuthenticationError } from '../errors.ts';
import { audienceMatches, verifyHs256 } from './hs256.ts';
import type { DataPlaneAuth, DataPlaneAuthenticator, DataPlaneRequest } from './types.ts';
import { bearerOf } from './types.ts';

export interface AccessKeySource {
  getAccessKeys(): { primaryKey: string; secondaryKey: string };
  isLocalAuthDisabled(): boolean;
}

export class AccessKeyAuthenticator implements DataPlaneAuthenticator {
  readonly kind = 'accessKey';
  readonly #source: AccessKeySource;

  constructor(source: AccessKeySource) {
    this.#source = source;
  }

  /** Synchronous: the HMAC and the claims are checked on the spot (see common/hmac-jwt.ts). */
  authenticate(request: DataPlaneRequest): DataPlaneAuth | null {
    const { token, header } = bearerOf(request);
    if (!token || header?.alg !== 'HS256') return null;
    if (this.#source.isLocalAuthDisabled()) {
      throw new AuthenticationError('Local authentication (access keys) is disabled for this resource. Use Microsoft Entra ID.');
    }
    // Keys are read per request: a regenerated key takes effect at once.
    const { primaryKey, secondaryKey } = this.#source.getAccessKeys();
    // Cached: REST senders repeat tokens (common/verified-tokens.ts); the keys are still checked.
    const claims = verifyHs256(token, [primaryKey, secondaryKey], undefined, header, true);
    if (!audienceMatches(claims.aud, request.url)) {
      throw new AuthenticationError("The access token's audience (aud) does not match the request URL.");
    }
    return { kind: this.kind, principal: 'accessKey', claims };
  }
  // No `authorize`: an access key grants every data action on its resource.
}
