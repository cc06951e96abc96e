import { randomBytes, randomUUID } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { isKeyVault, type KeyVaultResourceConfig, type LapisConfig, type ResourceConfig } from '../config/index.ts';
import { KEY_VAULT_TYPE, POLICY_PERMISSIONS, applyPolicyUpdate, keyVaultId, normalisePolicy } from '../vault/index.ts';
import type { IdentityService, ManagedIdentity } from '../identity/index.ts';
import { resolvePrincipalRef } from './principal-ref.ts';
import type { ResourceRegistry } from './resources.ts';
import { DEFAULT_WORLD, WorldError, applyServiceResource, defaultSignalR, defaultWebPubSub } from './world-services.ts';

const SETTINGS_KIND = 'control.settings';
interface WorldSettings {
  tenantId: string;
  subscriptionId: string;
  defaultWorldCreated?: boolean;
  /** The default SignalR resource came later than the default world: data directories from before get it once. */
  defaultSignalRCreated?: boolean;
  bootstrapAdminAppId?: string;
  /** The bootstrap administrator user's object id ('' when its UPN was already taken, e.g. declared by the config). */
  bootstrapUserId?: string;
}

/** Where the host's own system-assigned identity lives (the machine Lapis runs on). */
export const HOST_RESOURCE_GROUP = 'lapis-host';
export const hostResourceId = (sub: string) => `/subscriptions/${sub}/resourceGroups/${HOST_RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachines/lapis-host`;


export { WorldError, DEFAULT_WORLD } from './world-services.ts';

export interface World {
  tenantId: string;
  subscriptionId: string;
  hostIdentity: ManagedIdentity;
  /** Set on the very first start only: the bootstrap administrator's credential, to print once. */
  bootstrapAdmin?: { appId: string; secretText: string };
  bootstrapAdminAppId?: string;
  /** Set on the start that created it only: the bootstrap administrator user's sign-in, to print once. */
  bootstrapUser?: { userPrincipalName: string; password: string };
  bootstrapUserId?: string;
}

/** The application created on first start with directory-admin rights (printed once, like a secret). */
export const BOOTSTRAP_ADMIN_NAME = 'lapis-admin';

/**
 * Brings the store in line with the config, idempotently: declared objects are created or
 * updated to match; objects created at run time are kept. Without a config file, the default
 * world is created once.
 */
export async function applyWorld(store: Store, identity: IdentityService, resources: ResourceRegistry, config: LapisConfig | undefined): Promise<World> {
  let prior = await store.get<WorldSettings>(SETTINGS_KIND, 'world');
  if (!prior) {
    // Nodes starting at once on an empty shared store make one world: the first to write its ids wins.
    const first: WorldSettings = { tenantId: (config?.tenantId ?? randomUUID()).toLowerCase(), subscriptionId: (config?.subscriptionId ?? randomUUID()).toLowerCase() };
    prior = await store.insertIfAbsent(SETTINGS_KIND, 'world', first) ? first : await store.get<WorldSettings>(SETTINGS_KIND, 'world') ?? first;
  }
  const settings: WorldSettings = {
    tenantId: (config?.tenantId ?? prior?.tenantId ?? randomUUID()).toLowerCase(),
    subscriptionId: (config?.subscriptionId ?? prior?.subscriptionId ?? randomUUID()).toLowerCase(),
    defaultWorldCreated: prior?.defaultWorldCreated,
    defaultSignalRCreated: prior?.defaultSignalRCreated,
    bootstrapAdminAppId: prior?.bootstrapAdminAppId,
    bootstrapUserId: prior?.bootstrapUserId,
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
      publicClient: a.publicClient, web: a.web, spa: a.spa,
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
  const bootstrapUser = settings.bootstrapUserId === undefined ? await ensureBootstrapUser(store, identity, settings) : undefined;

  await resources.load();
  const defaults: ResourceConfig[] = [
    ...(settings.defaultWorldCreated ? [] : [defaultWebPubSub()]),
    // Skipped when a resource of that name was made meanwhile (names are unique across kinds).
    ...(settings.defaultSignalRCreated || resources.nameTakenBy(DEFAULT_WORLD.signalR) ? [] : [defaultSignalR()]),
  ];
  const declared: ResourceConfig[] = config ? config.resources ?? [] : defaults;
  for (const [i, r] of declared.entries()) {
    if (!isKeyVault(r)) await applyServiceResource(identity, resources, settings, r, `$.resources[${i}]`);
  }
  // Vaults after the other resources: an access policy may name a resource's system identity.
  for (const [i, r] of declared.entries()) {
    if (isKeyVault(r)) await applyKeyVault(identity, resources, settings, r, `$.resources[${i}]`);
  }
  if (!config) {
    settings.defaultWorldCreated = true;
    settings.defaultSignalRCreated = true;
  }
  await saveSettings(store, settings);
  return {
    tenantId: settings.tenantId, subscriptionId: settings.subscriptionId, hostIdentity, bootstrapAdmin, bootstrapAdminAppId: settings.bootstrapAdminAppId,
    bootstrapUser, bootstrapUserId: settings.bootstrapUserId,
  };
}

/**
 * The bootstrap administrator user (`admin@<default domain>`, directory admin; Owner at `/` in
 * access-config.ts), made once per world, also for a world made before users could sign in. Nodes
 * starting together settle on one by an insert-if-absent claim; only the winner prints its password.
 */
async function ensureBootstrapUser(store: Store, identity: IdentityService, settings: WorldSettings): Promise<World['bootstrapUser']> {
  const dir = identity.directory;
  const userPrincipalName = `admin@${dir.getTenant(settings.tenantId)!.domains[0]}`;
  const mine = { userId: randomUUID(), userPrincipalName };
  if (!(await store.insertIfAbsent(SETTINGS_KIND, 'bootstrapUser', mine))) {
    settings.bootstrapUserId = (await store.get<typeof mine>(SETTINGS_KIND, 'bootstrapUser'))?.userId ?? '';
    return undefined;
  }
  const password = `Lp-${randomBytes(18).toString('base64url')}`;
  const created = await dir.createUserIfAbsent(settings.tenantId, { userPrincipalName, displayName: 'Lapis administrator', id: mine.userId, password });
  settings.bootstrapUserId = created ? mine.userId : '';
  if (!created) return undefined;
  await dir.grantDirectoryAdmin(mine.userId);
  return { userPrincipalName, password };
}

async function applyKeyVault(identity: IdentityService, resources: ResourceRegistry, settings: WorldSettings, r: KeyVaultResourceConfig, path: string): Promise<void> {
  const sub = (r.subscriptionId ?? settings.subscriptionId).toLowerCase();
  const prior = resources.getVault(r.name);
  // Names are unique across kinds; a vault this config made before keeps its name even if an older data directory let another kind share it.
  const claim = await resources.claimName(r.name, KEY_VAULT_TYPE, true);
  if (!prior && !claim.claimed) {
    throw new WorldError(`${path}.name: the name '${r.name}' is already used by a ${claim.holderType} resource (created at run time); delete it or choose another name`);
  }
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

/**
 * Keeps what another node starting at the same time recorded: flags are or-ed, the first
 * bootstrap administrator recorded stays the one remembered (compare-and-swap, retried).
 */
async function saveSettings(store: Store, mine: WorldSettings): Promise<void> {
  for (let attempt = 0; attempt < 16; attempt++) {
    const cur = await store.getVersioned<WorldSettings>(SETTINGS_KIND, 'world');
    if (!cur) {
      if (await store.insertIfAbsent(SETTINGS_KIND, 'world', mine)) return;
      continue;
    }
    const next: WorldSettings = {
      ...cur.doc, ...mine,
      defaultWorldCreated: cur.doc.defaultWorldCreated || mine.defaultWorldCreated,
      defaultSignalRCreated: cur.doc.defaultSignalRCreated || mine.defaultSignalRCreated,
      bootstrapAdminAppId: cur.doc.bootstrapAdminAppId ?? mine.bootstrapAdminAppId,
      bootstrapUserId: cur.doc.bootstrapUserId || mine.bootstrapUserId,
    };
    if (await store.replaceIf(SETTINGS_KIND, 'world', cur.revision, next)) return;
  }
  throw new Error('the world settings kept changing while this node saved its own');
}
