import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CertificateError, TokenRejected, type IdentityService, type Application } from '../../identity/index.ts';
import { GE, GraphError } from './errors.ts';
import { applicationJson, keyCredentialJson, passwordCredentialJson, selectProperties, servicePrincipalJson, userJson } from './shapes.ts';
import { sendGraphFallback } from './fallback.ts';
import { addKeyBody, keyCredentialInput, replacementList, verifyProof } from './key-credentials.ts';
import { checkPasswordProfile, passwordProfile, userRoutes } from './users.ts';

export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', 'https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000'];
const MAX_GRAPH_BODY = 128 * 1024;

const identifierUri = z.string().min(1).max(256).regex(/^[a-z][a-z0-9+.-]*:\/\/?\S+$/i, 'expected an Application ID URI such as api://name');
const appBody = z.strictObject({
  displayName: z.string().min(1).max(256),
  identifierUris: z.array(identifierUri).max(50).optional(),
  isFallbackPublicClient: z.boolean().nullable().optional(),
  api: z.looseObject({ requestedAccessTokenVersion: z.union([z.literal(1), z.literal(2), z.null()]).optional() }).optional(),
  signInAudience: z.literal('AzureADMyOrg').optional(),
  keyCredentials: z.array(keyCredentialInput).max(20).optional(),
});
const addPasswordBody = z.strictObject({
  passwordCredential: z.strictObject({
    displayName: z.string().max(256).optional(),
    endDateTime: z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 date-time').optional(),
    startDateTime: z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 date-time').optional(),
  }).optional(),
});
const keyIdBody = z.strictObject({ keyId: z.string().uuid() });
const userBody = z.strictObject({
  userPrincipalName: z.string().min(3).max(113).regex(/^[^@\s]+@[^@\s]+$/, 'expected user@domain'),
  displayName: z.string().min(1).max(256).optional(),
  accountEnabled: z.boolean().optional(),
  mailNickname: z.string().max(64).optional(),
  passwordProfile,
});

export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  throw GE.badRequest(`Invalid value for '${first.path.join('.') || 'body'}': ${first.message}`);
}

/**
 * The part of Microsoft Graph (v1.0) that manages what Lapis's identity service knows:
 * applications and their credentials, service principals, users. Callers present a token for
 * `https://graph.microsoft.com` from a directory administrator (the host's identity, or the
 * bootstrap administrator).
 */
const KEYED_ROUTE = '/v1.0/:keyed';
const KEYED = /^(servicePrincipals|applications)\(appId='([^'/]{1,100})'\)$/i;
/** Graph lets an application roll its own certificates (addKey/removeKey, with a proof) without a directory role. */
const SELF_SERVICE = /^\/v1\.0\/applications\/([^/?]+)\/(?:addKey|removeKey)(?:\?|$)/i;

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export async function graphRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const dir = identity.directory;
  /** Requests from an application acting on itself (not a directory administrator): removeKey needs their proof. */
  const selfService = new WeakSet<FastifyRequest>();

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const g = err instanceof GraphError ? err
      : err instanceof CertificateError ? GE.badRequest(`Invalid keyCredentials: ${err.message}`)
        : (err.statusCode ?? 500) < 500 ? GE.badRequest(err.message.slice(0, 200)) : undefined;
    if (!g) {
      req.log.error({ err }, 'graph request failed');
      return reply.code(500).send(GE.internal().body());
    }
    const cid = req.headers['client-request-id'];
    if (g.challenge) void reply.header('www-authenticate', g.challenge);
    return reply.code(g.status).send(g.body(typeof cid === 'string' ? cid.slice(0, 64) : undefined));
  });

  app.addHook('onRequest', async (req) => {
    // A segment that is no alternate key gets Graph's unauthenticated 400, as any unknown path does.
    if (req.routeOptions.url === KEYED_ROUTE && !KEYED.test((req.params as { keyed?: string }).keyed ?? '')) return;
    const header = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    try {
      const v = await identity.verifier.verify(token, { audiences: GRAPH_AUDIENCES });
      if (dir.isDirectoryAdmin(v.principalId)) return;
      const own = SELF_SERVICE.exec(req.url)?.[1];
      const app = own ? dir.findApplication(safeDecode(own)) : undefined;
      if (!app || dir.servicePrincipal(app.appId)?.id !== v.principalId) throw GE.forbidden();
      selfService.add(req);
    } catch (err) {
      if (err instanceof TokenRejected) throw GE.unauthenticated(err.code === 'missing' ? 'Access token is empty.' : err.message, `${identity.issuer.authorityHost.replace(/\/+$/, '')}/${dir.defaultTenant.id}`);
      throw err;
    }
  });

  const tenant = () => dir.defaultTenant.id;
  /** Graph addresses an application by object id; Lapis also takes its appId or display name. */
  const findApp = (ref: string): Application => {
    const found = dir.findApplication(ref);
    if (!found) throw GE.notFound('application', ref);
    return found;
  };
  type AppReq = FastifyRequest<{ Params: { id: string } }>;
  const opts = { bodyLimit: MAX_GRAPH_BODY };

  app.get('/v1.0/applications', async () => ({
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#applications',
    value: dir.applications().map((a) => applicationJson(a)),
  }));
  app.post('/v1.0/applications', opts, async (req, reply) => {
    const b = parse(appBody, req.body);
    if (dir.applications(tenant()).some((a) => a.displayName.toLowerCase() === b.displayName.toLowerCase())) {
      throw GE.conflict(`An application named '${b.displayName}' already exists.`);
    }
    for (const uri of b.identifierUris ?? []) {
      if (dir.findResourceApplication(tenant(), uri)) throw GE.conflict(`Another object with the same value for property identifierUris already exists: '${uri}'.`);
    }
    const created = await dir.upsertApplication(tenant(), {
      displayName: b.displayName, identifierUris: b.identifierUris, isFallbackPublicClient: b.isFallbackPublicClient ?? false,
      requestedAccessTokenVersion: b.api?.requestedAccessTokenVersion,
      keyCredentials: b.keyCredentials?.map((k) => ({ key: k.key, keyId: k.keyId, displayName: k.displayName ?? undefined })),
    });
    return reply.code(201).send(applicationJson(created));
  });
  /** One application; `$select=keyCredentials` is where Graph returns each certificate's `key`. */
  const oneApp = (a: Application, query: unknown) => {
    const select = (query as { $select?: unknown }).$select;
    if (select === undefined) return applicationJson(a);
    if (typeof select !== 'string' || select.length > 1000) throw GE.badRequest('Invalid $select.');
    return selectProperties(applicationJson(a, true), select, 'applications', 'application');
  };
  const getApp = async (req: AppReq) => oneApp(findApp(req.params.id), req.query);
  app.get('/v1.0/applications/:id', getApp);
  app.patch('/v1.0/applications/:id', opts, async (req: AppReq, reply: FastifyReply) => {
    const a = findApp(req.params.id);
    const b = parse(appBody.partial(), req.body);
    for (const uri of b.identifierUris ?? []) {
      const other = dir.findResourceApplication(a.tenantId, uri);
      if (other && other.appId !== a.appId) throw GE.conflict(`Another object with the same value for property identifierUris already exists: '${uri}'.`);
    }
    await dir.updateApplication(a.appId, {
      displayName: b.displayName, identifierUris: b.identifierUris, isFallbackPublicClient: b.isFallbackPublicClient ?? undefined,
      requestedAccessTokenVersion: b.api?.requestedAccessTokenVersion,
    });
    if (b.keyCredentials) {
      // Graph replaces the whole collection on PATCH: certificates re-sent (with their key) are kept.
      const wanted = b.keyCredentials;
      await dir.setCertificates(a.appId, (current) => replacementList(dir, current, wanted));
    }
    return reply.code(204).send();
  });
  app.delete('/v1.0/applications/:id', async (req: AppReq, reply: FastifyReply) => {
    await dir.deleteApplication(findApp(req.params.id).appId);
    return reply.code(204).send();
  });
  app.post('/v1.0/applications/:id/addPassword', opts, async (req: AppReq) => {
    const a = findApp(req.params.id);
    const b = parse(addPasswordBody, req.body).passwordCredential ?? {};
    const { credential, secretText } = await dir.addPassword(a.appId, b);
    return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential', ...passwordCredentialJson(credential, secretText) };
  });
  app.post('/v1.0/applications/:id/removePassword', opts, async (req: AppReq, reply: FastifyReply) => {
    const a = findApp(req.params.id);
    const { keyId } = parse(keyIdBody, req.body);
    if (!(await dir.removePassword(a.appId, keyId))) throw GE.notFound('passwordCredential', keyId);
    return reply.code(204).send();
  });
  app.post('/v1.0/applications/:id/addKey', opts, async (req: AppReq) => {
    const a = findApp(req.params.id);
    const b = parse(addKeyBody, req.body);
    await verifyProof(a, b.proof);
    const cred = dir.certificateCredential(randomUUID(), b.keyCredential.displayName ?? undefined, b.keyCredential.key);
    if (a.keyCredentials.some((k) => k.x5tS256 === cred.x5tS256)) throw GE.badRequest('The application already has this certificate.');
    await dir.setCertificates(a.appId, (current) => [...current, cred]);
    return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.keyCredential', ...keyCredentialJson(cred) };
  });
  app.post('/v1.0/applications/:id/removeKey', opts, async (req: AppReq, reply: FastifyReply) => {
    const a = findApp(req.params.id);
    const { keyId, proof } = parse(keyIdBody.extend({ proof: z.string().max(16 * 1024).optional() }), req.body);
    // An application removing its own key proves possession, as in Graph; an administrator (lapis ad) need not.
    if (selfService.has(req)) await verifyProof(a, proof);
    if (!(await dir.removeCertificate(a.appId, keyId))) throw GE.notFound('keyCredential', keyId);
    return reply.code(204).send();
  });
  app.get('/v1.0/applications/:id/keyCredentials', async (req: AppReq) => ({ value: findApp(req.params.id).keyCredentials.map((k) => keyCredentialJson(k)) }));

  app.get('/v1.0/servicePrincipals', async () => ({
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#servicePrincipals',
    value: dir.servicePrincipals().map(servicePrincipalJson),
  }));
  app.get('/v1.0/servicePrincipals/:id', async (req: AppReq) => {
    const ref = req.params.id.toLowerCase();
    const sp = dir.servicePrincipal(ref) ?? dir.servicePrincipals().find((s) => s.id === ref);
    if (!sp) throw GE.notFound('servicePrincipal', req.params.id);
    return servicePrincipalJson(sp);
  });

  // Graph's alternate key: `servicePrincipals(appId='…')`, `applications(appId='…')` (static routes win over this one).
  app.get(KEYED_ROUTE, async (req: FastifyRequest<{ Params: { keyed: string } }>, reply: FastifyReply) => {
    const m = KEYED.exec(req.params.keyed);
    if (!m) return sendGraphFallback(req, reply);
    const appId = m[2]!.toLowerCase();
    if (m[1]!.toLowerCase() === 'applications') {
      const found = dir.applications().find((a) => a.appId.toLowerCase() === appId);
      if (!found) throw GE.notFound('application', m[2]!);
      return oneApp(found, req.query);
    }
    const sp = dir.servicePrincipal(appId);
    if (!sp) throw GE.notFound('servicePrincipal', m[2]!);
    return servicePrincipalJson(sp);
  });

  await userRoutes(app, dir, opts);
  app.get('/v1.0/users', async () => ({ value: dir.users().map(userJson) }));
  app.post('/v1.0/users', opts, async (req, reply) => {
    const b = parse(userBody, req.body);
    checkPasswordProfile(b.passwordProfile);
    if (dir.getUser(b.userPrincipalName)) throw GE.conflict(`Another object with the same value for property userPrincipalName already exists.`);
    const domain = b.userPrincipalName.split('@')[1]!.toLowerCase();
    const t = dir.tenants().find((x) => x.domains.includes(domain));
    if (!t) throw GE.badRequest(`The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.`);
    const u = await dir.upsertUser(t.id, { userPrincipalName: b.userPrincipalName, displayName: b.displayName, password: b.passwordProfile.password });
    return reply.code(201).send(userJson(u));
  });
}
