/** Access-key authentication of SignalR REST calls: an HS256/HS512 JWT signed with an access key or a temporary key. */
import { peekHeader, verifyHmacJwt } from '../../common/hmac-jwt.ts';
import type { DataPlaneAuth, DataPlaneAuthenticator } from '../../webpubsub/auth/types.ts';
import { bearerToken } from '../../webpubsub/auth/types.ts';
import { AuthenticationError } from '../../webpubsub/errors.ts';
import { restAudienceMatches } from './audience.ts';
import { SIGNALR_TOKEN_ALGORITHMS, tokenKeys } from './keys.ts';
import type { SignalRKeySource } from './keys.ts';
import type { SignalRRequest } from './types.ts';

/** Tokens whose `alg` is an HMAC one belong to this authenticator (HS384 too, to be refused with the reason). */
export function isHmacToken(token: string): boolean {
  const alg = peekHeader(token)?.alg;
  return typeof alg === 'string' && /^HS\d+$/.test(alg);
}

export class SignalRAccessKeyAuthenticator implements DataPlaneAuthenticator {
  readonly kind = 'accessKey';
  readonly #source: SignalRKeySource;

  constructor(source: SignalRKeySource) {
    this.#source = source;
  }

  async authenticate(request: SignalRRequest): Promise<DataPlaneAuth | null> {
    const token = bearerToken(request.headers);
    if (!token || !isHmacToken(token)) return null;
    let keyId: string | undefined;
    const { payload } = verifyHmacJwt(token, (header) => {
      const keys = tokenKeys(this.#source, header, false);
      if (typeof header.kid === 'string' && this.#source.temporaryKeys.get(header.kid)) keyId = header.kid;
      return keys;
    }, { algorithms: SIGNALR_TOKEN_ALGORITHMS, cache: true }); // REST senders repeat tokens (common/verified-tokens.ts)
    if (!restAudienceMatches(payload.aud, `${request.origin}${request.url}`)) {
      throw new AuthenticationError("The access token's audience (aud) does not match the request URL.");
    }
    return { kind: this.kind, principal: keyId ? `temporaryKey:${keyId}` : 'accessKey', claims: payload };
  }
  // No `authorize`: an access key (or a temporary key) grants every data action on its resource.
}
