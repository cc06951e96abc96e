import type { Directory } from './directory.ts';
import { E } from './errors.ts';
import type { Application, Tenant } from './model.ts';
import { JWT_BEARER, ReplayCache, verifyClientAssertion } from './client-assertion.ts';
import { EntraError } from './errors.ts';
import { SmartLockout } from './lockout.ts';
import { parseScope, resolveResource, type ResolvedResource } from './resources.ts';
import type { ClientPrincipal, TokenIssuer } from './tokens.ts';
import { INTERACTIVE_GRANTS, type InteractiveGrants } from './interactive-grants.ts';

/** Which token endpoint was called: it decides the response format (v1 strings, v2 numbers). */
export type EndpointVersion = 'v1' | 'v2';

export interface TokenCall {
  tenantSegment: string;
  endpoint: EndpointVersion;
  /** Form parameters, already checked for duplicates and size. */
  form: Map<string, string>;
  /** Every URL by which this tenant's token endpoint may be named in a client assertion's `aud`. */
  assertionAudiences: (tenant: Tenant) => string[];
}

/**
 * The OAuth 2.0 token endpoint's logic (client credentials with secret or certificate assertion,
 * and the resource-owner password grant), independent of HTTP.
 */
export class TokenService {
  readonly #dir: Directory;
  readonly #issuer: TokenIssuer;
  readonly #replay: ReplayCache;
  readonly lockout: SmartLockout;
  /** The authorization-code, refresh-token and device-code grants (set by the identity service). */
  interactive?: InteractiveGrants;

  constructor(dir: Directory, issuer: TokenIssuer, replay: ReplayCache = new ReplayCache(), lockout = new SmartLockout()) {
    this.#dir = dir;
    this.#issuer = issuer;
    this.#replay = replay;
    this.lockout = lockout;
  }

  async handle(call: TokenCall): Promise<Record<string, unknown>> {
    const f = call.form;
    const grant = f.get('grant_type');
    if (!grant) throw E.missingParam('grant_type');
    if (this.interactive && INTERACTIVE_GRANTS.has(grant)) return this.interactive.handle(call, grant);
    if (grant !== 'client_credentials' && grant !== 'password') throw E.unsupportedGrant(grant.slice(0, 64));
    const clientId = f.get('client_id');
    if (!clientId) throw E.missingParam('client_id');

    const resolved = this.#dir.resolveTenant(call.tenantSegment);
    if (resolved === undefined) throw E.tenantNotFound(call.tenantSegment);
    let tenant: Tenant;
    if (resolved === 'common' || resolved === 'organizations') {
      if (grant !== 'password') throw E.tenantRequired(resolved);
      const user = this.#dir.getUser(f.get('username') ?? '');
      if (!user) throw E.wrongPassword();
      tenant = this.#dir.getTenant(user.tenantId)!;
    } else {
      tenant = resolved;
    }

    const requested = this.#requestedResource(call.endpoint, f, grant === 'client_credentials');
    const app = this.#dir.getApplication(tenant.id, clientId);
    if (!app) throw E.appNotFound(clientId.slice(0, 64), tenant.id);

    if (grant === 'client_credentials') {
      const client = await this.#authenticateClient(app, f, () => call.assertionAudiences(tenant), requested.resource);
      const resource = resolveResource(this.#dir, tenant, requested.resource);
      const token = await this.#issuer.issue({ tenantId: tenant.id, audience: resource.audience, version: resource.version, client });
      return formatResponse(call.endpoint, token, resource, isAdfs(call));
    }
    return this.#passwordGrant(call, tenant, app, requested);
  }

  #requestedResource(endpoint: EndpointVersion, f: Map<string, string>, clientCredentials: boolean): { resource: string; scope?: string; scopes: string[] } {
    const scope = f.get('scope');
    const resource = f.get('resource');
    // v2 takes scope; v1 takes resource (and, as Entra does, tolerates scope instead).
    if (endpoint === 'v2' || (scope && !resource)) {
      if (!scope) throw E.missingParam('scope');
      const parsed = parseScope(scope, clientCredentials);
      return { resource: parsed.resource, scope, scopes: parsed.scopes };
    }
    if (!resource) throw E.missingParam('resource');
    return { resource, scopes: ['user_impersonation'] };
  }

  /** A confidential client's credential check, with its lockout, for the interactive grants. */
  authenticateClient(app: Application, f: Map<string, string>, audiences: string[], resource: string): Promise<ClientPrincipal> {
    return this.#authenticateClient(app, f, () => audiences, resource);
  }

  /** `audiences` is asked for only when a client assertion is checked (a secret needs none). */
  async #authenticateClient(app: Application, f: Map<string, string>, audiences: () => string[], resource: string): Promise<ClientPrincipal> {
    const sp = this.#dir.servicePrincipal(app.appId);
    if (!sp) throw E.appNotFound(app.appId, app.tenantId);
    const secret = f.get('client_secret');
    const assertion = f.get('client_assertion');
    if (secret !== undefined && assertion !== undefined) throw E.malformed('Send either client_secret or client_assertion, not both.');
    if (secret === undefined && assertion === undefined) throw E.noCredential();
    if (assertion !== undefined && f.get('client_assertion_type') !== JWT_BEARER) throw E.assertionType();
    // Smart lockout per (tenant, client): while locked, the credential is not even checked.
    const key = `${app.tenantId}|${app.appId}`;
    const locked = this.lockout.lockedFor(key);
    if (locked) throw E.clientLockedOut(app.appId, locked);
    try {
      if (secret !== undefined) {
        const check = await this.#dir.checkClientSecret(app, secret);
        if (check === 'wrong') throw E.wrongSecret(app.appId);
        if (check === 'expired') throw E.expiredSecret(app.appId);
      } else {
        await verifyClientAssertion(this.#dir, app, assertion!, audiences(), resource, this.#replay);
      }
    } catch (err) {
      if (err instanceof EntraError && err.aadsts !== 7000222) await this.#failed(key, (seconds) => E.clientLockedOut(app.appId, seconds));
      throw err;
    }
    await this.lockout.succeeded(key);
    return { appId: app.appId, objectId: sp.id, authMethod: secret !== undefined ? '1' : '2' };
  }

  /** Counts a failed sign-in (on every node); the failure that starts a lockout is answered with the lockout. */
  async #failed(key: string, lockedOut: (seconds: number) => EntraError): Promise<void> {
    const seconds = await this.lockout.failed(key);
    if (seconds) throw lockedOut(seconds);
  }

  async #passwordGrant(call: TokenCall, tenant: Tenant, app: Application, requested: { resource: string; scope?: string; scopes: string[] }): Promise<Record<string, unknown>> {
    const f = call.form;
    // A confidential client may use ROPC with its secret; a public one sends none.
    if (f.has('client_secret') || f.has('client_assertion')) {
      await this.#authenticateClient(app, f, () => call.assertionAudiences(tenant), requested.resource);
    } else if (!app.isFallbackPublicClient) {
      throw E.notPublicClient();
    }
    const username = f.get('username');
    const password = f.get('password');
    if (!username) throw E.missingParam('username');
    if (!password) throw E.missingParam('password');
    // Smart lockout per (tenant, user name), whether or not the user exists (no enumeration).
    const key = `${tenant.id}|${username.toLowerCase()}`;
    const locked = this.lockout.lockedFor(key);
    if (locked) throw E.userLockedOut(locked);
    const user = this.#dir.getUser(username);
    if (!user || user.tenantId !== tenant.id || !(await this.#dir.checkPassword(user, password))) {
      await this.#failed(key, (seconds) => E.userLockedOut(seconds));
      throw E.wrongPassword();
    }
    await this.lockout.succeeded(key);
    const resource = resolveResource(this.#dir, tenant, requested.resource);
    const principal = { objectId: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName };
    const token = await this.#issuer.issue({
      tenantId: tenant.id, audience: resource.audience, version: resource.version,
      client: { appId: app.appId, objectId: app.id, authMethod: f.has('client_secret') ? '1' : '0' },
      user: principal, scopes: requested.scopes.join(' '),
    });
    const body = formatResponse(call.endpoint, token, resource, isAdfs(call));
    if (call.endpoint === 'v2') {
      // With an ID token and client_info MSAL caches the account and serves repeats from cache.
      body.id_token = await this.#issuer.issueIdToken(tenant.id, app.appId, principal);
      body.client_info = Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })).toString('base64url');
      // Echo the resource scopes as requested: MSAL looks its cache up by them.
      body.scope = (requested.scope ?? '').split(' ').filter((s) => s.includes('/')).join(' ');
    }
    return body;
  }
}

/** Called through the `adfs` alias: MSAL and the az CLI then expect AD FS's response, with numbers. */
const isAdfs = (call: TokenCall) => call.tenantSegment.toLowerCase() === 'adfs';

/**
 * v2 answers with numbers; Entra's v1 endpoint with strings; AD FS (the `adfs` alias, which the
 * az CLI uses for a custom cloud) with numbers: the az CLI adds `expires_in` to the clock as is.
 */
function formatResponse(endpoint: EndpointVersion, token: { accessToken: string; expiresIn: number; expiresOn: number; notBefore: number }, resource: ResolvedResource, adfs = false): Record<string, unknown> {
  if (endpoint === 'v2') {
    return { token_type: 'Bearer', expires_in: token.expiresIn, ext_expires_in: token.expiresIn, access_token: token.accessToken };
  }
  if (adfs) {
    return {
      token_type: 'Bearer', expires_in: token.expiresIn, ext_expires_in: token.expiresIn, expires_on: token.expiresOn,
      not_before: token.notBefore, resource: resource.requested, access_token: token.accessToken,
    };
  }
  return {
    token_type: 'Bearer', expires_in: String(token.expiresIn), ext_expires_in: String(token.expiresIn),
    expires_on: String(token.expiresOn), not_before: String(token.notBefore), resource: resource.requested,
    access_token: token.accessToken,
  };
}
