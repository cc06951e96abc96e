import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isGuid, type AccessControl } from '../../access/index.ts';
import type { Directory, IdentityService } from '../../identity/index.ts';
import { checkEventHandlerResources, eventHandlerSettingsSchema, type EventHandlerSettings } from '../../upstream/index.ts';
import { ResourceIdentityError, applyResourceIdentity, parseArmIdentity } from '../resource-identity.ts';
import { WEBPUBSUB_TYPE, generateAccessKey, webPubSubId, type HubRecord, type ResourceIdentity, type ResourceRecord, type ResourceRegistry } from '../resources.ts';
import type { ArmCaller } from './auth.ts';
import { ARM, ArmError } from './errors.ts';

/**
 * The ARM-shaped Microsoft.SignalRService API for Web PubSub resources (api-version 2024-03-01 and
 * the other GA/preview versions the Azure SDKs send):
 *
 *   GET    /subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.SignalRService/webPubSub
 *   GET|PUT|PATCH|DELETE  …/resourceGroups/{rg}/providers/Microsoft.SignalRService/webPubSub/{name}
 *   POST   …/webPubSub/{name}/listKeys   …/webPubSub/{name}/regenerateKey
 *   GET    …/webPubSub/{name}/hubs       GET|PUT|DELETE …/webPubSub/{name}/hubs/{hub}
 *
 * Every operation is authorised by the RBAC engine on the provider's Actions at the resource (or
 * hub) scope, before the resource is looked up, as ARM does.
 */
export const WEBPUBSUB_API_VERSIONS = [
  '2021-10-01', '2022-08-01-preview', '2023-02-01', '2023-03-01-preview', '2023-06-01-preview', '2023-08-01-preview',
  '2024-01-01-preview', '2024-03-01', '2024-04-01-preview', '2024-08-01-preview', '2024-10-01-preview',
] as const;

/** Microsoft.SignalRService operations (Azure's resource provider operations list). */
export const WPS_ACTION = {
  read: 'Microsoft.SignalRService/WebPubSub/read',
  write: 'Microsoft.SignalRService/WebPubSub/write',
  delete: 'Microsoft.SignalRService/WebPubSub/delete',
  listKeys: 'Microsoft.SignalRService/WebPubSub/listkeys/action',
  regenerateKey: 'Microsoft.SignalRService/WebPubSub/regeneratekey/action',
  hubsRead: 'Microsoft.SignalRService/WebPubSub/hubs/read',
  hubsWrite: 'Microsoft.SignalRService/WebPubSub/hubs/write',
  hubsDelete: 'Microsoft.SignalRService/WebPubSub/hubs/delete',
  /** Linked check when a user-assigned identity is attached to a resource. */
  assignIdentity: 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
} as const;

export const ARM_WEBPUBSUB_TYPE = 'Microsoft.SignalRService/WebPubSub';
export const ARM_HUB_TYPE = 'Microsoft.SignalRService/WebPubSub/hubs';

const RESOURCE_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,61}[a-zA-Z0-9]$/;
const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;
const RESOURCE_GROUP = /^[-\w._()]{1,90}$/;
const KEEP_ALIVE_DEFAULT = 20;

export interface WebPubSubArmDeps {
  access: AccessControl;
  identity: IdentityService;
  resources: ResourceRegistry;
  /** Starts serving a resource created through the API (listeners, data plane, upstream). Without it, creation is refused. */
  startResource?: (record: ResourceRecord) => Promise<void>;
  /** Stops a running resource's origins and closes its clients (DELETE). */
  stopResource?: (name: string) => Promise<void>;
}

export interface SignalRServiceRequest {
  segs: string[];
  path: string;
  method: string;
  version: string | undefined;
  caller: ArmCaller;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** This provider's refusals, all from the ARM catalogue (errors.ts). */
const E = {
  noProvider: (version: string, type: string) => ARM.noProvider(version, type, WEBPUBSUB_API_VERSIONS),
  invalidResourceType: (type: string, version: string) => ARM.invalidResourceType(type, version, 'Microsoft.SignalRService'),
  resourceNotFound: ARM.resourceNotFound,
  subscriptionNotFound: ARM.subscriptionNotFound,
  invalidName: ARM.invalidResourceName,
  invalidHubName: ARM.invalidHubName,
  nameNotAvailable: ARM.nameNotAvailable,
  locationRequired: ARM.locationRequired,
  locationChange: ARM.locationChange,
  linkedAuthorizationFailed: (caller: ArmCaller, scope: string, linked: string) => ARM.linkedAuthorizationFailed({
    client: caller.clientName, objectId: caller.principalId, action: WPS_ACTION.write, scope, linkedAction: WPS_ACTION.assignIdentity, linkedScope: linked,
  }),
  deleteNotSupported: (name: string) => ARM.operationNotSupported(
    `Deleting the Web PubSub resource '${name}' is not supported by this version of Lapis while it runs: remove it from the config file (if declared there) and restart, or keep it. Nothing was changed.`),
  createNotSupported: () => ARM.operationNotSupported('This Lapis node cannot start new resources at run time; declare the resource in the config file and restart.'),
  invalidKeyType: (v: string) => ARM.badRequest(`'keyType' must be one of 'Primary', 'Secondary', 'Salt' (got '${v.slice(0, 40)}').`),
} as const;

function zodPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || 'body';
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  throw ARM.badRequest(`${zodPath(first.path)}: ${first.message}`);
}

const armIdentity = z.looseObject({
  type: z.string().max(100),
  userAssignedIdentities: z.record(z.string().max(1024), z.unknown()).nullish(),
});

/** Settings Lapis cannot honour are refused unless they say what Lapis does anyway (GET → PUT round trips). */
const onlyValue = <T>(value: T, why: string) => z.unknown().refine((v) => v === undefined || v === null || JSON.stringify(v) === JSON.stringify(value), why).optional();
const READ_ONLY = ['provisioningState', 'externalIP', 'hostName', 'publicPort', 'serverPort', 'version', 'hostNamePrefix', 'privateEndpointConnections', 'sharedPrivateLinkResources'] as const;
const resourceProperties = z.strictObject({
  disableLocalAuth: z.boolean().nullish(),
  publicNetworkAccess: onlyValue('Enabled', "only 'Enabled' is supported by this version of Lapis (it listens where --host says)"),
  tls: onlyValue({ clientCertEnabled: false }, 'client certificate authentication is not supported by this version of Lapis'),
  disableAadAuth: onlyValue(false, 'Microsoft Entra authentication cannot be turned off in this version of Lapis'),
  ...Object.fromEntries(READ_ONLY.map((k) => [k, z.unknown().optional()])),
});
const resourceBody = z.looseObject({
  location: z.string().max(64).nullish(),
  identity: armIdentity.nullish(),
  tags: z.record(z.string().min(1).max(512), z.string().max(256)).refine((t) => Object.keys(t).length <= 50, 'at most 50 tags').nullish(),
  sku: z.looseObject({ name: z.string().regex(/^(Free_F1|Standard_S1|Premium_P1|Premium_P2)$/, 'expected Free_F1, Standard_S1, Premium_P1 or Premium_P2'), capacity: z.number().int().min(1).max(1000).nullish() }).nullish(),
  properties: resourceProperties.nullish(),
});

const hubBody = z.looseObject({
  properties: z.looseObject({
    eventHandlers: eventHandlerSettingsSchema.nullish(),
    anonymousConnectPolicy: z.string().max(10).refine((s) => /^(allow|deny)$/i.test(s), "expected 'allow' or 'deny'").nullish(),
    eventListeners: z.array(z.unknown()).max(0, 'event listeners are not supported by this version of Lapis').nullish(),
    webSocketKeepAliveIntervalInSeconds: z.number().int().refine((n) => n === KEEP_ALIVE_DEFAULT, `only the default of ${KEEP_ALIVE_DEFAULT} seconds is supported by this version of Lapis`).nullish(),
  }),
});

const regenerateBody = z.looseObject({ keyType: z.string().max(20) });

/** ARM JSON of a Web PubSub resource. */
export function webPubSubJson(r: ResourceRecord, dir: Directory) {
  const port = r.ports.https ?? null;
  return {
    id: r.id,
    name: r.name,
    type: ARM_WEBPUBSUB_TYPE,
    location: r.location,
    tags: r.tags ?? {},
    sku: skuJson(r.sku),
    kind: 'WebPubSub',
    identity: identityJson(r, dir),
    properties: {
      provisioningState: 'Succeeded',
      externalIP: '127.0.0.1',
      hostName: 'localhost',
      publicPort: port,
      serverPort: port,
      version: '1.0',
      hostNamePrefix: r.name,
      privateEndpointConnections: [],
      sharedPrivateLinkResources: [],
      tls: { clientCertEnabled: false },
      publicNetworkAccess: 'Enabled',
      disableLocalAuth: r.properties.disableLocalAuth,
      disableAadAuth: false,
    },
  };
}

/** ARM's sku object; Lapis keeps the name and capacity asked for (they limit nothing here). */
function skuJson(sku: ResourceRecord['sku']) {
  const name = sku?.name ?? 'Standard_S1';
  const [tier, size] = name.split('_') as [string, string];
  return { name, tier, size, capacity: sku?.capacity ?? 1 };
}

function identityJson(r: ResourceRecord, dir: Directory) {
  if (r.identity.type === 'SystemAssigned') {
    const mi = dir.getManagedIdentityOf(r.id);
    return { type: 'SystemAssigned', principalId: mi?.principalId ?? null, tenantId: mi?.tenantId ?? r.tenantId };
  }
  if (r.identity.type === 'UserAssigned' && r.identity.userAssignedIdentity) {
    const mi = dir.findManagedIdentity({ resourceId: r.identity.userAssignedIdentity });
    return {
      type: 'UserAssigned',
      userAssignedIdentities: { [r.identity.userAssignedIdentity]: { principalId: mi?.principalId ?? null, clientId: mi?.clientId ?? null } },
    };
  }
  return { type: 'None' };
}

export function hubJson(r: ResourceRecord, h: HubRecord) {
  return {
    id: `${r.id}/hubs/${h.name}`,
    name: h.name,
    type: ARM_HUB_TYPE,
    properties: {
      eventHandlers: h.properties.eventHandlers ?? [],
      eventListeners: [],
      anonymousConnectPolicy: h.properties.anonymousConnectPolicy ?? 'deny',
      webSocketKeepAliveIntervalInSeconds: KEEP_ALIVE_DEFAULT,
    },
  };
}

/** `Endpoint=https://localhost:{port};AccessKey=…;Version=1.0;`, as the SDKs parse it. */
export function keysJson(r: ResourceRecord) {
  const endpoint = r.ports.https ? `https://localhost:${r.ports.https}` : undefined;
  const cs = (key: string) => (endpoint ? `Endpoint=${endpoint};AccessKey=${key};Version=1.0;` : null);
  return {
    primaryKey: r.accessKeys.primaryKey,
    secondaryKey: r.accessKeys.secondaryKey,
    primaryConnectionString: cs(r.accessKeys.primaryKey),
    secondaryConnectionString: cs(r.accessKeys.secondaryKey),
  };
}

/** True for paths in the Microsoft.SignalRService namespace (below a subscription or resource group). */
export function isSignalRServicePath(segs: string[]): boolean {
  const lower = segs.map((s) => s.toLowerCase());
  if (lower[0] !== 'subscriptions') return false;
  if (lower.includes('microsoft.authorization')) return false;
  return (lower[2] === 'providers' && lower[3] === 'microsoft.signalrservice')
    || (lower[2] === 'resourcegroups' && lower[4] === 'providers' && lower[5] === 'microsoft.signalrservice');
}

export function webPubSubArm(deps: WebPubSubArmDeps) {
  const { access, identity, resources } = deps;
  const dir = identity.directory;
  let queue: Promise<unknown> = Promise.resolve();
  /** Writes are serialised: two PUTs of one new name must not both start it. */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const authorize = (caller: ArmCaller, action: string, scope: string): void => {
    if (!access.check({ principalId: caller.principalId, scope, action })) throw ARM.authorizationFailed(caller.clientName, caller.principalId, action, scope);
  };

  const knownSubscription = (sub: string): boolean => {
    const s = sub.toLowerCase();
    return access.scopeTree.subscriptions().some((x) => x.id.toLowerCase() === s) || resources.list().some((r) => r.subscriptionId === s);
  };

  /** The resource named in the URL, in that subscription and resource group, or 404. */
  const find = (sub: string, rg: string, name: string): ResourceRecord => {
    const r = resources.get(name);
    if (!r || r.subscriptionId !== sub.toLowerCase() || r.resourceGroup.toLowerCase() !== rg.toLowerCase()) throw E.resourceNotFound(rg, 'Microsoft.SignalRService/webPubSub', name);
    return r;
  };

  async function handle(x: SignalRServiceRequest): Promise<unknown> {
    const { segs, method, caller } = x;
    const sub = segs[1]!;
    if (!isGuid(sub)) throw ARM.badRequest(`The subscription id '${sub.slice(0, 60)}' is not a GUID.`);
    const subLower = sub.toLowerCase();
    const atGroup = segs[2]!.toLowerCase() === 'resourcegroups';
    const rg = atGroup ? segs[3]! : undefined;
    const rest = segs.slice(atGroup ? 6 : 4);
    const type = rest[0];
    if (!x.version) throw ARM.missingApiVersion();
    if (type === undefined) throw ARM.notFound(x.path);
    if (type.toLowerCase() !== 'webpubsub') throw E.invalidResourceType(type, x.version);
    if (!(WEBPUBSUB_API_VERSIONS as readonly string[]).includes(x.version)) throw E.noProvider(x.version, type);
    if (rg !== undefined && !RESOURCE_GROUP.test(rg)) throw ARM.badRequest(`The resource group name '${rg.slice(0, 100)}' is invalid.`);
    const scopeBase = `/subscriptions/${subLower}${rg ? `/resourceGroups/${rg}` : ''}`;

    if (rest.length === 1) {
      if (method !== 'GET') throw ARM.methodNotAllowed(method);
      authorize(caller, WPS_ACTION.read, scopeBase);
      const list = resources.list().filter((r) => r.subscriptionId === subLower && (!rg || r.resourceGroup.toLowerCase() === rg.toLowerCase()));
      return { value: list.sort((a, b) => a.name.localeCompare(b.name)).map((r) => webPubSubJson(r, dir)), nextLink: null };
    }
    if (!rg) throw ARM.notFound(x.path);
    const name = rest[1]!;
    const id = webPubSubId(subLower, rg, name);
    if (rest.length === 2) return resource(x, subLower, rg, name, id);
    const child = rest[2]!.toLowerCase();
    if (rest.length === 3 && (child === 'listkeys' || child === 'regeneratekey')) {
      if (method !== 'POST') throw ARM.methodNotAllowed(method);
      if (child === 'listkeys') {
        authorize(caller, WPS_ACTION.listKeys, id);
        return keysJson(find(subLower, rg, name));
      }
      authorize(caller, WPS_ACTION.regenerateKey, id);
      const b = parse(regenerateBody, x.req.body);
      const KEY_TYPES: Record<string, 'Primary' | 'Secondary' | 'Salt'> = { primary: 'Primary', secondary: 'Secondary', salt: 'Salt' };
      const which = KEY_TYPES[b.keyType.toLowerCase()];
      if (!which) throw E.invalidKeyType(b.keyType);
      return exclusive(async () => {
        const r = find(subLower, rg, name);
        if (which === 'Salt') {
          const next = { ...r, internalKey: generateAccessKey() };
          await resources.put(next);
          return keysJson(next);
        }
        return keysJson(await resources.regenerateKey(r.name, which));
      });
    }
    if (child === 'hubs' && rest.length <= 4) return hubs(x, subLower, rg, name, id, rest[3]);
    throw ARM.notFound(x.path);
  }

  async function resource(x: SignalRServiceRequest, sub: string, rg: string, name: string, id: string): Promise<unknown> {
    const { method, caller, reply } = x;
    if (method === 'GET') {
      authorize(caller, WPS_ACTION.read, id);
      return webPubSubJson(find(sub, rg, name), dir);
    }
    if (method === 'DELETE') {
      authorize(caller, WPS_ACTION.delete, id);
      const r = resources.get(name);
      if (!r || r.subscriptionId !== sub || r.resourceGroup.toLowerCase() !== rg.toLowerCase()) return reply.code(204).send();
      if (!deps.stopResource) throw E.deleteNotSupported(r.name);
      // As in Azure: the resource stops serving, and its system-assigned identity goes with it.
      await deps.stopResource(r.name);
      await dir.deleteManagedIdentity(r.id);
      await resources.delete(r.name);
      return reply.code(200).send();
    }
    if (method !== 'PUT' && method !== 'PATCH') throw ARM.methodNotAllowed(method);
    authorize(caller, WPS_ACTION.write, id);
    if (!RESOURCE_NAME.test(name)) throw E.invalidName(name);
    const b = parse(resourceBody, x.req.body);
    let want: ResourceIdentity | undefined;
    try {
      if (b.identity) want = parseArmIdentity(b.identity);
      else if (method === 'PUT') want = { type: 'None' };  // PUT replaces the resource: no identity means none
    } catch (err) {
      if (err instanceof ResourceIdentityError) throw new ArmError(400, err.code, err.message);
      throw err;
    }

    return exclusive(async () => {
      const prior = resources.get(name);
      if (prior && (prior.subscriptionId !== sub || prior.resourceGroup.toLowerCase() !== rg.toLowerCase())) throw E.nameNotAvailable(name);
      if (!prior && resources.getVault(name)) throw E.nameNotAvailable(name);
      if (!prior && method === 'PATCH') throw E.resourceNotFound(rg, 'Microsoft.SignalRService/webPubSub', name);
      // Attaching a user-assigned identity also needs its assign permission (ARM's linked check).
      if (want?.type === 'UserAssigned' && want.userAssignedIdentity
        && !(prior?.identity.type === 'UserAssigned' && prior.identity.userAssignedIdentity?.toLowerCase() === want.userAssignedIdentity.toLowerCase())
        && !access.check({ principalId: caller.principalId, scope: scopeOf(want.userAssignedIdentity), action: WPS_ACTION.assignIdentity })) {
        throw E.linkedAuthorizationFailed(caller, id, want.userAssignedIdentity);
      }
      const applyIdentity = async (r: ResourceRecord): Promise<ResourceIdentity> => {
        if (!want) return r.identity;  // PATCH without identity: unchanged
        try {
          return await applyResourceIdentity(dir, r, want);
        } catch (err) {
          if (err instanceof ResourceIdentityError) throw new ArmError(400, err.code, err.message);
          throw err;
        }
      };

      if (prior) {
        if (b.location && norm(b.location) !== norm(prior.location)) throw E.locationChange(prior.name, prior.resourceGroup, prior.location, b.location);
        const disableLocalAuth = b.properties?.disableLocalAuth ?? (method === 'PUT' ? false : prior.properties.disableLocalAuth);
        const nextIdentity = await applyIdentity(prior);
        const current = resources.get(name) ?? prior;
        // PUT replaces the resource; PATCH changes only what it names.
        const tags = b.tags ?? (method === 'PUT' ? undefined : current.tags);
        const sku = b.sku ? { name: b.sku.name, capacity: b.sku.capacity ?? undefined } : method === 'PUT' ? undefined : current.sku;
        const next: ResourceRecord = { ...current, identity: nextIdentity, properties: { ...current.properties, disableLocalAuth }, tags, sku };
        await resources.put(next);
        return reply.code(200).send(webPubSubJson(next, dir));
      }

      if (!deps.startResource) throw E.createNotSupported();
      if (!knownSubscription(sub)) throw E.subscriptionNotFound(sub);
      if (!b.location) throw E.locationRequired();
      const record: ResourceRecord = {
        type: WEBPUBSUB_TYPE, id, name, resourceGroup: rg, subscriptionId: sub, tenantId: dir.defaultTenant.id,
        location: b.location, ports: {}, declaredPorts: {},
        accessKeys: { primaryKey: generateAccessKey(), secondaryKey: generateAccessKey() },
        properties: { disableLocalAuth: b.properties?.disableLocalAuth ?? false },
        identity: { type: 'None' }, hubs: {}, limits: {}, internalKey: generateAccessKey(),
        tags: b.tags ?? undefined, sku: b.sku ? { name: b.sku.name, capacity: b.sku.capacity ?? undefined } : undefined,
      };
      record.identity = await applyIdentity(record);
      try {
        await deps.startResource(record);
      } catch (err) {
        await dir.deleteManagedIdentity(record.id);
        throw err;
      }
      // Starting stores the record with the ports it chose; store it in any case.
      const started = resources.get(name) ?? record;
      if (started === record) await resources.put(record);
      return reply.code(201).send(webPubSubJson(started, dir));
    });
  }

  async function hubs(x: SignalRServiceRequest, sub: string, rg: string, name: string, id: string, hub: string | undefined): Promise<unknown> {
    const { method, caller, reply } = x;
    if (hub === undefined) {
      if (method !== 'GET') throw ARM.methodNotAllowed(method);
      authorize(caller, WPS_ACTION.hubsRead, id);
      const r = find(sub, rg, name);
      return { value: Object.values(r.hubs).sort((a, b) => a.name.localeCompare(b.name)).map((h) => hubJson(r, h)), nextLink: null };
    }
    const scope = `${id}/hubs/${hub}`;
    if (method === 'GET') {
      authorize(caller, WPS_ACTION.hubsRead, scope);
      const r = find(sub, rg, name);
      const h = r.hubs[hub.toLowerCase()];
      if (!h) throw E.resourceNotFound(rg, `Microsoft.SignalRService/webPubSub/${r.name}/hubs`, hub);
      return hubJson(r, h);
    }
    if (method === 'DELETE') {
      authorize(caller, WPS_ACTION.hubsDelete, scope);
      return exclusive(async () => {
        const r = find(sub, rg, name);
        if (!r.hubs[hub.toLowerCase()]) return reply.code(204).send();
        const rest = { ...r.hubs };
        delete rest[hub.toLowerCase()];
        await resources.put({ ...r, hubs: rest });
        return reply.code(200).send();
      });
    }
    if (method !== 'PUT') throw ARM.methodNotAllowed(method);
    authorize(caller, WPS_ACTION.hubsWrite, scope);
    if (!HUB_NAME.test(hub)) throw E.invalidHubName(hub);
    const p = parse(hubBody, x.req.body).properties;
    const handlers = (p.eventHandlers ?? undefined) as EventHandlerSettings[] | undefined;
    return exclusive(async () => {
      const r = find(sub, rg, name);
      // A ManagedIdentity handler's resource must be an application registered in the tenant (never Graph).
      const problems = handlers ? checkEventHandlerResources(dir, r.tenantId, handlers) : [];
      if (problems.length) throw ARM.badRequest(problems.map((q) => `properties.eventHandlers${q.path}: ${q.message}`).join('; '));
      const h: HubRecord = {
        name: hub,
        properties: {
          anonymousConnectPolicy: p.anonymousConnectPolicy ? (p.anonymousConnectPolicy.toLowerCase() as 'allow' | 'deny') : undefined,
          eventHandlers: handlers?.length ? handlers : undefined,
        },
      };
      const created = !r.hubs[hub.toLowerCase()];
      const current = resources.get(r.name) ?? r;
      await resources.put({ ...current, hubs: { ...current.hubs, [hub.toLowerCase()]: h } });
      return reply.code(created ? 201 : 200).send(hubJson(current, h));
    });
  }

  return { handle };
}

const norm = (location: string) => location.replace(/\s+/g, '').toLowerCase();

/** A user-assigned identity's resource id as an RBAC scope (an id that is not one is checked at `/`, which only root grants pass). */
function scopeOf(resourceId: string): string {
  return /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+$/i.test(resourceId) ? resourceId : '/';
}
