import { createHash, timingSafeEqual } from 'node:crypto';
import type { Directory } from './directory.ts';
import { E } from './errors.ts';
import type { Application, Tenant, User } from './model.ts';
import type { Grant, InteractiveStore } from './interactive-store.ts';
import { parseScope, resolveResource } from './resources.ts';
import type { ClientPrincipal, TokenIssuer } from './tokens.ts';
import type { TokenCall } from './token-service.ts';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const INTERACTIVE_GRANTS: ReadonlySet<string> = new Set(['authorization_code', 'refresh_token', DEVICE_CODE_GRANT, 'device_code']);

/** Authenticates a confidential client's secret or assertion (the token service's own check, with lockout). */
export type ClientAuthenticator = (app: Application, form: Map<string, string>, audiences: string[], resource: string) => Promise<ClientPrincipal>;

/**
 * The token endpoint's user grants that follow an interactive sign-in: the authorization code
 * (with PKCE), the refresh token (rotated on every use) and the device code.
 */
export class InteractiveGrants {
  readonly #dir: Directory;
  readonly #issuer: TokenIssuer;
  readonly #state: InteractiveStore;
  readonly #authenticate: ClientAuthenticator;

  constructor(dir: Directory, issuer: TokenIssuer, state: InteractiveStore, authenticate: ClientAuthenticator) {
    this.#dir = dir;
    this.#issuer = issuer;
    this.#state = state;
    this.#authenticate = authenticate;
  }

  async handle(call: TokenCall, grantType: string): Promise<Record<string, unknown>> {
    // These grants answer in the v2 shape (scope, id_token, client_info): MSAL uses the v2 endpoint for
    // them, or the `adfs` authority's (MSAL's AD FS path, which `az login` takes against Lapis).
    if (call.endpoint !== 'v2' && call.tenantSegment.toLowerCase() !== 'adfs') throw E.unsupportedGrant(grantType);
    const f = call.form;
    const clientId = f.get('client_id');
    if (!clientId) throw E.missingParam('client_id');
    if (this.#dir.resolveTenant(call.tenantSegment) === undefined) throw E.tenantNotFound(call.tenantSegment);
    if (grantType === 'authorization_code') return this.#code(call, clientId.toLowerCase());
    if (grantType === 'refresh_token') return this.#refresh(call, clientId.toLowerCase());
    return this.#device(call, clientId.toLowerCase());
  }

  async #code(call: TokenCall, clientId: string): Promise<Record<string, unknown>> {
    const f = call.form;
    const code = f.get('code');
    if (!code) throw E.missingParam('code');
    const familyId = this.#state.newFamily();
    const rec = await this.#state.redeemCode(code, familyId);
    if (rec.clientId !== clientId) throw E.badGrant('code');
    const { tenant, app } = this.#context(call, rec);
    if ((f.get('redirect_uri') ?? '') !== rec.redirectUri) throw E.replyMismatch();
    if (rec.codeChallenge !== undefined) {
      const verifier = f.get('code_verifier');
      if (!verifier) throw E.pkceMismatch();
      const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
      const expected = Buffer.from(rec.codeChallenge);
      if (computed.length !== expected.length || !timingSafeEqual(computed, expected)) throw E.pkceMismatch();
    }
    const authMethod = await this.#clientAuth(call, tenant, app, rec);
    return this.#respond(tenant, app, rec, scopeFor(f.get('scope'), rec.scope), familyId, authMethod, rec.nonce);
  }

  async #refresh(call: TokenCall, clientId: string): Promise<Record<string, unknown>> {
    const f = call.form;
    const token = f.get('refresh_token');
    if (!token) throw E.missingParam('refresh_token');
    const rec = await this.#state.useRefreshToken(token);
    if (rec.clientId !== clientId) throw E.badGrant('refresh_token');
    const { tenant, app } = this.#context(call, rec);
    const authMethod = await this.#clientAuth(call, tenant, app, rec);
    // Refresh tokens are multi-resource, as Entra's: any resource of the tenant may be asked for.
    return this.#respond(tenant, app, rec, scopeFor(f.get('scope'), rec.scope), rec.familyId, authMethod);
  }

  async #device(call: TokenCall, clientId: string): Promise<Record<string, unknown>> {
    const f = call.form;
    const deviceCode = f.get('device_code') ?? f.get('code');
    if (!deviceCode) throw E.missingParam('device_code');
    const rec = await this.#state.pollDevice(deviceCode);
    if (rec.clientId !== clientId) throw E.badDeviceCode();
    const { tenant, app } = this.#context(call, rec);
    const authMethod = await this.#clientAuth(call, tenant, app, rec);
    return this.#respond(tenant, app, rec, scopeFor(f.get('scope'), rec.scope), this.#state.newFamily(), authMethod);
  }

  /** The grant's tenant and client, which must still exist and match the tenant the client called. */
  #context(call: TokenCall, grant: Omit<Grant, 'userId' | 'authTime'>): { tenant: Tenant; app: Application } {
    const resolved = this.#dir.resolveTenant(call.tenantSegment);
    const tenant = this.#dir.getTenant(grant.tenantId);
    if (!tenant || (typeof resolved === 'object' && resolved.id !== tenant.id)) throw E.badGrant('tenant');
    const app = this.#dir.getApplication(tenant.id, grant.clientId);
    if (!app) throw E.appNotFound(grant.clientId, tenant.id);
    return { tenant, app };
  }

  /** Public clients redeem without a credential; confidential ones authenticate (a credential sent is always checked). */
  async #clientAuth(call: TokenCall, tenant: Tenant, app: Application, grant: { publicClient: boolean; scope: string }): Promise<'0' | '1' | '2'> {
    const f = call.form;
    if (f.has('client_secret') || f.has('client_assertion')) {
      const resource = parseScope(grant.scope, false).resource;
      return (await this.#authenticate(app, f, call.assertionAudiences(tenant), resource)).authMethod;
    }
    if (!grant.publicClient && !app.isFallbackPublicClient) throw E.noCredential();
    return '0';
  }

  async #respond(tenant: Tenant, app: Application, grant: Grant, scope: string, familyId: string, authMethod: '0' | '1' | '2', nonce?: string): Promise<Record<string, unknown>> {
    const user = this.#dir.getUserById(grant.userId);
    if (!user || user.tenantId !== tenant.id) throw E.badGrant('grant'); // the user was deleted since signing in
    // An administrator reset the password after this sign-in: its codes and refresh tokens are over (as Entra).
    if (user.passwordChangedAt !== undefined && grant.authTime < user.passwordChangedAt) throw E.passwordChanged();
    const requested = parseScope(scope, false);
    const resource = resolveResource(this.#dir, tenant, requested.resource);
    const principal = principalOf(user);
    const token = await this.#issuer.issue({
      tenantId: tenant.id, audience: resource.audience, version: resource.version,
      client: { appId: app.appId, objectId: app.id, authMethod }, user: principal, scopes: requested.scopes.join(' '),
    });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      // Echo the resource scopes as requested: MSAL looks its cache up by them.
      scope: scope.split(' ').filter((s) => s.includes('/')).join(' '),
      expires_in: token.expiresIn, ext_expires_in: token.expiresIn, access_token: token.accessToken,
    };
    if (/\boffline_access\b/.test(grant.scope) || /\boffline_access\b/.test(scope)) {
      body.refresh_token = await this.#state.issueRefreshToken({ ...grant, scope: grant.scope }, familyId);
      // A reuse of the code or token that raced this rotation revoked the family: do not hand out its newest member.
      if (await this.#state.familyRevoked(familyId)) throw E.refreshRevoked();
    }
    if (/\bopenid\b/.test(grant.scope)) {
      body.id_token = await this.#issuer.issueIdToken(tenant.id, app.appId, principal, undefined, { nonce, authTime: grant.authTime });
    }
    body.client_info = Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })).toString('base64url');
    return body;
  }
}

/** The token request's scope; when it names no resource (only OpenID scopes, or none), the sign-in's resource. */
function scopeFor(requested: string | undefined, granted: string): string {
  if (!requested || !requested.split(' ').some((s) => s.includes('/'))) return `${requested ?? ''} ${granted.split(' ').filter((s) => s.includes('/')).join(' ')}`.trim();
  return requested;
}

export function principalOf(user: User): { objectId: string; userPrincipalName: string; displayName: string } {
  return { objectId: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName };
}
