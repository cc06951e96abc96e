/**
 * One Azure SignalR resource's data plane, mounted by the server composition on both of the
 * resource's origins (HTTPS and plain HTTP), as `WebPubSubService` is: the REST API (rest/), the
 * client endpoint on every transport (client/), and the messaging core that connects them
 * (runtime/). Everything is read from the stored record on use, so keys, service mode, auth
 * switches and CORS changed through ARM take effect at once.
 *
 * Serverless mode: client invocations go to the resource's upstream (when one is set on the
 * service). Default mode: app servers connect at `/server/` (server/), and each client is relayed
 * to one of its hub's server connections; without one, clients are refused at the handshake with
 * the service's "not connected" error.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AccessControl } from '../../access/index.ts';
import { InProcessBackplane, type Backplane } from '../../backplane/index.ts';
import { serviceModeOf } from '../../config/signalr.ts';
import type { SignalRRecord } from '../../control/index.ts';
import type { IdentityService } from '../../identity/index.ts';
import { MessagingCore } from '../../messaging/index.ts';
import type { ResourceTrace } from '../../trace/index.ts';
import { InMemoryTemporaryKeyStore, type SignalRKeySource } from './auth/index.ts';
import { clientTokenAuthenticator, mountClientEndpoint, SignalRClientEndpoint, type ClientConnectionInfo } from './client/index.ts';
import { mountSignalRRest } from './rest/index.ts';
import { AppServerEndpoint, AppServers, compileSignalRFilter, NO_SERVER_TEXT } from './server/index.ts';
import { CoreClientRuntime, CoreHubOperations, type ClientMessageHandler } from './runtime/index.ts';

/** What a serverless upstream does with client events (src/upstream/signalr). */
export interface SignalRClientEvents {
  connected(info: ClientConnectionInfo): void;
  disconnected(info: ClientConnectionInfo, error: string | undefined): void;
  message: ClientMessageHandler;
  close(): Promise<void>;
}

/** What upstream calls of this resource share with every other resource of the node. */
export interface SignalRUpstreamShared {
  /** PEM of Lapis's CA, trusted for upstream targets on this node. */
  ca: string;
  /** HTTPS origins of the node's Key Vaults (Key Vault references in URL templates). */
  vaultOrigins(): readonly string[];
  allowPrivateTargets(): boolean;
}

export interface SignalRResourceContext {
  /** The stored record, read on every use: keys, `properties` (features → service mode, upstream, cors, disableLocalAuth, disableAadAuth), limits and identity change at run time. */
  record(): SignalRRecord;
  /** `https://localhost:{port}`: the resource's public endpoint (known once the HTTPS origin is bound). */
  publicEndpoint(): string;
  identity: IdentityService;
  access: AccessControl;
  upstream: SignalRUpstreamShared;
  log: Logger;
  /** The node's backplane (one channel per resource); in-process when absent. */
  backplane?: Backplane | undefined;
  /** The resource's live trace channel (src/trace): connections and messages. */
  trace?: ResourceTrace | undefined;
}

export { NO_SERVER_TEXT };

export class SignalRService {
  readonly core: MessagingCore;
  readonly #ctx: SignalRResourceContext;
  readonly #keys: SignalRKeySource;
  readonly #endpoint: SignalRClientEndpoint;
  readonly #appServers: AppServers;
  readonly #serverEndpoint: AppServerEndpoint;
  readonly #upgradeListeners: Array<{ server: Server; listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void }> = [];
  #events: SignalRClientEvents | undefined;
  readonly #offAccessChange: () => void;
  #closed = false;

  constructor(ctx: SignalRResourceContext) {
    this.#ctx = ctx;
    const record = ctx.record;
    // Filters (set filters, and the OData subset of Web PubSub) let default mode address several groups or users at once, once per connection, and exclude users.
    this.core = new MessagingCore({ channel: record().id, backplane: ctx.backplane ?? new InProcessBackplane(), maxConnections: record().limits.maxConnections, compileFilter: compileSignalRFilter, trace: ctx.trace });
    this.#keys = {
      getAccessKeys: () => record().accessKeys,
      isLocalAuthDisabled: () => record().properties.disableLocalAuth,
      isAadAuthDisabled: () => record().properties.disableAadAuth,
      temporaryKeys: new InMemoryTemporaryKeyStore(),
      internalSigningKey: () => record().internalKey,
    };
    const runtime = new CoreClientRuntime(this.core, {
      onMessage: (info, session, frame) => {
        if (this.#events) this.#events.message(info, session, frame);
        else if ((frame.message.type === 1 || frame.message.type === 4) && frame.message.invocationId !== undefined) {
          session.send({ type: 3, invocationId: frame.message.invocationId, resultKind: 'error', error: `No upstream is configured for hub '${info.hub}'.` });
        }
      },
      onConnected: (info) => this.#events?.connected(info),
      onDisconnected: (info, error) => this.#events?.disconnected(info, error),
    });
    this.#appServers = new AppServers({
      core: this.core, log: ctx.log, temporaryKeys: this.#keys.temporaryKeys, check: ctx.access.dataActionCheck, resourceId: () => record().id,
      maxClientConnections: () => record().limits.maxConnections,
      // A cluster: clients of a hub whose app server is connected to another node are served through that node.
      cluster: ctx.backplane && !(ctx.backplane instanceof InProcessBackplane) ? { backplane: ctx.backplane, channel: record().id } : undefined,
    });
    this.#serverEndpoint = new AppServerEndpoint({
      auth: { keys: this.#keys, verifier: ctx.identity.verifier, check: ctx.access.dataActionCheck, tenantId: () => record().tenantId, resourceId: () => record().id, denials: ctx.access.denials, resourceName: () => record().name },
      servers: this.#appServers,
      log: ctx.log,
      limits: () => record().limits,
    });
    // A removed App Server role ends that principal's open server connections, not only its next one.
    this.#offAccessChange = ctx.access.onChange(() => this.#serverEndpoint.accessChanged());
    this.#endpoint = new SignalRClientEndpoint({
      log: ctx.log,
      // Default mode: clients are relayed to an app server (which answers their hub handshake).
      relay: (info) => serviceModeOf(record().properties.features) === 'Default' ? this.#appServers.relay(info) : undefined,
      negotiated: (hub) => { if (serviceModeOf(record().properties.features) === 'Default') this.#appServers.prepare(hub); },
      authenticate: clientTokenAuthenticator(this.#keys),
      runtime: {
        hasCapacity: () => runtime.hasCapacity(),
        connected: (info, session) => serviceModeOf(record().properties.features) === 'Serverless' ? runtime.connected(info, session) : NO_SERVER_TEXT,
        message: (info, session, frame) => runtime.message(info, session, frame),
        disconnected: (info, session, error) => runtime.disconnected(info, session, error),
      },
    });
  }

  get name(): string {
    return this.#ctx.record().name;
  }

  /** App-server connections to this resource on this node (default mode), read by metrics. */
  get serverConnectionCount(): number {
    return this.#appServers.serverConnectionCount;
  }

  /** Where client events go in serverless mode (the resource's upstream); set once at start. */
  setClientEvents(events: SignalRClientEvents): void {
    this.#events = events;
  }

  /** Registers this resource's REST API, client endpoint and upgrade handling on one origin. */
  mount(app: FastifyInstance): void {
    const ctx = this.#ctx;
    mountSignalRRest(app, {
      ...this.#keys,
      resourceId: ctx.record().id,
      operations: new CoreHubOperations(this.core),
      entra: { verifier: ctx.identity.verifier, check: ctx.access.dataActionCheck, tenantId: ctx.record().tenantId, denials: ctx.access.denials, resourceName: ctx.record().name },
      log: ctx.log,
    });
    const upgrade = mountClientEndpoint(app, { endpoint: this.#endpoint, allowedOrigins: () => ctx.record().properties.cors.allowedOrigins, log: ctx.log });
    const server = app.server as Server;
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.#closed) return void socket.destroy();
      const path = (req.url ?? '/').split('?')[0]!;
      if (AppServerEndpoint.handles(path)) return this.#serverEndpoint.upgrade(req, socket, head, new URL(req.url ?? '/', 'http://localhost'));
      upgrade(req, socket, head);
    };
    server.on('upgrade', listener);
    this.#upgradeListeners.push({ server, listener });
  }

  /** Stops serving: clients get a Close that lets them reconnect, upgrade handlers go. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#offAccessChange();
    for (const { server, listener } of this.#upgradeListeners) server.off('upgrade', listener);
    this.#upgradeListeners.length = 0;
    this.#appServers.close();
    this.#serverEndpoint.close();
    this.#endpoint.close();
    this.core.close();
    await this.#events?.close();
  }
}
