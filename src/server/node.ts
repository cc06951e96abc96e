import { mkdirSync, readFileSync, existsSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../log/index.ts';
import { loadConfigFile, type LapisConfig } from '../config/index.ts';
import { createSealer, loadMasterKey, openEmbeddedStore, PostgresStore, type Sealer, type Store } from '../store/index.ts';
import { ensureTls } from '../tls/index.ts';
import { storeCa } from '../tls/store-ca.ts';
import { authorityOrigin, isClustered, nodeSite, openNodeBackplane, openNodeSessions } from './cluster.ts';
import { offsetPort } from './options.ts';
import { writeAtomic } from '../tls/index.ts';
import { IdentityService } from '../identity/index.ts';
import { ResourceRegistry, applyWorld, armRoutes, createAccessControl, type ServiceResourceRecord } from '../control/index.ts';
import type { AccessControl } from '../access/index.ts';
import { VaultService } from '../vault/index.ts';
import type { VaultRecord } from '../control/index.ts';
import { graphRoutes, GRAPH_AUDIENCES } from '../control/graph/index.ts';
import { ActivityLog, registerActivityRecorder } from '../control/activity/index.ts';
import { ARM_AUDIENCES } from '../control/arm/index.ts';
import { mountPortal, originOf } from '../portal/index.ts';
import { TraceBus } from '../trace/index.ts';
import { openListener, registerHealth } from './listeners.ts';
import { bindPort, basePort, clientOrigin, startService, type NodeSite, type ServiceDeps } from './service-origins.ts';
import { mainHttpFrameworkErrors, mainHttpNotFound, mainHttpsFrameworkErrors, mainHttpsNotFound } from './not-found.ts';
import { removeReady, writeReady, type ReadyInfo, type ReadyResource } from './ready.ts';
import type { StartOptions } from './options.ts';
import { backplaneProbe, createNodeMetrics, MAIN_ORIGIN, NodeHealth, type NodeMetrics } from '../metrics/index.ts';

export interface LapisNode {
  ready: ReadyInfo;
  /** Only on the first start of a data directory: the bootstrap administrator, shown once. */
  bootstrapAdmin?: { appId: string; secretText: string };
  /** Only on the start that created it: the bootstrap administrator user's sign-in, shown once. */
  bootstrapUser?: { userPrincipalName: string; password: string };
  identity: IdentityService;
  resources: ResourceRegistry;
  access: AccessControl;
  /** Seals secrets at rest under this node's master key (shared by a cluster's nodes). */
  sealer: Sealer;
  log: Logger;
  /** This node's Prometheus registry (`GET {httpUrl}/metrics`). */
  metrics: NodeMetrics;
  /** This node's store and backplane reachability (`/api/health` of the main listeners). */
  health: NodeHealth;
  stop(): Promise<void>;
}

/**
 * Starts one Lapis node: validates the config in full, opens the store, makes sure the TLS
 * material exists, applies the world, opens the main and per-resource listeners, and writes
 * ready.json. Nothing listens if any step before the listeners fails.
 */
export async function startLapis(opts: StartOptions, log: Logger = createLogger({ level: opts.logLevel })): Promise<LapisNode> {
  const config: LapisConfig | undefined = opts.configPath ? loadConfigFile(opts.configPath) : undefined;
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const cleanup: (() => Promise<void> | void)[] = [];
  const undo = async () => { for (const f of cleanup.reverse()) await f(); };
  try {
    const sealer = createSealer(loadMasterKey({ dataDir: opts.dataDir, file: opts.masterKeyFile, env: process.env.LAPIS_MASTER_KEY }).key);
    const site = nodeSite(opts);
    const rawStore: Store = opts.store !== undefined
      ? await PostgresStore.open(opts.store, { log: log.child({ piece: 'store' }), applicationName: `lapis-${opts.nodeName ?? 'node'}` })
      : openEmbeddedStore(opts.dataDir);
    cleanup.push(() => rawStore.close());
    const metrics = createNodeMetrics({ node: opts.nodeName ?? 'node' });
    // Every piece uses the measured store; the health probe reads the store itself.
    const store = metrics.store.instrument(rawStore);
    const backplane = await openNodeBackplane(opts, log.child({ piece: 'backplane' }));
    cleanup.push(() => backplane.close());
    metrics.attachBackplane(opts.backplane !== undefined ? 'redis' : 'in-process', backplane);
    const sessions = await openNodeSessions(opts, backplane, log.child({ piece: 'sessions' }));
    if (sessions) cleanup.push(() => sessions.close());
    const tls = await ensureTls(opts.dataDir, [...config?.tlsNames ?? [], ...site.publicHost ? [site.publicHost] : []], isClustered(opts) ? storeCa(store, sealer) : undefined);
    const listenerTls = { key: tls.keyPem, cert: tls.certPem };

    const https = await openListener({ name: 'main-https', host: opts.host, port: offsetPort(opts.httpsPort, site.portOffset), tls: listenerTls, log, frameworkErrors: mainHttpsFrameworkErrors });
    cleanup.push(https.close);
    const http = await openListener({ name: 'main-http', host: opts.host, port: offsetPort(opts.httpPort, site.portOffset), log, frameworkErrors: mainHttpFrameworkErrors });
    cleanup.push(http.close);
    for (const l of [https, http]) metrics.http.instrument(l.app, MAIN_ORIGIN);
    const ownHttpsUrl = `https://localhost:${https.port}`;
    const httpsUrl = opts.publicUrl ?? ownHttpsUrl;
    const httpUrl = `http://127.0.0.1:${http.port}`;
    const authorityHost = await authorityOrigin(store, opts, ownHttpsUrl);

    const identity = new IdentityService({ store, sealer, authorityHost, log: log.child({ piece: 'identity' }), lockout: config?.signInLockout });
    await identity.start();
    cleanup.push(() => identity.stop());
    // Resources follow the store's change feed (created, changed, deleted through any node); keys are sealed at rest.
    const resources = new ResourceRegistry(store, { sealer, onError: (err) => log.warn({ err }, 'resources: a change from the store could not be read; the next change or resync repairs it') });
    cleanup.push(() => resources.close());
    const world = await applyWorld(store, identity, resources, config);
    identity.hostIdentity = world.hostIdentity;
    const access = await createAccessControl({
      store, identity, resources, world, config,
      onError: (err) => log.warn({ err }, 'access control: a change from the store could not be read; the next change or resync repairs it'),
    });
    cleanup.push(() => access.close());
    const identityHeader = loadIdentityHeader(opts.dataDir);

    // The main listeners answer for the node: store and backplane reachable (200) or not (503).
    const health = new NodeHealth({ node: metrics.node, probeStore: () => rawStore.get('lapis-health', 'probe'), backplane: backplaneProbe(metrics.backplane) });
    for (const l of [https, http]) health.register(l.app);
    metrics.registerRoute(http.app);
    mainHttpsNotFound(https.app);
    mainHttpNotFound(http.app);
    identity.registerAuthorityRoutes(https.app);
    // Every change through ARM or Graph is recorded in the activity log (store-backed, bounded).
    const activity = new ActivityLog(store, config?.activityLog);
    void https.app.register(async (scope) => {
      registerActivityRecorder(scope, { activity, identity, surface: 'Graph', audiences: GRAPH_AUDIENCES });
      return graphRoutes(scope, identity);
    });
    // Web PubSub and SignalR resources created through the ARM API start here (bound once the node is up).
    let startCreated = async (_record: ServiceResourceRecord): Promise<void> => { throw new Error('Lapis is still starting'); };
    let stopDeleted = async (_name: string): Promise<void> => { throw new Error('Lapis is still starting'); };
    // Live trace and the upstream inspector: each resource publishes to its channel on this node's bus.
    const trace = new TraceBus(opts.nodeName ?? 'node');
    void https.app.register(async (scope) => {
      registerActivityRecorder(scope, { activity, identity, surface: 'ARM', audiences: ARM_AUDIENCES });
      return armRoutes(scope, {
        activity, access, identity, resources, startResource: (r) => startCreated(r), stopResource: (n) => stopDeleted(n), trace,
        advertise: { host: site.publicHost ?? 'localhost', port: (base) => site.publicHost === undefined ? bindPort(site, base) : base },
      });
    });
    // The portal's pages call each Web PubSub / SignalR origin (Explorer) and each Key Vault's (started
    // below): CSP names them, they allow the portal (CORS).
    const serviceOrigins: string[] = [];
    const vaults: { name: string; service: VaultService; origin: string }[] = [];
    const portalUrl = await mountPortal(https.app, {
      store, identity, tenantId: world.tenantId, subscriptionId: world.subscriptionId, httpsUrl, authorityHost,
      connectOrigins: () => [...serviceOrigins, ...vaults.map((v) => v.origin)],
    });
    access.denials.portalUrl = portalUrl; // denial links in 401/403 messages ("why was this denied")
    access.denials.node = opts.nodeName ?? 'node';
    identity.registerManagedIdentityRoutes(http.app, identityHeader);
    await Promise.all([https.app.ready(), http.app.ready()]);

    const readyResources: ReadyResource[] = [];
    for (const record of resources.vaults()) {
      const declared = config?.resources?.find((r) => r.name.toLowerCase() === record.name.toLowerCase());
      const started = await startVault(record, resources, { store, sealer, identity, access, host: opts.host, tls: listenerTls, metrics, log, site, portalOrigin: originOf(portalUrl) });
      cleanup.push(started.close);
      if (declared && 'secrets' in declared) await started.service.applyDeclaredSecrets(declared.secrets ?? []);
      vaults.push({ name: record.name, service: started.service, origin: started.origin });
      readyResources.push(started.ready);
    }
    const serviceDeps: ServiceDeps = {
      metrics,
      resources, identity, access, host: opts.host, tls: listenerTls, log, site, backplane, sessions, portalOrigin: originOf(portalUrl), trace,
      upstream: {
        identity, ca: tls.caCertPem,
        vaultOrigins: () => vaults.map((v) => v.origin),
        allowPrivateTargets: () => config?.upstream?.allowPrivateTargets ?? false,
      },
    };
    const running = new Map<string, { close(): Promise<void>; ready: ReadyResource }>();
    const startOne = async (record: ServiceResourceRecord) => {
      const started = await startService(record, serviceDeps);
      cleanup.push(started.close);
      readyResources.push(started.ready);
      if (started.ready.endpoint) serviceOrigins.push(originOf(started.ready.endpoint));
      running.set(record.name.toLowerCase(), started);
      // A changed secret re-resolves the Key Vault references of this resource's handler URLs.
      const changed = started.keyVaultChanged;
      if (changed) for (const v of vaults) v.service.onSecretChanged(() => changed(v.origin));
    };
    for (const record of resources.services()) await startOne(record);
    // Access to a vault changed (policies through ARM, role assignments): references refused
    // before are tried again at once instead of after their retry delay.
    resources.onVaultChanged((name) => vaults.find((v) => v.name === name)?.service.accessChanged());
    access.onChange(() => { for (const v of vaults) v.service.accessChanged(); });

    const ready: ReadyInfo = {
      httpUrl, httpsUrl, authorityHost, managementEndpoint: httpsUrl, portalUrl,
      tenantId: world.tenantId, subscriptionId: world.subscriptionId, caCertPath: tls.caCertPath,
      managedIdentity: {
        identityEndpoint: `${httpUrl}/msi/token`, identityHeader, imdsEndpoint: httpUrl,
        systemAssigned: { clientId: world.hostIdentity.clientId, objectId: world.hostIdentity.principalId },
      },
      resources: readyResources,
      nodeName: opts.nodeName ?? 'node',
      ...isClustered(opts) ? { store: 'postgresql' as const, backplane: 'redis' as const } : {},
    };
    writeReady(opts.dataDir, ready);
    let stopped = false;
    const starting = new Set<string>();
    startCreated = async (record) => {
      if (stopped) throw new Error('Lapis is stopping');
      // Once per resource: the ARM call that starts it here also stores it, which the feed reports.
      const key = record.name.toLowerCase();
      if (running.has(key) || starting.has(key)) return;
      starting.add(key);
      try {
        await startOne(record);
      } finally {
        starting.delete(key);
      }
      writeReady(opts.dataDir, ready);
    };
    stopDeleted = async (name) => {
      const r = running.get(name.toLowerCase());
      if (!r) return;
      running.delete(name.toLowerCase());
      await r.close();
      readyResources.splice(readyResources.indexOf(r.ready), 1);
      if (!stopped) writeReady(opts.dataDir, ready);
    };
    // Resources created or deleted through another node start and stop here too.
    resources.onServices({
      added: (r) => { startCreated(r).catch((err: unknown) => { if (!stopped) log.error({ err, resource: r.name }, 'a resource created through another node did not start on this one'); }); },
      removed: (r) => { stopDeleted(r.name).catch((err: unknown) => log.error({ err, resource: r.name }, 'a resource deleted through another node did not stop on this one')); },
    });
    // Created or deleted through another node while this one was starting (before it listened for that).
    for (const r of resources.services()) startCreated(r).catch((err: unknown) => log.error({ err, resource: r.name }, 'a resource created through another node did not start on this one'));
    for (const name of [...running.keys()]) if (!resources.getService(name)) stopDeleted(name).catch(() => {});
    return {
      ready, identity, resources, access, sealer, log, metrics, health, bootstrapAdmin: world.bootstrapAdmin, bootstrapUser: world.bootstrapUser,
      async stop() {
        if (stopped) return;
        stopped = true;
        removeReady(opts.dataDir);
        await undo();
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** The App Service IDENTITY_HEADER: generated once, kept in the data directory (owner-only). */
function loadIdentityHeader(dataDir: string): string {
  const file = join(dataDir, 'identity-header');
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return readFileSync(file, 'utf8').trim();
  }
  const value = randomBytes(32).toString('base64url');
  writeAtomic(file, value, 0o600);
  return value;
}

/** A Key Vault at the root of its own HTTPS origin (the SDK builds secret ids from the origin). */
async function startVault(record: VaultRecord, resources: ResourceRegistry, deps: { store: Store; sealer: Sealer; identity: IdentityService; access: AccessControl; host: string; tls: { key: string; cert: string }; metrics?: NodeMetrics; log: Logger; site: NodeSite; portalOrigin: string }) {
  const vlog = deps.log.child({ resource: record.name });
  let origin = '';
  const service = new VaultService({
    name: record.name, resourceId: record.id, tenantId: record.tenantId, location: record.location,
    vaultUri: () => origin, store: deps.store, sealer: deps.sealer, verifier: deps.identity.verifier, authorityHost: deps.identity.issuer.authorityHost,
    authorize: (principalId, dataAction, scope) => {
      const allowed = deps.access.check({ principalId, dataAction, scope });
      return { allowed, reason: allowed ? undefined : 'DeniedWithNoValidRBAC' };
    },
    permissionModel: () => resources.getVault(record.name)?.properties,
    denials: deps.access.denials,
    softDeleteRetentionInDays: record.properties?.softDeleteRetentionInDays,
    corsOrigins: () => [deps.portalOrigin],
    log: vlog,
  });
  const listener = await openListener({
    name: `${record.name}-https`, host: deps.host, port: bindPort(deps.site, record.ports.https), tls: deps.tls, log: vlog,
    fallbackToFreePort: record.declaredPorts.https === undefined,
  });
  try {
    registerHealth(listener.app);
    deps.metrics?.http.instrument(listener.app, record.name);
    service.mount(listener.app);
    await listener.app.ready();
  } catch (err) {
    await service.close();
    await listener.close();
    throw err;
  }
  origin = clientOrigin(deps.site, 'https', listener.port);
  const base = basePort(deps.site, listener.port);
  if (record.ports.https !== base && !(deps.site.shared && record.ports.https !== undefined)) await resources.putVault({ ...record, ports: { https: base } });
  const ready: ReadyResource = { type: record.type, name: record.name, id: record.id, vaultUri: `${origin}/` };
  return {
    service, origin, ready,
    close: async () => {
      await service.close();
      await listener.close();
    },
  };
}
