import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EntraError, E } from './errors.ts';
import { registerFormParser } from './form.ts';
import type { Directory } from './directory.ts';
import type { KeyRing } from './signing-keys.ts';
import type { Tenant } from './model.ts';
import type { EndpointVersion, TokenService } from './token-service.ts';
import { issuerV1, issuerV2 } from './tokens.ts';
import { userRealmRoutes } from './user-realm.ts';

/** Entra tenant segments are GUIDs, domain names or the well-known names; nothing else. */
const TENANT_SEGMENT = /^[0-9A-Za-z][0-9A-Za-z.-]{0,255}$/;

export interface OAuthRoutesDeps { directory: Directory; keys: KeyRing; tokens: TokenService; authorityHost: string }

/**
 * The Entra-shaped identity endpoints on the main HTTPS origin: token endpoints (v1 and v2),
 * OpenID discovery (v1, v2, and the `adfs` form), JWKS and instance discovery.
 */
export async function oauthRoutes(app: FastifyInstance, deps: OAuthRoutesDeps): Promise<void> {
  const { directory, keys, tokens } = deps;
  const host = deps.authorityHost.replace(/\/+$/, '');
  registerFormParser(app);

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const entra = err instanceof EntraError ? err
      : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? E.malformed('The request body is too large.')
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? E.malformed("The request body must be 'application/x-www-form-urlencoded'.")
          : (err.statusCode ?? 500) < 500 ? E.malformed(err.message.slice(0, 200))
            : undefined;
    if (!entra) {
      req.log.error({ err }, 'identity endpoint failed');
      const e = E.serverError();
      return reply.code(500).send(e.body(correlation(req)));
    }
    if (entra.retryAfter) void reply.header('retry-after', String(entra.retryAfter));
    return reply.code(entra.status).header('cache-control', 'no-store').send(entra.body(correlation(req)));
  });

  const tenantOf = (segment: string): Tenant | 'common' | 'organizations' => {
    if (!TENANT_SEGMENT.test(segment)) throw E.tenantNotFound(segment.slice(0, 64));
    const t = directory.resolveTenant(segment);
    if (!t) throw E.tenantNotFound(segment);
    return t;
  };

  /** Token endpoint URLs that a client assertion's `aud` may name for this tenant. */
  const assertionAudiences = (req: FastifyRequest) => (tenant: Tenant): string[] => {
    const segments = [tenant.id, ...tenant.domains, ...(tenant.isDefault ? ['adfs'] : [])];
    const called = `${host}${req.url.split('?')[0]}`;
    return [called, ...segments.flatMap((s) => [`${host}/${s}/oauth2/token`, `${host}/${s}/oauth2/v2.0/token`])];
  };

  const token = (endpoint: EndpointVersion) => async (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
    if (!(req.body instanceof Map)) throw E.malformed("The request body must be 'application/x-www-form-urlencoded'.");
    tenantOf(req.params.tenant);
    applyBasicAuth(req.headers.authorization, req.body as Map<string, string>);
    const body = await tokens.handle({
      tenantSegment: req.params.tenant, endpoint, form: req.body as Map<string, string>,
      assertionAudiences: assertionAudiences(req),
    });
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(body);
  };
  userRealmRoutes(app, directory);
  app.post('/:tenant/oauth2/token', token('v1'));
  app.post('/:tenant/oauth2/v2.0/token', token('v2'));
  const onlyPost = async (req: FastifyRequest) => {
    throw E.postOnly(req.method);
  };
  app.get('/:tenant/oauth2/token', onlyPost);
  app.get('/:tenant/oauth2/v2.0/token', onlyPost);

  app.get('/:tenant/v2.0/.well-known/openid-configuration', async (req: FastifyRequest<{ Params: { tenant: string } }>) => {
    const t = tenantOf(req.params.tenant);
    return openIdConfiguration(host, typeof t === 'string' ? '{tenantid}' : t.id, typeof t === 'string' ? t : t.id, 'v2');
  });
  app.get('/:tenant/.well-known/openid-configuration', async (req: FastifyRequest<{ Params: { tenant: string } }>) => {
    if (req.params.tenant.toLowerCase() === 'adfs') return adfsConfiguration(host, directory.defaultTenant.id);
    const t = tenantOf(req.params.tenant);
    return openIdConfiguration(host, typeof t === 'string' ? '{tenantid}' : t.id, typeof t === 'string' ? t : t.id, 'v1');
  });

  const jwks = async (req: FastifyRequest<{ Params: { tenant?: string } }>, reply: FastifyReply) => {
    if (req.params.tenant !== undefined) tenantOf(req.params.tenant);
    return reply.header('cache-control', 'public, max-age=3600').send(keys.jwks());
  };
  app.get('/:tenant/discovery/keys', jwks);
  app.get('/:tenant/discovery/v2.0/keys', jwks);
  app.get('/discovery/keys', jwks);
  app.get('/discovery/v2.0/keys', jwks);

  // MSAL sends this to Microsoft, never to us; served for tools that ask the authority itself.
  app.get('/common/discovery/instance', async () => {
    const h = new URL(host).host;
    return {
      tenant_discovery_endpoint: `${host}/common/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: h, preferred_cache: h, aliases: [h] }],
    };
  });
}

/**
 * client_secret_basic (RFC 6749 §2.3.1): client id and secret, each form-urlencoded, in an HTTP
 * Basic header. Folded into the form so one code path authenticates; sending both is refused.
 */
function applyBasicAuth(header: string | undefined, form: Map<string, string>): void {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]{1,4096})$/i.exec(header) : null;
  if (!m) return;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw E.malformed('The Basic authorization header is malformed.');
  let id: string;
  let secret: string;
  try {
    id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  } catch {
    throw E.malformed('The Basic authorization header is malformed.');
  }
  if (form.has('client_secret') || form.has('client_assertion')) throw E.malformed('Send the client credential once: in the header or in the body.');
  if (form.has('client_id') && form.get('client_id')!.toLowerCase() !== id.toLowerCase()) throw E.malformed('The client_id in the body differs from the one in the Basic header.');
  form.set('client_id', id);
  form.set('client_secret', secret);
}

function correlation(req: FastifyRequest): string | undefined {
  const q = (req.query as Record<string, unknown> | undefined)?.['client-request-id'];
  const h = req.headers['client-request-id'] ?? req.headers['x-ms-client-request-id'];
  return typeof q === 'string' ? q : typeof h === 'string' ? h : undefined;
}

/** The v1 or v2 OpenID document; `issuerTenant` is the literal `{tenantid}` for common endpoints. */
export function openIdConfiguration(host: string, issuerTenant: string, pathTenant: string, version: 'v1' | 'v2'): Record<string, unknown> {
  const v2 = version === 'v2';
  const base = `${host}/${pathTenant}`;
  return {
    token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: v2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: v2 ? issuerV2(host, issuerTenant) : issuerV1(host, issuerTenant),
    request_uri_parameter_supported: false,
    authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
    device_authorization_endpoint: v2 ? `${base}/oauth2/v2.0/devicecode` : `${base}/oauth2/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: v2 ? `${base}/oauth2/v2.0/logout` : `${base}/oauth2/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    tenant_region_scope: 'WW',
    cloud_instance_name: 'lapis.local',
  };
}

/**
 * `AZURE_TENANT_ID=adfs` makes the SDK skip instance discovery; the default tenant answers. The
 * issuer is the default tenant's v1 issuer, so this document validates the (v1) tokens it leads to.
 */
function adfsConfiguration(host: string, defaultTenantId: string): Record<string, unknown> {
  const base = `${host}/adfs`;
  return {
    issuer: issuerV1(host, defaultTenantId),
    authorization_endpoint: `${base}/oauth2/authorize`,
    token_endpoint: `${base}/oauth2/token`,
    device_authorization_endpoint: `${base}/oauth2/devicecode`,
    jwks_uri: `${base}/discovery/keys`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
  };
}
