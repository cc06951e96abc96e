import type { FastifyInstance } from 'fastify';
import type { AccessControl } from '../access/index.ts';
import type { Backplane } from '../backplane/index.ts';
import type { ResourceRecord, ResourceRegistry, ServiceRecords, ServiceResourceRecord, SignalRRecord } from '../control/index.ts';
import { WebPubSubService } from '../dataplane/webpubsub/index.ts';
import { EntraAuthenticator } from '../dataplane/webpubsub/auth/entra.ts';
import { SignalRService } from '../dataplane/signalr/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import { SignalRUpstream, createUpstream, managedIdentityOf, type UpstreamDispatcher } from '../upstream/index.ts';
import { openListener, registerHealth, type Listener } from './listeners.ts';
import { allowPortalOrigin } from './portal-cors.ts';
import type { ReadyResource } from './ready.ts';
import type { NodeMetrics, ResourceSource } from '../metrics/index.ts';
import type { SessionStore } from '../dataplane/webpubsub/session-store/index.ts';
import { traceRestCalls, type ResourceTrace, type TraceBus } from '../trace/index.ts';

/**
 * Starting a Web PubSub or SignalR resource: each gets its own HTTPS and plain-HTTP origins
 * (`openServiceOrigins`, shared by every kind), with its kind's data-plane service mounted on both.
 * Ports chosen once are stored with the record and reused, so connection strings survive restarts.
 */

export type UpstreamShared = Pick<Parameters<typeof createUpstream>[0], 'ca' | 'vaultOrigins' | 'allowPrivateTargets'> & { identity: IdentityService; ca: string };

export interface ServiceDeps {
  resources: ResourceRegistry;
  identity: IdentityService;
  access: AccessControl;
  host: string;
  tls: { key: string; cert: string };
  log: Logger;
  upstream: UpstreamShared;
  /** The node's metrics: each origin's requests, the resource's connections and messages, upstream deliveries. */
  metrics?: NodeMetrics | undefined;
  /** Where this node sits: its port offset and the origin clients use for a resource port. */
  site: NodeSite;
  /** The node's backplane, shared by every resource (one channel each). */
  backplane: Backplane;
  /** The portal's origin: its Explorer calls each resource's REST API cross-origin (CORS for it alone). */
  portalOrigin?: string | undefined;
  /** Where Web PubSub reliable sessions outlive this node (Redis in a cluster); in-process when absent. */
  sessions?: SessionStore | undefined;
  /** The node's live trace bus (src/trace): each resource publishes to its own channel. */
  trace?: TraceBus | undefined;
}

/**
 * A resource's ports in the store are the cluster's (base) ports; each node binds base + its
 * `--port-offset`. Clients reach a resource at `https://localhost:<bound port>` on one node, or at
 * the public host on the base port when a load balancer fronts the cluster (`--public-url`).
 */
export interface NodeSite {
  portOffset: number;
  /** The host of `--public-url`, when one is set. */
  publicHost?: string | undefined;
  /**
   * In a cluster the stored ports are shared: a node that had to fall back to a free port keeps
   * it to itself instead of moving every node's resource.
   */
  shared?: boolean | undefined;
}

/** The port to bind for a stored base port (0 = any free port). */
export function bindPort(site: NodeSite, base: number | undefined): number {
  return base ? base + site.portOffset : 0;
}

/** The base port to store for a port this node bound. */
export function basePort(site: NodeSite, bound: number): number {
  return bound - site.portOffset > 0 ? bound - site.portOffset : bound;
}

/** What clients are told: the public host on the base port, or this node's own port. */
export function clientOrigin(site: NodeSite, scheme: 'https' | 'http', bound: number): string {
  if (site.publicHost !== undefined) return `${scheme}://${site.publicHost}:${basePort(site, bound)}`;
  return scheme === 'https' ? `https://localhost:${bound}` : `http://127.0.0.1:${bound}`;
}

export interface StartedService {
  ready: ReadyResource;
  /** Web PubSub only: told when a Key Vault secret changes (handler URLs re-resolve). */
  keyVaultChanged?: (vaultOrigin: string) => void;
  /** Idempotent: a resource deleted at run time is closed then, and again at node stop. */
  close(): Promise<void>;
}

interface Mountable { mount(app: FastifyInstance): void; close(): Promise<void> }

/** Opens a resource's two origins, mounts `service` on both, remembers the ports. */
async function openServiceOrigins<T extends ServiceResourceRecord>(record: T, records: ServiceRecords<T>, deps: ServiceDeps, rlog: Logger, service: Mountable, onEndpoint: (endpoint: string) => void, extraClose?: () => Promise<void>, trace?: ResourceTrace): Promise<StartedService> {
  const opened: Listener[] = [];
  const closeAll = async () => {
    deps.trace?.remove(record.id);
    await service.close();
    await extraClose?.();
    for (const l of opened) await l.close();
  };
  try {
    const remembered = (declared?: number) => declared === undefined;
    const httpsL = await openListener({ name: `${record.name}-https`, host: deps.host, port: bindPort(deps.site, record.ports.https), tls: deps.tls, log: rlog, fallbackToFreePort: remembered(record.declaredPorts.https) });
    opened.push(httpsL);
    const httpL = await openListener({ name: `${record.name}-http`, host: deps.host, port: bindPort(deps.site, record.ports.http), log: rlog, fallbackToFreePort: remembered(record.declaredPorts.http) });
    opened.push(httpL);
    const endpoint = clientOrigin(deps.site, 'https', httpsL.port);
    onEndpoint(endpoint);
    for (const l of opened) {
      registerHealth(l.app);
      deps.metrics?.http.instrument(l.app, record.name);
      if (deps.portalOrigin) allowPortalOrigin(l.app, deps.portalOrigin);
      if (trace) traceRestCalls(l.app, trace);
      service.mount(l.app);
      await l.app.ready();
    }
    const keepsStoredPorts = deps.site.shared && record.ports.https !== undefined && record.ports.http !== undefined;
    if (!keepsStoredPorts) await records.rememberPorts(record, { https: basePort(deps.site, httpsL.port), http: basePort(deps.site, httpL.port) });
    let closed = false;
    return {
      ready: {
        type: record.type, name: record.name, id: record.id, endpoint, httpEndpoint: clientOrigin(deps.site, 'http', httpL.port),
        connectionString: `Endpoint=${endpoint};AccessKey=${record.accessKeys.primaryKey};Version=1.0;`,
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

export function startService(record: ServiceResourceRecord, deps: ServiceDeps): Promise<StartedService> {
  return record.type === 'Microsoft.SignalRService/signalR' ? startSignalR(record, deps) : startWebPubSub(record, deps);
}

/** A Web PubSub resource: messaging core, REST API, client endpoint and upstream event handlers. */
async function startWebPubSub(record: ResourceRecord, deps: ServiceDeps): Promise<StartedService> {
  const { resources, identity, access } = deps;
  const rlog = deps.log.child({ resource: record.name });
  const current = () => resources.webPubSub.get(record.name) ?? record;
  let endpoint = '';
  const trace = deps.trace?.resource(record.id, record.name);
  const upstream: UpstreamDispatcher = createUpstream({
    capture: trace?.inspector,
    ...deps.upstream,
    resourceName: record.name, resourceId: record.id, log: rlog.child({ piece: 'upstream' }),
    publicEndpoint: () => endpoint,
    getAccessKeys: () => current().accessKeys,
    getEventHandlers: (hub) => current().hubs[hub.toLowerCase()]?.properties.eventHandlers,
    getManagedIdentity: () => managedIdentityOf(identity.directory, current()),
    observeDelivery: deps.metrics?.upstream.observer(record.name),
  });
  const entra = new EntraAuthenticator({ verifier: identity.verifier, check: access.dataActionCheck, tenantId: record.tenantId, denials: access.denials, resourceName: record.name });
  const service = new WebPubSubService({
    name: record.name,
    resourceId: record.id,
    getAccessKeys: () => current().accessKeys,
    isLocalAuthDisabled: () => current().properties.disableLocalAuth,
    getHubSettings: (hub: string) => current().hubs[hub.toLowerCase()]?.properties,
    log: rlog,
    limits: { maxConnections: record.limits?.maxConnections },
    authenticators: [entra],
    denials: access.denials,
    events: upstream,
    // Persisted, so client URLs from :generateToken survive a restart.
    internalSigningKey: () => current().internalKey,
    ...deps.sessions ? { sessions: deps.sessions } : {},
    trace,
  }, deps.backplane);
  const started = await openServiceOrigins(record, resources.webPubSub, deps, rlog, service, (e) => { endpoint = e; }, () => upstream.close(), trace);
  return tracked(deps, { name: record.name, kind: 'webpubsub', core: service.core }, { ...started, keyVaultChanged: (origin) => upstream.keyVaultChanged(origin) });
}

/**
 * A SignalR resource: the SignalR data plane (src/dataplane/signalr) reads everything from the
 * record; in serverless mode client events go to the resource's upstream templates.
 */
async function startSignalR(record: SignalRRecord, deps: ServiceDeps): Promise<StartedService> {
  const { resources, identity } = deps;
  const rlog = deps.log.child({ resource: record.name });
  const current = () => resources.signalR.get(record.name) ?? record;
  let endpoint = '';
  const trace = deps.trace?.resource(record.id, record.name);
  const service = new SignalRService({
    backplane: deps.backplane,
    trace,
    record: current,
    publicEndpoint: () => endpoint,
    identity,
    access: deps.access,
    upstream: { ca: deps.upstream.ca, vaultOrigins: () => deps.upstream.vaultOrigins?.() ?? [], allowPrivateTargets: () => deps.upstream.allowPrivateTargets?.() ?? false },
    log: rlog,
  });
  const upstream = new SignalRUpstream({
    resourceName: record.name,
    getAccessKeys: () => current().accessKeys,
    getTemplates: () => current().properties.upstream.templates,
    identity,
    getManagedIdentity: () => managedIdentityOf(identity.directory, current()),
    vaultOrigins: deps.upstream.vaultOrigins,
    allowPrivateTargets: deps.upstream.allowPrivateTargets,
    ca: deps.upstream.ca,
    log: rlog.child({ piece: 'upstream' }),
    observeDelivery: deps.metrics?.upstream.observer(record.name),
    capture: trace?.inspector,
  });
  // The service closes its client events (the upstream) when it closes.
  service.setClientEvents(upstream);
  const started = await openServiceOrigins(record, resources.signalR, deps, rlog, service, (e) => { endpoint = e; }, undefined, trace);
  const source: ResourceSource = { name: record.name, kind: 'signalr', core: service.core, serverConnections: () => service.serverConnectionCount };
  return tracked(deps, source, { ...started, keyVaultChanged: (origin) => upstream.keyVaultChanged(origin) });
}

/** Shows a started resource in the node's metrics until it closes (deleted through ARM, or the node stops). */
function tracked(deps: ServiceDeps, source: ResourceSource, started: StartedService): StartedService {
  const untrack = deps.metrics?.resources.track(source);
  if (!untrack) return started;
  return { ...started, close: async () => { untrack(); await started.close(); } };
}
