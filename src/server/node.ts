import { mkdirSync, readFileSync, existsSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../log/index.ts';
import { loadConfigFile, type LapisConfig } from '../config/index.ts';
import { openEmbeddedStore, type Store } from '../store/index.ts';
import { ensureTls } from '../tls/index.ts';
import { writeAtomic } from '../tls/index.ts';
import { IdentityService } from '../identity/index.ts';
import { ResourceRegistry, applyWorld, armRoutes, createAccessControl, type ResourceRecord } from '../control/index.ts';
import type { AccessControl } from '../access/index.ts';
import { WebPubSubService } from '../dataplane/webpubsub/index.ts';
import { EntraAuthenticator } from '../dataplane/webpubsub/auth/entra.ts';
import { graphRoutes } from '../control/graph/index.ts';
import { openListener, registerHealth, type Listener } from './listeners.ts';
import { removeReady, writeReady, type ReadyInfo, type ReadyResource } from './ready.ts';
import type { StartOptions } from './options.ts';

export interface LapisNode {
  ready: ReadyInfo;
  /** Only on the first start of a data directory: the bootstrap administrator, shown once. */
  bootstrapAdmin?: { appId: string; secretText: string };
  identity: IdentityService;
  resources: ResourceRegistry;
  access: AccessControl;
  log: Logger;
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
    const store: Store = openEmbeddedStore(opts.dataDir);
    cleanup.push(() => store.close());
    const tls = await ensureTls(opts.dataDir, config?.tlsNames ?? []);
    const listenerTls = { key: tls.keyPem, cert: tls.certPem };

    const https = await openListener({ name: 'main-https', host: opts.host, port: opts.httpsPort, tls: listenerTls, log });
    cleanup.push(https.close);
    const http = await openListener({ name: 'main-http', host: opts.host, port: opts.httpPort, log });
    cleanup.push(http.close);
    const httpsUrl = `https://localhost:${https.port}`;
    const httpUrl = `http://127.0.0.1:${http.port}`;

    const identity = new IdentityService({ store, authorityHost: httpsUrl });
    await identity.start();
    cleanup.push(() => identity.stop());
    const resources = new ResourceRegistry(store);
    const world = await applyWorld(store, identity, resources, config);
    identity.hostIdentity = world.hostIdentity;
    const access = await createAccessControl({ store, identity, resources, world, config });
    const identityHeader = loadIdentityHeader(opts.dataDir);

    for (const l of [https, http]) registerHealth(l.app);
    identity.registerAuthorityRoutes(https.app);
    void https.app.register(async (scope) => graphRoutes(scope, identity));
    void https.app.register(async (scope) => armRoutes(scope, { access, identity }));
    identity.registerManagedIdentityRoutes(http.app, identityHeader);
    await Promise.all([https.app.ready(), http.app.ready()]);

    const readyResources: ReadyResource[] = [];
    for (const record of resources.list()) {
      const entra = new EntraAuthenticator({ verifier: identity.verifier, check: access.dataActionCheck, tenantId: record.tenantId });
      const started = await startWebPubSub(record, resources, opts.host, listenerTls, log, entra);
      cleanup.push(started.close);
      readyResources.push(started.ready);
    }

    const ready: ReadyInfo = {
      httpUrl, httpsUrl, authorityHost: httpsUrl, managementEndpoint: httpsUrl,
      tenantId: world.tenantId, subscriptionId: world.subscriptionId, caCertPath: tls.caCertPath,
      managedIdentity: {
        identityEndpoint: `${httpUrl}/msi/token`, identityHeader, imdsEndpoint: httpUrl,
        systemAssigned: { clientId: world.hostIdentity.clientId, objectId: world.hostIdentity.principalId },
      },
      resources: readyResources,
    };
    writeReady(opts.dataDir, ready);
    let stopped = false;
    return {
      ready, identity, resources, access, log, bootstrapAdmin: world.bootstrapAdmin,
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

/** Opens a resource's own HTTPS and HTTP origins, both serving one Web PubSub runtime. */
async function startWebPubSub(record: ResourceRecord, resources: ResourceRegistry, host: string, tls: { key: string; cert: string }, log: Logger, entra: EntraAuthenticator) {
  const rlog = log.child({ resource: record.name });
  const current = () => resources.get(record.name) ?? record;
  const service = new WebPubSubService({
    name: record.name,
    resourceId: record.id,
    getAccessKeys: () => current().accessKeys,
    isLocalAuthDisabled: () => current().properties.disableLocalAuth,
    getHubSettings: (hub: string) => current().hubs[hub.toLowerCase()]?.properties,
    log: rlog,
    limits: { maxConnections: record.limits?.maxConnections },
    authenticators: [entra],
    // Persisted, so client URLs from :generateToken survive a restart.
    internalSigningKey: () => current().internalKey,
  });
  const opened: Listener[] = [];
  try {
    const remembered = (declared?: number) => declared === undefined;
    const httpsL = await openListener({ name: `${record.name}-https`, host, port: record.ports.https ?? 0, tls, log: rlog, fallbackToFreePort: remembered(record.declaredPorts.https) });
    opened.push(httpsL);
    const httpL = await openListener({ name: `${record.name}-http`, host, port: record.ports.http ?? 0, log: rlog, fallbackToFreePort: remembered(record.declaredPorts.http) });
    opened.push(httpL);
    for (const l of opened) {
      registerHealth(l.app);
      service.mount(l.app);
      await l.app.ready();
    }
    // Ports chosen here are kept, so connection strings stay valid across restarts.
    if (record.ports.https !== httpsL.port || record.ports.http !== httpL.port) {
      await resources.put({ ...current(), ports: { https: httpsL.port, http: httpL.port } });
    }
    const endpoint = `https://localhost:${httpsL.port}`;
    const ready: ReadyResource = {
      type: record.type, name: record.name, id: record.id, endpoint, httpEndpoint: `http://127.0.0.1:${httpL.port}`,
      connectionString: `Endpoint=${endpoint};AccessKey=${record.accessKeys.primaryKey};Version=1.0;`,
    };
    return {
      ready,
      close: async () => {
        await service.close();
        for (const l of opened) await l.close();
      },
    };
  } catch (err) {
    await service.close();
    for (const l of opened) await l.close();
    throw err;
  }
}
