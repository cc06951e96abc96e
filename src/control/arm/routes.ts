import { randomUUID } from 'node:crypto';
import type { Advertise } from './service-kind.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  AccessError, AE, isGuid, parseRoleDefinitionInput, parseScope,
  type AccessControl, type ParsedScope,
} from '../../access/index.ts';
import type { IdentityService } from '../../identity/index.ts';
import { authenticateArm, type ArmCaller } from './auth.ts';
import { ARM, ArmError, SUPPORTED_API_VERSIONS } from './errors.ts';
import { parseAssignmentFilter, parseDefinitionFilter } from './odata.ts';
import { permissionJson, roleAssignmentJson, roleDefinitionJson } from './shapes.ts';
import { isSignalRServicePath, signalRServiceArm } from './service-resource.ts';
import { webPubSubKind } from './webpubsub.ts';
import { signalRKind } from './signalr.ts';
import { isSubscriptionsPath, subscriptionsApi } from './subscriptions.ts';
import { isMetadata, registerArmMetadata } from './metadata.ts';
import { isKeyVaultPath, keyVaultArm } from './vaults.ts';
import { isManagedIdentityPath, managedIdentityArm } from './identities.ts';
import { DENIAL_HEADER, denialsApi, recordArmDenial } from './denials.ts';
import type { ResourceRegistry, ServiceResourceRecord } from '../resources.ts';
import { activityLogApi, isActivityLogPath, type ActivityLog } from '../activity/index.ts';
import type { TraceBus } from '../../trace/index.ts';
import { isTracePath, traceApi } from './trace.ts';

export interface ArmDeps {
  access: AccessControl;
  identity: IdentityService;
  /** With it, the Microsoft.SignalRService (Web PubSub, SignalR) resource API is served too. */
  resources?: ResourceRegistry;
  /** Starts serving a Web PubSub or SignalR resource created by PUT; without it, creation is refused (409). */
  startResource?: (record: ServiceResourceRecord) => Promise<void>;
  stopResource?: (name: string) => Promise<void>;
  /** How this node names resource origins (cluster: offset or load balancer); `localhost` and stored ports when absent. */
  advertise?: Advertise | undefined;
  /** With it, the activity log (Microsoft.Insights eventtypes/management/values) is served. */
  activity?: ActivityLog | undefined;
  /** With it, each resource's live trace stream and upstream inspector are served (trace.ts). */
  trace?: TraceBus | undefined;
}

const MAX_ARM_BODY = 256 * 1024;
const ACTION = {
  assignmentRead: 'Microsoft.Authorization/roleAssignments/read',
  assignmentWrite: 'Microsoft.Authorization/roleAssignments/write',
  assignmentDelete: 'Microsoft.Authorization/roleAssignments/delete',
  definitionRead: 'Microsoft.Authorization/roleDefinitions/read',
  definitionWrite: 'Microsoft.Authorization/roleDefinitions/write',
  definitionDelete: 'Microsoft.Authorization/roleDefinitions/delete',
} as const;

const assignmentBody = z.object({
  properties: z.looseObject({
    roleDefinitionId: z.string().min(1).max(1024),
    principalId: z.string().min(1).max(100),
    principalType: z.string().max(40).nullish(),
    description: z.string().max(2048).nullish(),
    condition: z.string().max(8192).nullish(),
    conditionVersion: z.string().max(10).nullish(),
    delegatedManagedIdentityResourceId: z.string().max(1024).nullish(),
    scope: z.string().max(2048).nullish(),
  }),
}).loose();

const explainBody = z.strictObject({
  principalId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected an object id (GUID)').optional(),
  action: z.string().min(1).max(512).optional(),
  dataAction: z.string().min(1).max(512).optional(),
  scope: z.string().min(1).max(2048),
}).refine((b) => (b.action === undefined) !== (b.dataAction === undefined), 'give exactly one of action and dataAction');

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  throw AE.invalidRequestContent(`'${first.path.join('.') || 'body'}': ${first.message}`);
}

const single = (v: unknown): string | undefined => (Array.isArray(v) ? (v[0] as string | undefined) : typeof v === 'string' ? v : undefined);

/**
 * The ARM-shaped Microsoft.Authorization API: role assignments, role definitions and the caller's
 * permissions at any scope (`{scope}/providers/Microsoft.Authorization/…`), plus the Lapis extension
 * `POST /providers/Microsoft.Lapis/explainAccess`. Callers present a management token
 * (`https://management.azure.com` or `https://management.core.windows.net`); every operation is
 * authorised by the same RBAC engine on Microsoft.Authorization actions.
 */
export async function armRoutes(app: FastifyInstance, deps: ArmDeps): Promise<void> {
  const { access, identity } = deps;
  const signalRService = deps.resources
    ? signalRServiceArm({ access, identity, resources: deps.resources, startResource: deps.startResource, stopResource: deps.stopResource, advertise: deps.advertise }, [webPubSubKind, signalRKind])
    : undefined;
  const keyVault = deps.resources ? keyVaultArm({ access, resources: deps.resources, advertise: deps.advertise }) : undefined;
  const callers = new WeakMap<FastifyRequest, ArmCaller>();
  const subscriptions = subscriptionsApi({ access, identity });
  const managedIdentities = managedIdentityArm({ access, identity });
  const activityLog = deps.activity ? activityLogApi({ activity: deps.activity, access, tenantId: () => identity.directory.defaultTenant.id }) : undefined;
  const denials = denialsApi(access);
  const trace = deps.trace ? traceApi({ access, trace: deps.trace }) : undefined;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    let a: ArmError | undefined;
    if (err instanceof ArmError) a = err;
    else if (err instanceof AccessError) a = ArmError.from(err);
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') a = ARM.unsupportedMediaType(String(req.headers['content-type'] ?? ''));
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') a = ARM.tooLarge(MAX_ARM_BODY);
    else if ((err.statusCode ?? 500) < 500) a = ARM.badRequest(`The request content was invalid and could not be deserialized: ${err.message.slice(0, 200)}`);
    if (!a) {
      req.log.error({ err }, 'management request failed');
      a = ARM.internal();
    }
    if (a.challenge) void reply.header('www-authenticate', a.challenge);
    const body = a.body();
    const denialId = recordArmDenial(access, a, req, callers.get(req));
    if (denialId) {
      void reply.header(DENIAL_HEADER, denialId);
      body.error.message = `${body.error.message} ${access.denials.sentence(denialId)}`;
    }
    return reply.code(a.status).send(body);
  });

  app.addHook('onRequest', async (req, reply) => {
    const cid = req.headers['x-ms-client-request-id'];
    void reply.header('x-ms-request-id', randomUUID());
    void reply.header('x-ms-correlation-request-id', typeof cid === 'string' && /^[\w-]{1,64}$/.test(cid) ? cid : randomUUID());
    if (isMetadata(req.routeOptions.url)) return; // anonymous, as ARM's
    callers.set(req, await authenticateArm(identity, req.headers.authorization));
  });

  const authorize = (caller: ArmCaller, action: string, scope: string): void => {
    if (!access.check({ principalId: caller.principalId, scope, action })) throw ARM.authorizationFailed(caller.clientName, caller.principalId, action, scope);
  };

  async function handle(req: FastifyRequest, reply: FastifyReply) {
    const caller = callers.get(req)!;
    const path = req.url.split('?')[0]!;
    let segs: string[];
    try {
      segs = path.split('/').slice(1).map((s) => decodeURIComponent(s));
    } catch {
      throw ARM.badRequest('The request path is not correctly percent-encoded.');
    }
    if (segs.length && segs[segs.length - 1] === '') segs.pop();
    const q = req.query as Record<string, unknown>;
    const version = single(q['api-version']);
    const method = req.method.toUpperCase();
    // Lapis extension resources below a Web PubSub or SignalR resource: live trace, upstream inspector.
    if (trace && isTracePath(segs)) return trace.handle({ segs, path, method, version, caller, req, reply });
    // Microsoft.SignalRService (Web PubSub and SignalR resources, hubs, keys): its own api-versions.
    if (signalRService && isSignalRServicePath(segs)) return signalRService.handle({ segs, path, method, version, caller, req, reply });
    // Microsoft.Resources: the subscriptions and tenants the caller can see (az login, az account).
    if (isSubscriptionsPath(segs)) return subscriptions.handle(segs, method, version, caller);
    if (keyVault && isKeyVaultPath(segs)) return keyVault.handle({ segs, path, method, version, caller, req, reply });
    if (isManagedIdentityPath(segs)) return managedIdentities.handle({ segs, path, method, version, caller, req, reply });
    if (activityLog && isActivityLogPath(segs)) return activityLog.handle({ segs, method, query: q, origin: `${req.protocol}://${req.host}`, path, caller });
    if (!version) throw ARM.missingApiVersion();
    if (!(SUPPORTED_API_VERSIONS as readonly string[]).includes(version)) throw ARM.invalidApiVersion(version);

    // Lapis extension: why was this request denied (the records of this node's 401/403 answers)?
    if (segs.length >= 3 && segs[0]!.toLowerCase() === 'providers' && segs[1]!.toLowerCase() === 'microsoft.lapis' && segs[2]!.toLowerCase() === 'denials') {
      return denials.handle(segs.slice(3), method, caller, q);
    }
    // Lapis extension: why is (or isn't) this principal allowed this operation at this scope?
    if (segs.length === 3 && segs[0]!.toLowerCase() === 'providers' && segs[1]!.toLowerCase() === 'microsoft.lapis') {
      if (segs[2]!.toLowerCase() !== 'explainaccess') throw ARM.notFound(path);
      if (method !== 'POST') throw ARM.methodNotAllowed(method);
      const b = parseBody(explainBody, req.body);
      const scope = parseScope(b.scope);
      const principalId = (b.principalId ?? caller.principalId).toLowerCase();
      if (principalId !== caller.principalId) authorize(caller, ACTION.assignmentRead, scope.id);
      return access.decide({ principalId, scope: scope.id, action: b.action, dataAction: b.dataAction });
    }

    let at = -1;
    for (let i = segs.length - 2; i >= 0; i--) {
      if (segs[i]!.toLowerCase() === 'providers' && segs[i + 1]!.toLowerCase() === 'microsoft.authorization') { at = i; break; }
    }
    if (at < 0 || at + 2 >= segs.length) throw ARM.notFound(path);
    const scope = parseScope(at === 0 ? '/' : `/${segs.slice(0, at).join('/')}`);
    const [type, name, ...extra] = segs.slice(at + 2);
    if (extra.length) throw ARM.notFound(path);
    switch (type!.toLowerCase()) {
      case 'roleassignments':
        return name === undefined ? listAssignments(method, caller, scope, q) : assignment(method, caller, scope, name, req, reply);
      case 'roledefinitions':
        return name === undefined ? listDefinitions(method, caller, scope, q) : definition(method, caller, scope, name, req, reply);
      case 'permissions':
        if (name !== undefined) throw ARM.notFound(path);
        if (method !== 'GET') throw ARM.methodNotAllowed(method);
        // ARM lets every caller read their own effective permissions.
        return { value: access.permissionsAt(caller.principalId, scope.id).map(permissionJson) };
      default:
        throw ARM.invalidResourceType(type!, version);
    }
  }

  function listAssignments(method: string, caller: ArmCaller, scope: ParsedScope, q: Record<string, unknown>) {
    if (method !== 'GET') throw ARM.methodNotAllowed(method);
    authorize(caller, ACTION.assignmentRead, scope.id);
    const f = parseAssignmentFilter(single(q.$filter));
    return { value: access.listRoleAssignments({ scope: scope.id, atScope: f.atScope, principalId: f.principalId }).map(roleAssignmentJson) };
  }

  async function assignment(method: string, caller: ArmCaller, scope: ParsedScope, name: string, req: FastifyRequest, reply: FastifyReply) {
    if (!isGuid(name)) throw AE.invalidRoleAssignmentId(name);
    if (method === 'GET') {
      authorize(caller, ACTION.assignmentRead, scope.id);
      const a = access.getRoleAssignment(name);
      if (!a || a.scope.toLowerCase() !== scope.key) throw AE.roleAssignmentNotFound(name);
      return roleAssignmentJson(a);
    }
    if (method === 'PUT') {
      authorize(caller, ACTION.assignmentWrite, scope.id);
      const p = parseBody(assignmentBody, req.body).properties;
      if (p.scope && parseScope(p.scope).key !== scope.key) throw AE.invalidRequestContent(`properties.scope '${p.scope.slice(0, 300)}' differs from the scope in the URL '${scope.id}'.`);
      const { assignment: a, created } = await access.createRoleAssignment({
        name, scope: scope.id, roleDefinitionId: p.roleDefinitionId, principalId: p.principalId,
        principalType: p.principalType ?? undefined, description: p.description ?? null,
        condition: p.condition ?? undefined, conditionVersion: p.conditionVersion ?? undefined, createdBy: caller.principalId,
      });
      return reply.code(created ? 201 : 200).send(roleAssignmentJson(a));
    }
    if (method === 'DELETE') {
      authorize(caller, ACTION.assignmentDelete, scope.id);
      const a = await access.deleteRoleAssignment(name, scope.id);
      return a ? reply.code(200).send(roleAssignmentJson(a)) : reply.code(204).send();
    }
    throw ARM.methodNotAllowed(method);
  }

  function listDefinitions(method: string, caller: ArmCaller, scope: ParsedScope, q: Record<string, unknown>) {
    if (method !== 'GET') throw ARM.methodNotAllowed(method);
    authorize(caller, ACTION.definitionRead, scope.id);
    const f = parseDefinitionFilter(single(q.$filter));
    let defs = access.roleDefinitionsAssignableAt(scope.id);
    if (f.atScopeAndBelow) {
      const seen = new Set(defs.map((d) => d.name));
      const below = access.roleDefinitions().filter((d) => !seen.has(d.name) && d.assignableScopes.some((s) => access.ancestors(s).some((x) => x.toLowerCase() === scope.key)));
      defs = [...defs, ...below];
    }
    if (f.roleName !== undefined) defs = defs.filter((d) => d.roleName.toLowerCase() === f.roleName!.toLowerCase());
    if (f.type) defs = defs.filter((d) => d.roleType === f.type);
    return { value: defs.map((d) => roleDefinitionJson(d, scope)) };
  }

  async function definition(method: string, caller: ArmCaller, scope: ParsedScope, name: string, req: FastifyRequest, reply: FastifyReply) {
    if (!isGuid(name)) throw AE.invalidRoleDefinitionId(name);
    const prior = access.getRoleDefinition(name);
    if (method === 'GET') {
      authorize(caller, ACTION.definitionRead, scope.id);
      if (!prior) throw AE.roleDefinitionDoesNotExist(name);
      return roleDefinitionJson(prior, scope);
    }
    // Writing or deleting a custom role needs the permission on every scope it is (or will be) assignable at.
    const scopesOf = (list: string[]) => list.flatMap((s) => {
      try {
        return [parseScope(s).id];
      } catch {
        return [];
      }
    });
    if (method === 'PUT') {
      authorize(caller, ACTION.definitionWrite, scope.id);
      const input = parseRoleDefinitionInput(req.body);
      for (const s of new Set([...scopesOf(input.assignableScopes), ...(prior?.roleType === 'CustomRole' ? prior.assignableScopes : [])])) authorize(caller, ACTION.definitionWrite, s);
      const { definition: d } = await access.putRoleDefinition(name, req.body, { by: caller.principalId });
      return reply.code(201).send(roleDefinitionJson(d, scope));
    }
    if (method === 'DELETE') {
      authorize(caller, ACTION.definitionDelete, scope.id);
      if (!prior) return reply.code(204).send();
      if (prior.roleType === 'CustomRole') for (const s of prior.assignableScopes) authorize(caller, ACTION.definitionDelete, s);
      const d = await access.deleteRoleDefinition(name);
      return d ? reply.code(200).send(roleDefinitionJson(d, scope)) : reply.code(204).send();
    }
    throw ARM.methodNotAllowed(method);
  }

  const route = { method: ['GET', 'PUT', 'DELETE', 'POST', 'PATCH'] as ('GET' | 'PUT' | 'DELETE' | 'POST' | 'PATCH')[], bodyLimit: MAX_ARM_BODY, handler: handle };
  app.route({ ...route, url: '/subscriptions' });
  app.route({ ...route, url: '/subscriptions/*' });
  app.route({ ...route, url: '/tenants' });
  registerArmMetadata(app, identity.issuer.authorityHost);
  app.route({ ...route, url: '/providers/*' });
}
