import type { PortalConfig } from './config.ts';
import { challengeFor, jwtClaims, randomString } from './pkce.ts';

export const ARM_SCOPE = 'https://management.azure.com/.default';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** Kept in sessionStorage: the tab's sign-in survives a reload and ends with the tab. */
const STORE_KEY = 'lapis.portal.session';
const PENDING_KEY = 'lapis.portal.pending';

interface CachedToken { token: string; expiresAt: number }
interface Saved { refreshToken: string; account: Account; tokens: Record<string, CachedToken> }
export interface Account { name: string; userPrincipalName: string; objectId: string }

/**
 * The portal's sign-in: authorization code + PKCE against Lapis's authorize and token endpoints,
 * one refresh token (multi-resource, rotated on each use) for ARM and Graph tokens.
 */
export class Session {
  readonly config: PortalConfig;
  #saved: Saved | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(config: PortalConfig) {
    this.config = config;
    const raw = sessionStorage.getItem(STORE_KEY);
    this.#saved = raw ? JSON.parse(raw) as Saved : undefined;
  }

  get account(): Account | undefined { return this.#saved?.account; }
  get #endpoint(): string { return `${this.config.authorityHost}/${this.config.tenantId}/oauth2/v2.0`; }

  /** Sends the browser to Lapis's sign-in page. */
  async signIn(): Promise<void> {
    const verifier = randomString(48);
    const state = randomString(16);
    const nonce = randomString(16);
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo: location.hash }));
    const q = new URLSearchParams({
      client_id: this.config.clientId, response_type: 'code', redirect_uri: this.config.portalUrl, response_mode: 'query',
      scope: `openid profile offline_access ${ARM_SCOPE}`, state, nonce,
      code_challenge: await challengeFor(verifier), code_challenge_method: 'S256', prompt: 'select_account',
    });
    location.assign(`${this.#endpoint}/authorize?${q}`);
  }

  /** On return from the sign-in page: redeems the code, or reports the error Lapis sent back. */
  async completeSignIn(): Promise<'none' | 'signed-in'> {
    const params = new URLSearchParams(location.search);
    if (!params.has('code') && !params.has('error')) return 'none';
    const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string; nonce: string; returnTo: string } | null;
    sessionStorage.removeItem(PENDING_KEY);
    history.replaceState(null, '', `${location.pathname}${pending?.returnTo ?? ''}`);
    if (params.has('error')) throw new Error(`${params.get('error')}: ${params.get('error_description') ?? ''}`);
    if (!pending || params.get('state') !== pending.state) throw new Error('The sign-in answer did not match this tab\'s request (state); sign in again.');
    const body = await this.#token({
      grant_type: 'authorization_code', code: params.get('code') ?? '', redirect_uri: this.config.portalUrl,
      code_verifier: pending.verifier, scope: `openid profile offline_access ${ARM_SCOPE}`,
    });
    const id = jwtClaims(String(body.id_token ?? ''));
    if (id.nonce !== pending.nonce) throw new Error('The ID token does not carry this sign-in\'s nonce; sign in again.');
    this.#saved = {
      refreshToken: String(body.refresh_token ?? ''),
      account: { name: String(id.name ?? ''), userPrincipalName: String(id.preferred_username ?? id.upn ?? ''), objectId: String(id.oid ?? '') },
      tokens: { [ARM_SCOPE]: { token: String(body.access_token), expiresAt: Date.now() + Number(body.expires_in ?? 0) * 1000 } },
    };
    this.#persist();
    return 'signed-in';
  }

  /** A token for a scope: the cached one until five minutes before expiry, then the refresh token. */
  async token(scope: string): Promise<string> {
    const saved = this.#saved;
    if (!saved) throw new Error('Not signed in.');
    const cached = saved.tokens[scope];
    if (cached && cached.expiresAt - Date.now() > 5 * 60_000) return cached.token;
    // One refresh at a time: the refresh token rotates, so two at once would race.
    while (this.#refreshing) await this.#refreshing.catch(() => {});
    const again = this.#saved?.tokens[scope];
    if (again && again.expiresAt - Date.now() > 5 * 60_000) return again.token;
    const run = (async () => {
      const body = await this.#token({ grant_type: 'refresh_token', refresh_token: saved.refreshToken, scope: `${scope} offline_access` });
      saved.refreshToken = String(body.refresh_token ?? saved.refreshToken);
      saved.tokens[scope] = { token: String(body.access_token), expiresAt: Date.now() + Number(body.expires_in ?? 0) * 1000 };
      this.#persist();
    })();
    this.#refreshing = run;
    try {
      await run;
    } finally {
      this.#refreshing = undefined;
    }
    return saved.tokens[scope]!.token;
  }

  /** Forgets the tokens here, then ends the sign-in session at Lapis (which asks the user to confirm). */
  signOut(): void {
    this.#saved = undefined;
    sessionStorage.removeItem(STORE_KEY);
    const q = new URLSearchParams({ client_id: this.config.clientId, post_logout_redirect_uri: this.config.portalUrl });
    location.assign(`${this.#endpoint}/logout?${q}`);
  }

  async #token(form: Record<string, string>): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.#endpoint}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: this.config.clientId, ...form }),
    });
    const body = await res.json().catch(() => ({})) as Record<string, unknown>;
    if (!res.ok) throw new Error(String(body.error_description ?? body.error ?? `token request failed (HTTP ${res.status})`));
    return body;
  }

  #persist(): void {
    if (this.#saved) sessionStorage.setItem(STORE_KEY, JSON.stringify(this.#saved));
  }
}
