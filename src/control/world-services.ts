import { isSignalR, type SignalRConfig, type WebPubSubConfig } from '../config/index.ts';
import type { IdentityService } from '../identity/index.ts';
import { checkEventHandlerResources } from '../upstream/index.ts';
import { ResourceIdentityError, applyResourceIdentity, parseArmIdentity } from './resource-identity.ts';
import {
  SIGNALR_TYPE, WEBPUBSUB_TYPE, generateAccessKey, signalRId, webPubSubId,
  type HubRecord, type ResourceRecord, type ResourceRegistry, type ServiceResourceBase, type ServiceResourceRecord, type SignalRRecord,
} from './resources.ts';

/**
 * Declared Web PubSub and SignalR resources into records. What every kind shares (id, location,
 * ports, keys, limits, identity) is built once by `serviceBase` and `withIdentity`; each kind adds
 * only its own settings (Web PubSub hubs, SignalR features and upstream).
 */

export class WorldError extends Error {
  readonly code = 'LAPIS_CONFIG_INVALID';
}

/** What a newcomer gets with no config file: one resource of each kind they can use at once. */
export const DEFAULT_WORLD = { resourceGroup: 'lapis', webPubSub: 'webpubsub', hub: 'chat', signalR: 'signalr' } as const;

export function defaultWebPubSub(): WebPubSubConfig {
  return {
    type: WEBPUBSUB_TYPE, name: DEFAULT_WORLD.webPubSub, resourceGroup: DEFAULT_WORLD.resourceGroup,
    identity: { type: 'SystemAssigned' }, hubs: [{ name: DEFAULT_WORLD.hub, properties: { anonymousConnectPolicy: 'deny' } }],
  };
}

/**
 * Serverless, declared explicitly (Azure's own default is Default mode): Default mode needs an app
 * server connected to the service, which this version does not serve, so a Default-mode resource
 * would refuse a newcomer's every client. The banner prints the mode and how to switch.
 */
export function defaultSignalR(): SignalRConfig {
  return {
    type: SIGNALR_TYPE, name: DEFAULT_WORLD.signalR, resourceGroup: DEFAULT_WORLD.resourceGroup, identity: { type: 'SystemAssigned' },
    properties: { features: [{ flag: 'ServiceMode', value: 'Serverless', properties: {} }] },
  };
}

interface Settings { tenantId: string; subscriptionId: string }
type Declared = WebPubSubConfig | SignalRConfig;

/** The kind-independent part of a record: declared values win, then what was stored, then defaults. */
function serviceBase(settings: Settings, r: Declared, prior: ServiceResourceBase | undefined, idOf: (sub: string, rg: string, name: string) => string): ServiceResourceBase {
  const sub = (r.subscriptionId ?? settings.subscriptionId).toLowerCase();
  const declaredPorts = { https: r.ports?.https, http: r.ports?.http };
  return {
    id: idOf(sub, r.resourceGroup, r.name), name: r.name, resourceGroup: r.resourceGroup, subscriptionId: sub, tenantId: settings.tenantId,
    location: r.location ?? prior?.location ?? 'local',
    ports: { https: declaredPorts.https ?? prior?.ports.https, http: declaredPorts.http ?? prior?.ports.http },
    declaredPorts,
    accessKeys: r.accessKeys ?? prior?.accessKeys ?? { primaryKey: generateAccessKey(), secondaryKey: generateAccessKey() },
    identity: { type: 'None' },
    limits: { ...prior?.limits, ...r.limits },
    // Persisted, so client URLs from :generateToken survive a restart.
    internalKey: prior?.internalKey ?? generateAccessKey(),
    tags: prior?.tags,
    sku: prior?.sku,
  };
}

/** A resource has at most one managed identity: its system one, or one user-assigned. */
async function withIdentity<T extends ServiceResourceRecord>(identity: IdentityService, record: T, r: Declared, prior: T | undefined, path: string): Promise<T> {
  try {
    const want = r.identity ? parseArmIdentity(r.identity) : prior?.identity ?? { type: 'None' as const };
    record.identity = await applyResourceIdentity(identity.directory, record, want);
    return record;
  } catch (err) {
    if (err instanceof ResourceIdentityError) throw new WorldError(`${path}.identity.${err.field}: ${err.message}`);
    throw err;
  }
}

/** A ManagedIdentity handler's or template's resource must be an application registered in the tenant (never Graph). */
function checkResources(identity: IdentityService, tenantId: string, list: readonly { auth?: { type: string; managedIdentity?: { resource: string } } | undefined }[], path: string): void {
  const problems = checkEventHandlerResources(identity.directory, tenantId, list);
  if (problems.length) throw new WorldError(problems.map((p) => `${path}${p.path}: ${p.message}`).join('\n  '));
}

export async function applyServiceResource(identity: IdentityService, resources: ResourceRegistry, settings: Settings, r: Declared, path: string): Promise<void> {
  // Names are unique across kinds (a resource made at run time may hold the name already).
  const holder = resources.nameTakenBy(r.name);
  if (holder && holder.toLowerCase() !== r.type.toLowerCase()) {
    throw new WorldError(`${path}.name: the name '${r.name}' is already used by a ${holder} resource (created at run time); delete it or choose another name`);
  }
  // Atomic across nodes (several may start at once with one config): the declared kind holds the name.
  const type = isSignalR(r) ? SIGNALR_TYPE : WEBPUBSUB_TYPE;
  const claim = await resources.claimName(r.name, type, true);
  // A resource this config made before keeps its name even if an older data directory let another kind share it.
  if (!claim.claimed && !resources.kind(type).get(r.name)) throw new WorldError(`${path}.name: the name '${r.name}' is already used by a ${claim.holderType} resource (created at run time); delete it or choose another name`);
  if (isSignalR(r)) await applySignalR(identity, resources, settings, r, path);
  else await applyWebPubSub(identity, resources, settings, r as WebPubSubConfig, path);
}

async function applyWebPubSub(identity: IdentityService, resources: ResourceRegistry, settings: Settings, r: WebPubSubConfig, path: string): Promise<void> {
  const prior = resources.webPubSub.get(r.name);
  const hubs: Record<string, HubRecord> = { ...(prior?.hubs ?? {}) };
  for (const [j, h] of (r.hubs ?? []).entries()) {
    const handlers = h.properties?.eventHandlers;
    if (handlers) checkResources(identity, settings.tenantId, handlers, `${path}.hubs[${j}].properties.eventHandlers`);
    hubs[h.name.toLowerCase()] = { name: h.name, properties: { anonymousConnectPolicy: h.properties?.anonymousConnectPolicy, eventHandlers: handlers } };
  }
  const record: ResourceRecord = {
    ...serviceBase(settings, r, prior, webPubSubId),
    type: WEBPUBSUB_TYPE,
    properties: { disableLocalAuth: r.properties?.disableLocalAuth ?? prior?.properties.disableLocalAuth ?? false },
    hubs,
  };
  await resources.webPubSub.put(await withIdentity(identity, record, r, prior, path));
}

async function applySignalR(identity: IdentityService, resources: ResourceRegistry, settings: Settings, r: SignalRConfig, path: string): Promise<void> {
  const prior = resources.signalR.get(r.name);
  const p = r.properties;
  const templates = p?.upstream?.templates;
  if (templates) checkResources(identity, settings.tenantId, templates, `${path}.properties.upstream.templates`);
  const record: SignalRRecord = {
    ...serviceBase(settings, r, prior, signalRId),
    type: SIGNALR_TYPE,
    properties: {
      // A declared setting replaces the stored one; one left out keeps what was set at run time.
      features: p?.features ?? prior?.properties.features ?? [],
      upstream: { templates: templates ?? prior?.properties.upstream.templates ?? [] },
      cors: { allowedOrigins: p?.cors?.allowedOrigins ?? prior?.properties.cors.allowedOrigins ?? ['*'] },
      disableLocalAuth: p?.disableLocalAuth ?? prior?.properties.disableLocalAuth ?? false,
      disableAadAuth: p?.disableAadAuth ?? prior?.properties.disableAadAuth ?? false,
    },
  };
  if (r.tags) record.tags = r.tags;
  if (r.sku) record.sku = { name: r.sku.name, capacity: r.sku.capacity };
  await resources.signalR.put(await withIdentity(identity, record, r, prior, path));
}
