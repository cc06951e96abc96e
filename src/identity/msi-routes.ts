import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Directory } from './directory.ts';
import { EntraError, MI, type ManagedIdentityError } from './errors.ts';
import type { ManagedIdentity } from './model.ts';
import { resolveResource } from './resources.ts';
import type { TokenIssuer } from './tokens.ts';
import { equal } from './secrets.ts';

export interface MsiRoutesDeps {
  directory: Directory;
  issuer: TokenIssuer;
  /** The secret App Service hands its apps as IDENTITY_HEADER. */
  identityHeader: string;
  /** The identity a request without a selector gets: the host's system-assigned one. */
  hostIdentity: () => ManagedIdentity;
}

type MiQuery = Record<string, string | undefined>;

/**
 * Managed-identity token endpoints, on plain HTTP as in Azure (the SDK allows it for MI):
 * App Service (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`) and IMDS (reached through
 * `AZURE_POD_IDENTITY_AUTHORITY_HOST`). Failures are 400 JSON, never 404: the SDK retries 404
 * and 410 five times.
 */
export async function msiRoutes(app: FastifyInstance, deps: MsiRoutesDeps): Promise<void> {
  const fail = (reply: FastifyReply, err: ManagedIdentityError) =>
    reply.code(err.status).header('cache-control', 'no-store').send(err.body());

  const issue = async (mi: ManagedIdentity, resourceName: string) => {
    const tenant = deps.directory.getTenant(mi.tenantId);
    if (!tenant) throw new Error(`managed identity ${mi.name} has no tenant`);
    const resource = resolveResource(deps.directory, tenant, resourceName);
    const token = await deps.issuer.issue({
      tenantId: tenant.id, audience: resource.audience, version: resource.version,
      client: { appId: mi.clientId, objectId: mi.principalId, authMethod: '2', managedIdentityResourceId: mi.resourceId },
    });
    return { token, resource };
  };

  const select = (q: MiQuery, names: { client: string; object: string; resource: string }): ManagedIdentity | string => {
    const given = [q[names.client], q[names.object], q[names.resource]].filter((v) => v !== undefined);
    if (given.length > 1) return `Only one of ${names.client}, ${names.object} and ${names.resource} may be given.`;
    if (given.length === 0) return deps.hostIdentity();
    const mi = deps.directory.findManagedIdentity({ clientId: q[names.client], objectId: q[names.object], resourceId: q[names.resource] });
    return mi ?? 'Identity not found';
  };

  const handle = (kind: 'appservice' | 'imds') => async (req: FastifyRequest<{ Querystring: MiQuery }>, reply: FastifyReply) => {
    const q = req.query;
    if (kind === 'appservice') {
      const header = req.headers['x-identity-header'];
      if (typeof header !== 'string' || !equal(header, deps.identityHeader)) {
        return fail(reply, MI.identityHeader());
      }
    } else {
      if (req.headers.metadata !== 'true') return fail(reply, MI.metadataHeader());
      // Azure IMDS refuses proxied requests (an SSRF guard): a forwarding header means a proxy.
      if (req.headers['x-forwarded-for'] !== undefined) return fail(reply, MI.forwarded());
      // IMDS trusts every process on the machine; it must not answer other machines.
      if (!isLoopback(req.ip)) return fail(reply, MI.notLoopback());
    }
    if (!q['api-version']) return fail(reply, MI.missingQuery('api-version'));
    const resourceName = q.resource;
    if (!resourceName) return fail(reply, MI.missingQuery('resource'));
    const mi = kind === 'appservice'
      ? select(q, { client: 'client_id', object: 'object_id', resource: 'mi_res_id' })
      : select(q, { client: 'client_id', object: 'object_id', resource: 'msi_res_id' });
    if (typeof mi === 'string') return fail(reply, MI.badSelector(mi));
    let result: Awaited<ReturnType<typeof issue>>;
    try {
      result = await issue(mi, resourceName);
    } catch (err) {
      if (err instanceof EntraError) return fail(reply, MI.refused(err));
      throw err;
    }
    const { token, resource } = result;
    reply.header('cache-control', 'no-store');
    if (kind === 'appservice') {
      return { access_token: token.accessToken, expires_on: String(token.expiresOn), resource: resource.requested, token_type: 'Bearer', client_id: mi.clientId };
    }
    return {
      access_token: token.accessToken, client_id: mi.clientId, expires_in: String(token.expiresIn),
      expires_on: String(token.expiresOn), ext_expires_in: String(token.expiresIn), not_before: String(token.notBefore),
      resource: resource.requested, token_type: 'Bearer',
    };
  };

  const querySchema = { querystring: { type: 'object', additionalProperties: { type: 'string', maxLength: 1024 } } };
  app.get('/msi/token', { schema: querySchema }, handle('appservice'));
  // MSAL lower-cases the URL and adds a trailing slash; the listener ignores trailing slashes.
  app.get('/metadata/identity/oauth2/token', { schema: querySchema }, handle('imds'));
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}
