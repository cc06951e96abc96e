import type { Directory } from './directory.ts';
import { E, EntraError } from './errors.ts';
import type { Application, Tenant } from './model.ts';
import { matchRedirect, type RedirectKind } from './redirect-uris.ts';
import { parseScope, resolveResource } from './resources.ts';

const MAX_PARAM = 4096;
const PROMPTS = new Set(['login', 'none', 'select_account', 'consent']);
const MODES = new Set(['query', 'fragment', 'form_post']);
/** RFC 7636: 43 to 128 characters of base64url (S256 gives exactly 43). */
const CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
/** Without a resource scope, Entra signs the user in for Microsoft Graph's User.Read. */
const DEFAULT_RESOURCE_SCOPE = 'https://graph.microsoft.com/User.Read';

/** A validated authorization request: everything the code will be bound to. */
export interface AuthorizeRequest {
  tenant: Tenant;
  app: Application;
  redirectUri: string;
  redirectKind: RedirectKind;
  responseMode: 'query' | 'fragment' | 'form_post';
  /** The scope as requested, with a resource scope added when only OpenID scopes were asked for. */
  scope: string;
  state?: string;
  nonce?: string;
  prompt?: 'login' | 'none' | 'select_account' | 'consent';
  loginHint?: string;
  codeChallenge?: string;
}

/**
 * An error found before the redirect URI is trusted: shown on a page, never sent to the URI
 * (Entra does the same, so an attacker cannot use Lapis as an open redirector).
 */
export class PageError extends Error {
  readonly entra: EntraError;
  constructor(entra: EntraError) {
    super(entra.message);
    this.entra = entra;
  }
}

/** An error that goes back to the (validated) redirect URI, as OAuth requires. */
export class RedirectError extends Error {
  readonly entra: EntraError;
  readonly request: Pick<AuthorizeRequest, 'redirectUri' | 'responseMode' | 'state'>;
  constructor(entra: EntraError, request: RedirectError['request']) {
    super(entra.message);
    this.entra = entra;
    this.request = request;
  }
}

function get(params: Map<string, string>, name: string): string | undefined {
  const v = params.get(name);
  if (v !== undefined && v.length > MAX_PARAM) throw new PageError(E.malformed(`The parameter '${name}' is too long.`));
  return v === '' ? undefined : v;
}

/** Validates `/authorize` parameters in Entra's order: tenant, client, redirect URI, then the rest. */
export function parseAuthorizeRequest(dir: Directory, tenantSegment: string, params: Map<string, string>): AuthorizeRequest {
  const resolved = dir.resolveTenant(tenantSegment);
  if (!resolved) throw new PageError(E.tenantNotFound(tenantSegment.slice(0, 64)));
  const clientId = get(params, 'client_id');
  if (!clientId) throw new PageError(E.missingParam('client_id'));
  const app = typeof resolved === 'string' ? dir.findApplication(clientId) : dir.getApplication(resolved.id, clientId);
  if (!app || app.appId !== clientId.toLowerCase()) throw new PageError(E.appNotFound(clientId.slice(0, 64), typeof resolved === 'string' ? resolved : resolved.id));
  const tenant = dir.getTenant(app.tenantId)!;
  const redirectUri = get(params, 'redirect_uri');
  if (!redirectUri) throw new PageError(E.missingParam('redirect_uri'));
  const redirectKind = matchRedirect(app, redirectUri);
  if (!redirectKind) throw new PageError(E.redirectMismatch(redirectUri, app.appId));

  const state = get(params, 'state');
  const mode = get(params, 'response_mode') ?? 'query';
  const back = { redirectUri, responseMode: (MODES.has(mode) ? mode : 'query') as AuthorizeRequest['responseMode'], state };
  const fail = (e: EntraError) => new RedirectError(e, back);
  if (!MODES.has(mode)) throw fail(E.malformed(`response_mode '${mode.slice(0, 32)}' is not supported (query, fragment or form_post).`));
  const responseType = get(params, 'response_type');
  if (!responseType) throw fail(E.missingParam('response_type'));
  if (responseType !== 'code') throw fail(E.unsupportedResponseType(responseType));

  const scopeParam = get(params, 'scope');
  if (!scopeParam) throw fail(E.missingParam('scope'));
  const onlyOidc = scopeParam.split(' ').every((s) => !s || ['openid', 'profile', 'offline_access', 'email'].includes(s.toLowerCase()));
  const scope = onlyOidc ? `${scopeParam} ${DEFAULT_RESOURCE_SCOPE}`.trim() : scopeParam;
  try {
    resolveResource(dir, tenant, parseScope(scope, false).resource);
  } catch (err) {
    if (err instanceof EntraError) throw fail(err);
    throw err;
  }

  const prompt = get(params, 'prompt');
  if (prompt !== undefined && !PROMPTS.has(prompt)) throw fail(E.malformed(`prompt '${prompt.slice(0, 32)}' is not supported (login, none, select_account or consent).`));
  const codeChallenge = get(params, 'code_challenge');
  const method = get(params, 'code_challenge_method');
  if (codeChallenge !== undefined) {
    // RFC 7636 makes a missing method mean 'plain'; Lapis accepts S256 only.
    if (method !== 'S256') throw fail(E.pkcePlain());
    if (!CHALLENGE.test(codeChallenge)) throw fail(E.malformed('code_challenge must be 43 to 128 base64url characters.'));
  } else if (redirectKind !== 'web') {
    throw fail(E.pkceRequired());
  }
  return {
    tenant, app, redirectUri, redirectKind, responseMode: back.responseMode, scope, state,
    nonce: get(params, 'nonce'), prompt: prompt as AuthorizeRequest['prompt'], loginHint: get(params, 'login_hint'), codeChallenge,
  };
}
