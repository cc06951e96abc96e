import { z } from 'zod';
import type { AccessControl } from '../../access/index.ts';
import type { IdentityService } from '../../identity/index.ts';
import { ResourceIdentityError, applyResourceIdentity, parseArmIdentity } from '../resource-identity.ts';
import { generateAccessKey, type ResourceIdentity, type ResourceRegistry, type ServiceResourceBase, type ServiceResourceRecord } from '../resources.ts';
import type { ArmCaller } from './auth.ts';
import { ARM, ArmError } from './errors.ts';
import { readProviderPath } from './provider-path.ts';
import { keysJson, onlyValue, parseBody, serviceJson, type Advertise, type ServiceKind, type ServiceRequest } from './service-kind.ts';

/**
 * The ARM-shaped Microsoft.SignalRService API, generic over the resource kind (webpubsub.ts,
 * signalr.ts say what differs):
 *
 *   GET    /subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.SignalRService/{kind}
 *   GET|PUT|PATCH|DELETE  …/resourceGroups/{rg}/providers/Microsoft.SignalRService/{kind}/{name}
 *   POST   …/{kind}/{name}/listKeys   …/{kind}/{name}/regenerateKey
 *   …/{kind}/{name}/{child…}          the kind's own children (Web PubSub hubs)
 *
 * Every operation is authorised by the RBAC engine on the kind's Actions at the resource scope,
 * before the resource is looked up, as ARM does. Writes are serialised across kinds.
 */

export interface ServiceArmDeps {
  access: AccessControl;
  identity: IdentityService;
  resources: ResourceRegistry;
  /** Starts serving a resource created through the API (listeners, data plane, upstream). Without it, creation is refused. */
  startResource?: (record: ServiceResourceRecord) => Promise<void>;
  /** Stops a running resource's origins and closes its clients (DELETE). */
  stopResource?: (name: string) => Promise<void>;
  /** How this node names resource origins (host and port); `localhost` and the stored port when absent. */
  advertise?: Advertise | undefined;
}

/** Linked check when a user-assigned identity is attached to a resource. */
export const ASSIGN_IDENTITY_ACTION = 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action';

const RESOURCE_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,61}[a-zA-Z0-9]$/;
const RESOURCE_GROUP = /^[-\w._()]{1,90}$/;
const READ_ONLY = ['provisioningState', 'externalIP', 'hostName', 'publicPort', 'serverPort', 'version', 'hostNamePrefix', 'privateEndpointConnections', 'sharedPrivateLinkResources'] as const;

const armIdentity = z.looseObject({
  type: z.string().max(100),
  userAssignedIdentities: z.record(z.string().max(1024), z.unknown()).nullish(),
});

function bodySchema(kind: ServiceKind<any, any>) {
  return z.looseObject({
    location: z.string().max(64).nullish(),
    identity: armIdentity.nullish(),
    tags: z.record(z.string().min(1).max(512), z.string().max(256)).refine((t) => Object.keys(t).length <= 50, 'at most 50 tags').nullish(),
    sku: z.looseObject({ name: z.string().regex(/^(Free_F1|Standard_S1|Premium_P1|Premium_P2)$/, 'expected Free_F1, Standard_S1, Premium_P1 or Premium_P2'), capacity: z.number().int().min(1).max(1000).nullish() }).nullish(),
    properties: z.strictObject({
      disableLocalAuth: z.boolean().nullish(),
      publicNetworkAccess: onlyValue('Enabled', "only 'Enabled' is supported by this version of Lapis (it listens where --host says)"),
      tls: onlyValue({ clientCertEnabled: false }, 'client certificate authentication is not supported by this version of Lapis'),
      ...Object.fromEntries(READ_ONLY.map((k) => [k, z.unknown().optional()])),
      ...kind.propertyFields,
    }).nullish(),
  });
}

const regenerateBody = z.looseObject({ keyType: z.string().max(20) });

/** True for paths in the Microsoft.SignalRService namespace (below a subscription or resource group). */
export function isSignalRServicePath(segs: string[]): boolean {
  const lower = segs.map((s) => s.toLowerCase());
  if (lower[0] !== 'subscriptions') return false;
  if (lower.includes('microsoft.authorization')) return false;
  return (lower[2] === 'providers' && lower[3] === 'microsoft.signalrservice')
    || (lower[2] === 'resourcegroups' && lower[4] === 'providers' && lower[5] === 'microsoft.signalrservice');
}

const norm = (location: string) => location.replace(/\s+/g, '').toLowerCase();

/** A user-assigned identity's resource id as an RBAC scope (an id that is not one is checked at `/`, which only root grants pass). */
function scopeOf(resourceId: string): string {
  return /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+$/i.test(resourceId) ? resourceId : '/';
}

/** The handler for every kind given; `handle` answers any Microsoft.SignalRService path. */
export function signalRServiceArm(deps: ServiceArmDeps, kinds: readonly ServiceKind<any, any>[]) {
  const { access, identity, resources } = deps;
  const dir = identity.directory;
  const bodies = new Map(kinds.map((k) => [k, bodySchema(k)]));
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
  const knownSubscription = (sub: string): boolean => access.scopeTree.subscriptions().some((x) => x.id.toLowerCase() === sub)
    || resources.services().some((r) => r.subscriptionId === sub);

  async function handle(x: ServiceRequest): Promise<unknown> {
    const { segs, method, caller } = x;
    const { subscription: subLower, resourceGroup: rg, rest, type, version } = readProviderPath(x);
    const kind = kinds.find((k) => k.segment === type.toLowerCase());
    if (!kind) throw ARM.invalidResourceType(type, version, 'Microsoft.SignalRService');
    if (!kind.apiVersions.includes(version)) throw ARM.noProvider(version, type, kind.apiVersions);
    if (rg !== undefined && !RESOURCE_GROUP.test(rg)) throw ARM.badRequest(`The resource group name '${rg.slice(0, 100)}' is invalid.`);
    const records = kind.records(resources);
    const scopeBase = `/subscriptions/${subLower}${rg ? `/resourceGroups/${rg}` : ''}`;

    if (rest.length === 1) {
      if (method !== 'GET') throw ARM.methodNotAllowed(method);
      // As ARM does, a caller who may not read at the subscription or group sees the resources it
      // may read there; one who may read none of them is refused.
      const atBase = access.check({ principalId: caller.principalId, scope: scopeBase, action: kind.actions.read });
      const list = records.list().filter((r) => r.subscriptionId === subLower && (!rg || r.resourceGroup.toLowerCase() === rg.toLowerCase()))
        .filter((r) => atBase || access.check({ principalId: caller.principalId, scope: kind.idOf(subLower, r.resourceGroup, r.name), action: kind.actions.read }));
      if (!atBase && list.length === 0) authorize(caller, kind.actions.read, scopeBase);
      return { value: list.sort((a, b) => a.name.localeCompare(b.name)).map((r) => serviceJson(kind, r, dir, deps.advertise)), nextLink: null };
    }
    if (!rg) throw ARM.notFound(x.path);
    const name = rest[1]!;
    const id = kind.idOf(subLower, rg, name);
    /** The resource named in the URL, in that subscription and resource group, or 404. */
    const find = () => {
      const r = records.get(name);
      if (!r || r.subscriptionId !== subLower || r.resourceGroup.toLowerCase() !== rg.toLowerCase()) throw ARM.resourceNotFound(rg, kind.idType, name);
      return r;
    };
    if (rest.length === 2) return resource(kind, x, subLower, rg, name, id);
    const child = rest[2]!.toLowerCase();
    if (rest.length === 3 && (child === 'listkeys' || child === 'regeneratekey')) {
      if (method !== 'POST') throw ARM.methodNotAllowed(method);
      if (child === 'listkeys') {
        authorize(caller, kind.actions.listKeys, id);
        return keysJson(find(), deps.advertise);
      }
      authorize(caller, kind.actions.regenerateKey, id);
      const b = parseBody(regenerateBody, x.req.body);
      const KEY_TYPES: Record<string, 'Primary' | 'Secondary' | 'Salt'> = { primary: 'Primary', secondary: 'Secondary', salt: 'Salt' };
      const which = KEY_TYPES[b.keyType.toLowerCase()];
      if (!which) throw ARM.badRequest(`'keyType' must be one of 'Primary', 'Secondary', 'Salt' (got '${b.keyType.slice(0, 40)}').`);
      return exclusive(async () => {
        const r = find();
        if (which === 'Salt') {
          // Salt renews the key that signs tokens from :generateToken; the access keys stay.
          const next = await records.update(r.name, (cur) => ({ ...cur, internalKey: generateAccessKey() }));
          if (!next) throw ARM.resourceNotFound(rg, kind.idType, name);
          return keysJson(next, deps.advertise);
        }
        return keysJson(await records.regenerateKey(r.name, which), deps.advertise);
      });
    }
    const answer = kind.child?.({
      x, sub: subLower, rg, name, id, rest: rest.slice(2), find, records, dir,
      authorize: (action, scope) => authorize(caller, action, scope), exclusive,
    });
    if (answer) return answer;
    throw ARM.notFound(x.path);
  }

  async function resource(kind: ServiceKind<any, any>, x: ServiceRequest, sub: string, rg: string, name: string, id: string): Promise<unknown> {
    const { method, caller, reply } = x;
    const records = kind.records(resources);
    const inPlace = (r: ServiceResourceRecord | undefined) => r && r.subscriptionId === sub && r.resourceGroup.toLowerCase() === rg.toLowerCase();
    if (method === 'GET') {
      authorize(caller, kind.actions.read, id);
      const r = records.get(name);
      if (!inPlace(r)) throw ARM.resourceNotFound(rg, kind.idType, name);
      return serviceJson(kind, r, dir, deps.advertise);
    }
    if (method === 'DELETE') {
      authorize(caller, kind.actions.delete, id);
      const r = records.get(name);
      if (!inPlace(r)) return reply.code(204).send();
      if (!deps.stopResource) {
        throw ARM.operationNotSupported(`Deleting the ${kind.label} resource '${r.name}' is not supported by this version of Lapis while it runs: remove it from the config file (if declared there) and restart, or keep it. Nothing was changed.`);
      }
      // As in Azure: the resource stops serving, and its system-assigned identity goes with it.
      await deps.stopResource(r.name);
      await dir.deleteManagedIdentity(r.id);
      await records.delete(r.name);
      return reply.code(200).send();
    }
    if (method !== 'PUT' && method !== 'PATCH') throw ARM.methodNotAllowed(method);
    authorize(caller, kind.actions.write, id);
    if (!RESOURCE_NAME.test(name)) throw ARM.invalidResourceName(name);
    const b = parseBody(bodies.get(kind)!, x.req.body);
    let want: ResourceIdentity | undefined;
    try {
      if (b.identity) want = parseArmIdentity(b.identity);
      else if (method === 'PUT') want = { type: 'None' };  // PUT replaces the resource: no identity means none
    } catch (err) {
      if (err instanceof ResourceIdentityError) throw new ArmError(400, err.code, err.message);
      throw err;
    }
    const props = b.properties ?? undefined;

    return exclusive(async () => {
      const prior = records.get(name);
      if (prior && !inPlace(prior)) throw ARM.nameNotAvailable(name);
      if (!prior && resources.nameTakenBy(name)) throw ARM.nameNotAvailable(name);
      if (!prior && method === 'PATCH') throw ARM.resourceNotFound(rg, kind.idType, name);
      // Attaching a user-assigned identity also needs its assign permission (ARM's linked check).
      if (want?.type === 'UserAssigned' && want.userAssignedIdentity
        && !(prior?.identity.type === 'UserAssigned' && prior.identity.userAssignedIdentity?.toLowerCase() === want.userAssignedIdentity.toLowerCase())
        && !access.check({ principalId: caller.principalId, scope: scopeOf(want.userAssignedIdentity), action: ASSIGN_IDENTITY_ACTION })) {
        throw ARM.linkedAuthorizationFailed({
          client: caller.clientName, objectId: caller.principalId, action: kind.actions.write, scope: id, linkedAction: ASSIGN_IDENTITY_ACTION, linkedScope: want.userAssignedIdentity,
        });
      }
      const applyIdentity = async (r: ServiceResourceRecord): Promise<ResourceIdentity> => {
        if (!want) return r.identity;  // PATCH without identity: unchanged
        try {
          return await applyResourceIdentity(dir, r, want);
        } catch (err) {
          if (err instanceof ResourceIdentityError) throw new ArmError(400, err.code, err.message);
          throw err;
        }
      };
      const sku = b.sku ? { name: b.sku.name, capacity: b.sku.capacity ?? undefined } : undefined;

      if (prior) {
        if (b.location && norm(b.location) !== norm(prior.location)) throw ARM.locationChange(prior.name, prior.resourceGroup, prior.location, b.location);
        // The kind checks its settings before anything (the identity) changes.
        kind.update(prior, props, method, dir);
        const nextIdentity = await applyIdentity(prior);
        // PUT replaces the resource; PATCH changes only what it names. Compare-and-swap on what
        // is stored now: a key regenerated through another node meanwhile is kept.
        const next = await records.update(name, (current) => ({
          ...kind.update(current, props, method, dir),
          identity: nextIdentity,
          tags: b.tags ?? (method === 'PUT' ? undefined : current.tags),
          sku: sku ?? (method === 'PUT' ? undefined : current.sku),
        }));
        if (!next) throw ARM.resourceNotFound(rg, kind.idType, name);  // deleted through another node meanwhile
        return reply.code(200).send(serviceJson(kind, next, dir, deps.advertise));
      }

      if (!deps.startResource) throw ARM.operationNotSupported('This Lapis node cannot start new resources at run time; declare the resource in the config file and restart.');
      if (!knownSubscription(sub)) throw ARM.subscriptionNotFound(sub);
      if (!b.location) throw ARM.locationRequired();
      // Atomic across nodes: of two creations of one name at once (through any nodes), one goes on.
      const claim = await resources.claimName(name, records.type);
      if (!claim.claimed) {
        throw claim.holderType.toLowerCase() === records.type.toLowerCase() ? ARM.anotherOperationInProgress(name) : ARM.nameNotAvailable(name);
      }
      const base: ServiceResourceBase = {
        id, name, resourceGroup: rg, subscriptionId: sub, tenantId: dir.defaultTenant.id,
        location: b.location, ports: {}, declaredPorts: {},
        accessKeys: { primaryKey: generateAccessKey(), secondaryKey: generateAccessKey() },
        identity: { type: 'None' }, limits: {}, internalKey: generateAccessKey(), tags: b.tags ?? undefined, sku,
      };
      let record: ServiceResourceRecord;
      try {
        record = kind.create(base, props, dir);
        record.identity = await applyIdentity(record);
      } catch (err) {
        await resources.releaseName(name);
        throw err;
      }
      try {
        await deps.startResource(record);
      } catch (err) {
        await dir.deleteManagedIdentity(record.id);
        await resources.releaseName(name);
        throw err;
      }
      // Starting stores the record with the ports it chose; store it in any case.
      const started = records.get(name) ?? record;
      if (started === record) await records.put(record);
      return reply.code(201).send(serviceJson(kind, started, dir, deps.advertise));
    });
  }

  return { handle };
}
