import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { isKeyVault, type KeyVaultResourceConfig, type LapisConfig, type ResourceConfig, type WebPubSubConfig } from '../config/index.ts';
import { checkEventHandlerResources } from '../upstream/index.ts';
import { KEY_VAULT_TYPE, POLICY_PERMISSIONS, applyPolicyUpdate, keyVaultId, normalisePolicy } from '../vault/index.ts';
import type { IdentityService, ManagedIdentity } from '../identity/index.ts';
import { resolvePrincipalRef } from './principal-ref.ts';
import { ResourceIdentityError, applyResourceIdentity, parseArmIdentity } from './resource-identity.ts';
import { ResourceRegistry, WEBPUBSUB_TYPE, generateAccessKey, webPubSubId, type HubRecord, type ResourceRecord } from './resources.ts';

const SETTINGS_KIND = 'control.settings';
interface WorldSettings { tenantId: string; subscriptionId: string; defaultWorldCreated?: boolean; bootstrapAdminAppId?: string }

/** Where the host's own system-assigned identity lives (the machine Lapis runs on). */
export const HOST_RESOURCE_GROUP = 'lapis-host';
export const hostResourceId = (sub: string) => `/subscriptions/${sub}/resourceGroups/${HOST_RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachines/lapis-host`;

/** What a newcomer gets with no config file: one resource they can use at once. */
export const DEFAULT_WORLD = { resourceGroup: 'lapis', webPubSub: 'webpubsub', hub: 'chat' } as const;

export class WorldError extends Error {
  readonly code = 'LAPIS_CONFIG_INVALID';
}

export interface World {
  tenantId: string;
  subscriptionId: string;
  hostIdentity: ManagedIdentity;
  /** Set on the very first start only: the bootstrap administrator's credential, to print once. */
  bootstrapAdmin?: { appId: string; secretText: string };
  bootstrapAdminAppId?: string;
}

/** The application created on first start with directory-admin rights (printed once, like a secret). */
export const BOOTSTRAP_ADMIN_NAME = 'lapis-admin';

/**
 * Brings the store in line with the config, idempotently: declared objects are created or
 * updated to match; objects created at run time are kept. Without a config file, the default
 * world is created once.
 */
export async function applyWorld(store: Store, identity: IdentityService, resources: ResourceRegistry, config: LapisConfig | undefined): Promise<World> {
  const prior = await store.get<WorldSettings>(SETTINGS_KIND, 'world');
  const settings: WorldSettings = {
    tenantId: (config?.tenantId ?? prior?.tenantId ?? randomUUID()).toLowerCase(),
    subscriptionId: (config?.subscriptionId ?? prior?.subscriptionId ?? randomUUID()).toLowerCase(),
    defaultWorldCreated: prior?.defaultWorldCreated,
    bootstrapAdminAppId: prior?.bootstrapAdminAppId,
  };
  const dir = identity.directory;
  await dir.upsertTenant({ id: settings.tenantId, domains: config?.domains, isDefault: true, displayName: 'Lapis' });
  for (const t of config?.tenants ?? []) {
    if (t.tenantId.toLowerCase() !== settings.tenantId) await dir.upsertTenant({ id: t.tenantId, displayName: t.displayName, domains: t.domains, isDefault: false });
  }
  const tenantOf = (id?: string) => (id ?? settings.tenantId).toLowerCase();

  for (const a of config?.applications ?? []) {
    await dir.upsertApplication(tenantOf(a.tenantId), {
      displayName: a.displayName, appId: a.appId, id: a.id, identifierUris: a.identifierUris,
      isFallbackPublicClient: a.isFallbackPublicClient, requestedAccessTokenVersion: a.api?.requestedAccessTokenVersion,
      passwordCredentials: a.passwordCredentials, keyCredentials: a.keyCredentials,
    });
  }
  for (const u of config?.users ?? []) await dir.upsertUser(tenantOf(u.tenantId), u);
  for (const m of config?.userAssignedIdentities ?? []) {
    const sub = (m.subscriptionId ?? settings.subscriptionId).toLowerCase();
    await dir.ensureManagedIdentity({
      type: 'UserAssigned', name: m.name, tenantId: settings.tenantId, clientId: m.clientId, principalId: m.principalId,
      resourceId: `/subscriptions/${sub}/resourceGroups/${m.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${m.name}`,
    });
  }

  const hostIdentity = await dir.ensureManagedIdentity({
    type: 'SystemAssigned', name: 'lapis-host', tenantId: settings.tenantId, resourceId: hostResourceId(settings.subscriptionId),
  });
  // Whoever can read the data directory (ready.json's identity header) administers this node.
  await dir.grantDirectoryAdmin(hostIdentity.principalId);
  let bootstrapAdmin: World['bootstrapAdmin'];
  if (!settings.bootstrapAdminAppId) {
    const app = await dir.upsertApplication(settings.tenantId, { displayName: BOOTSTRAP_ADMIN_NAME });
    const { secretText } = await dir.addPassword(app.appId, { displayName: 'bootstrap' });
    await dir.grantDirectoryAdmin(dir.servicePrincipal(app.appId)!.id);
    settings.bootstrapAdminAppId = app.appId;
    bootstrapAdmin = { appId: app.appId, secretText };
  }

  await resources.load();
  const declared: ResourceConfig[] = config ? config.resources ?? [] : settings.defaultWorldCreated ? [] : [defaultWebPubSub()];
  for (const [i, r] of declared.entries()) {
    if (!isKeyVault(r)) await applyWebPubSub(identity, resources, settings, r, `$.resources[${i}]`);
  }
  // Vaults after the other resources: an access policy may name a resource's system identity.
  for (const [i, r] of declared.entries()) {
    if (isKeyVault(r)) await applyKeyVault(identity, resources, settings, r, `$.resources[${i}]`);
  }
  if (!config) settings.defaultWorldCreated = true;
  await store.put(SETTINGS_KIND, 'world', settings);
  return { tenantId: settings.tenantId, subscriptionId: settings.subscriptionId, hostIdentity, bootstrapAdmin, bootstrapAdminAppId: settings.bootstrapAdminAppId };
}

function defaultWebPubSub(): WebPubSubConfig {
  return {
    type: WEBPUBSUB_TYPE, name: DEFAULT_WORLD.webPubSub, resourceGroup: DEFAULT_WORLD.resourceGroup,
    identity: { type: 'SystemAssigned' }, hubs: [{ name: DEFAULT_WORLD.hub, properties: { anonymousConnectPolicy: 'deny' } }],
  };
}

async function applyKeyVault(identity: IdentityService, resources: ResourceRegistry, settings: WorldSettings, r: KeyVaultResourceConfig, path: string): Promise<void> {
  const sub = (r.subscriptionId ?? settings.subscriptionId).toLowerCase();
  const prior = resources.getVault(r.name);
  // Declared policies replace the entry of the same principal; policies added at run time are kept.
  let accessPolicies = prior?.properties?.accessPolicies ?? [];
  for (const [j, p] of (r.properties?.accessPolicies ?? []).entries()) {
    let objectId = p.objectId;
    if (p.principal !== undefined) {
      const found = resolvePrincipalRef(identity, resources, p.principal);
      if ('error' in found) throw new WorldError(`${path}.properties.accessPolicies[${j}].principal: ${found.error}`);
      objectId = found.id;
    }
    const entry = normalisePolicy({ tenantId: p.tenantId ?? settings.tenantId, objectId: objectId!, applicationId: p.applicationId, permissions: p.permissions });
    accessPolicies = [...applyPolicyUpdate(accessPolicies, 'remove', [{ ...entry, permissions: ALL_PERMISSIONS }]), entry];
  }
  await resources.putVault({
    type: KEY_VAULT_TYPE, id: keyVaultId(sub, r.resourceGroup, r.name), name: r.name, resourceGroup: r.resourceGroup,
    subscriptionId: sub, tenantId: settings.tenantId, location: r.location ?? prior?.location ?? 'local',
    ports: { https: r.ports?.https ?? prior?.ports.https }, declaredPorts: { https: r.ports?.https },
    properties: {
      enableRbacAuthorization: r.properties?.enableRbacAuthorization ?? prior?.properties?.enableRbacAuthorization ?? true,
      accessPolicies,
      softDeleteRetentionInDays: r.properties?.softDeleteRetentionInDays ?? prior?.properties?.softDeleteRetentionInDays,
    },
  });
}

/** Every permission of every category: removing it drops a principal's entry entirely. */
const ALL_PERMISSIONS = Object.fromEntries(Object.entries(POLICY_PERMISSIONS).map(([k, v]) => [k, [...v]]));

async function applyWebPubSub(identity: IdentityService, resources: ResourceRegistry, settings: WorldSettings, r: WebPubSubConfig, path: string): Promise<void> {
  const sub = (r.subscriptionId ?? settings.subscriptionId).toLowerCase();
  const id = webPubSubId(sub, r.resourceGroup, r.name);
  const prior = resources.get(r.name);
  const hubs: Record<string, HubRecord> = { ...(prior?.hubs ?? {}) };
  for (const [j, h] of (r.hubs ?? []).entries()) {
    const handlers = h.properties?.eventHandlers;
    // A ManagedIdentity handler's resource must be an app registered in the tenant (never Graph).
    const problems = handlers ? checkEventHandlerResources(identity.directory, settings.tenantId, handlers) : [];
    if (problems.length) {
      throw new WorldError(problems.map((p) => `${path}.hubs[${j}].properties.eventHandlers${p.path}: ${p.message}`).join('\n  '));
    }
    hubs[h.name.toLowerCase()] = { name: h.name, properties: { anonymousConnectPolicy: h.properties?.anonymousConnectPolicy, eventHandlers: handlers } };
  }

  const declaredPorts = { https: r.ports?.https, http: r.ports?.http };
  const record: ResourceRecord = {
    type: WEBPUBSUB_TYPE, id, name: r.name, resourceGroup: r.resourceGroup, subscriptionId: sub, tenantId: settings.tenantId,
    location: r.location ?? prior?.location ?? 'local',
    ports: { https: declaredPorts.https ?? prior?.ports.https, http: declaredPorts.http ?? prior?.ports.http },
    declaredPorts,
    accessKeys: r.accessKeys ?? prior?.accessKeys ?? { primaryKey: generateAccessKey(), secondaryKey: generateAccessKey() },
    properties: { disableLocalAuth: r.properties?.disableLocalAuth ?? prior?.properties.disableLocalAuth ?? false },
    identity: { type: 'None' },
    hubs,
    limits: { maxConnections: r.limits?.maxConnections ?? prior?.limits?.maxConnections },
    internalKey: prior?.internalKey ?? generateAccessKey(),
    // ARM metadata set through the API is not the config's business: kept as it was.
    tags: prior?.tags,
    sku: prior?.sku,
  };

  // A resource has at most one managed identity: its system one, or one user-assigned.
  try {
    const want = r.identity ? parseArmIdentity(r.identity) : prior?.identity ?? { type: 'None' as const };
    record.identity = await applyResourceIdentity(identity.directory, record, want);
  } catch (err) {
    if (err instanceof ResourceIdentityError) throw new WorldError(`${path}.identity.${err.field}: ${err.message}`);
    throw err;
  }
  await resources.put(record);
}
