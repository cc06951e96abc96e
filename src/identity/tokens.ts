import { createHash, randomBytes } from 'node:crypto';
import { HeaderSegments, signCompactRs256 } from './jws-rs256.ts';
import type { KeyRing } from './signing-keys.ts';

/** Access tokens live an hour, as Entra's default (MSAL renews 5 minutes before expiry). */
export const ACCESS_TOKEN_LIFETIME_S = 3599;

/** Issuer strings. v1 mirrors `https://sts.windows.net/{tid}/`, v2 `https://login.microsoftonline.com/{tid}/v2.0`, on our host. */
export const issuerV1 = (authority: string, tid: string) => `${authority}/${tid}/`;
export const issuerV2 = (authority: string, tid: string) => `${authority}/${tid}/v2.0`;

export interface ClientPrincipal {
  /** Client app id (the MI's client id for managed identities). */
  appId: string;
  /** Service principal / managed identity object id. */
  objectId: string;
  /** `"0"` public client, `"1"` secret, `"2"` certificate, assertion or managed identity. */
  authMethod: '0' | '1' | '2';
  /** ARM id of a managed identity (`xms_mirid`). */
  managedIdentityResourceId?: string;
}

export interface UserPrincipal { objectId: string; userPrincipalName: string; displayName: string }

export interface TokenRequest {
  tenantId: string;
  /** The audience as it goes in the token: the requested resource (v1) or the app id (v2). */
  audience: string;
  version: '1.0' | '2.0';
  client: ClientPrincipal;
  /** Present for delegated (user) tokens. */
  user?: UserPrincipal;
  /** Delegated scopes (`scp`), space-separated. */
  scopes?: string;
}

export interface IssuedToken { accessToken: string; expiresOn: number; notBefore: number; expiresIn: number }

export class TokenIssuer {
  readonly #keys: KeyRing;
  readonly #authority: string;
  readonly #headers = new HeaderSegments();

  constructor(keys: KeyRing, authorityHost: string) {
    this.#keys = keys;
    this.#authority = authorityHost.replace(/\/+$/, '');
  }

  get authorityHost(): string {
    return this.#authority;
  }

  issuer(tid: string, version: '1.0' | '2.0'): string {
    return version === '1.0' ? issuerV1(this.#authority, tid) : issuerV2(this.#authority, tid);
  }

  /** Mints an RS256 access token with Entra's claim set for the token version. */
  async issue(req: TokenRequest, now = Math.floor(Date.now() / 1000)): Promise<IssuedToken> {
    const key = this.#keys.current();
    const iss = this.issuer(req.tenantId, req.version);
    const nbf = now - 300; // Entra back-dates nbf by five minutes for clock skew
    const exp = now + ACCESS_TOKEN_LIFETIME_S;
    const v1 = req.version === '1.0';
    // One call to the random source for the three random claims (24 + 16 + 24 bytes).
    const random = randomBytes(64);
    const claims: Record<string, unknown> = {
      aud: req.audience,
      iss,
      iat: nbf,
      nbf,
      exp,
      aio: random.toString('base64url', 0, 24),
      ...(v1 ? { appid: req.client.appId, appidacr: req.client.authMethod, idp: iss }
        : { azp: req.client.appId, azpacr: req.client.authMethod }),
      tid: req.tenantId,
      uti: random.toString('base64url', 24, 40),
      ver: req.version,
      rh: `0.${random.toString('base64url', 40, 64)}.`,
    };
    if (req.user) {
      Object.assign(claims, {
        oid: req.user.objectId,
        // Delegated tokens carry a pairwise subject: stable per (user, client app).
        sub: createHash('sha256').update(`${req.user.objectId}|${req.client.appId}`).digest('base64url').slice(0, 43),
        scp: req.scopes ?? 'user_impersonation',
        name: req.user.displayName,
        idtyp: 'user',
        amr: ['pwd'],
        ...(v1 ? { upn: req.user.userPrincipalName, unique_name: req.user.userPrincipalName }
          : { preferred_username: req.user.userPrincipalName }),
      });
    } else {
      Object.assign(claims, { oid: req.client.objectId, sub: req.client.objectId, idtyp: 'app' });
      if (req.client.managedIdentityResourceId) claims.xms_mirid = req.client.managedIdentityResourceId;
    }
    const header = this.#headers.of({ typ: 'JWT', alg: 'RS256', kid: key.kid, ...(v1 ? { x5t: key.kid } : {}) });
    const accessToken = await signCompactRs256(header, claims, key.privateKey);
    return { accessToken, expiresOn: exp, notBefore: nbf, expiresIn: ACCESS_TOKEN_LIFETIME_S };
  }

  /** A v2 ID token (password, code, refresh and device grants), so MSAL can cache the account. */
  async issueIdToken(tid: string, clientId: string, user: UserPrincipal, now = Math.floor(Date.now() / 1000), extra: { nonce?: string; authTime?: number } = {}): Promise<string> {
    const key = this.#keys.current();
    return signCompactRs256(this.#headers.of({ typ: 'JWT', alg: 'RS256', kid: key.kid }), {
      aud: clientId, iss: issuerV2(this.#authority, tid), iat: now, nbf: now, exp: now + ACCESS_TOKEN_LIFETIME_S,
      ...(extra.authTime !== undefined ? { auth_time: extra.authTime } : {}),
      name: user.displayName, ...(extra.nonce !== undefined ? { nonce: extra.nonce } : {}),
      oid: user.objectId, preferred_username: user.userPrincipalName,
      sub: createHash('sha256').update(`${user.objectId}|${clientId}`).digest('base64url').slice(0, 43),
      tid, ver: '2.0',
    }, key.privateKey);
  }
}
