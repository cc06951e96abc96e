/** Access-key authentication of REST calls: an HS256 JWT signed with one of the resource's keys. */
import { AuthenticationError } from '../errors.ts';
import { audienceMatches, isHs256, verifyHs256 } from './hs256.ts';
import type { DataPlaneAuth, DataPlaneAuthenticator, DataPlaneRequest } from './types.ts';
import { bearerToken } from './types.ts';

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

  async authenticate(request: DataPlaneRequest): Promise<DataPlaneAuth | null> {
    const token = bearerToken(request.headers);
    if (!token || !isHs256(token)) return null;
    if (this.#source.isLocalAuthDisabled()) {
      throw new AuthenticationError('Local authentication (access keys) is disabled for this resource. Use Microsoft Entra ID.');
    }
    // Keys are read per request: a regenerated key takes effect at once.
    const { primaryKey, secondaryKey } = this.#source.getAccessKeys();
    const claims = await verifyHs256(token, [primaryKey, secondaryKey]);
    if (!audienceMatches(claims.aud, request.url)) {
      throw new AuthenticationError("The access token's audience (aud) does not match the request URL.");
    }
    return { kind: this.kind, principal: 'accessKey', claims };
  }
  // No `authorize`: an access key grants every data action on its resource.
}
