/**
 * The app servers of one Default-mode resource: their server connections per hub, and the clients
 * relayed to them. A client is routed, once its hub handshake is read, to one client-carrying
 * server connection of its hub (app servers taken in turn, then the least loaded connection of that
 * server) and stays there for its life. It also joins the messaging core, so the app's broadcasts,
 * group and user sends (and the REST API's) reach it with the core's fan-out. In a cluster, a hub
 * with no server connection here is served through a node that has one (remote-relay.ts).
 */
import type { Logger } from 'pino';
import type { Backplane } from '../../../backplane/index.ts';
import { Connection, ConnectionLimitError, type MessagingCore } from '../../../messaging/index.ts';
import type { HubProtocolName } from '../../../protocols/signalr/index.ts';
import { openConnectionMessage, type ServiceMessage } from '../../../protocols/signalr-service/index.ts';
import type { DataActionCheck } from '../../webpubsub/auth/entra.ts';
import type { TemporaryKeyStore } from '../auth/index.ts';
import type { ClientConnectionInfo } from '../client/index.ts';
import { openConnectionClaims, openConnectionHeaders } from './claims.ts';
import { ClientResults } from './client-results.ts';
import { handleAppMessage } from './dispatch.ts';
import { RelaySession, RelaySink, type AppRelay, type RelayHost } from './relay-session.ts';
import { ClusterRelay, RemoteClient, stickyServer, type ClusterRelayHost } from './remote-relay.ts';
import type { ServerConnection, ServerConnectionHost } from './server-connection.ts';

/** What Azure answers a client of a Default-mode resource while no app server is connected. */
export const NO_SERVER_TEXT = 'Azure SignalR Service is not connected yet, please try again later.';
/** A relayed client that sent nothing (clients ping every 15 s) for this long is gone, as ASP.NET Core's ClientTimeoutInterval. */
export const RELAY_CLIENT_TIMEOUT_MS = 30_000;
const SWEEP_INTERVAL_MS = 5_000;
const SHUTDOWN_TEXT = 'The service is shutting down.';
/** What clients of an app server connection that went away are closed with. */
export const SERVER_GONE_TEXT = 'The app server connection that served this client was closed.';

export interface AppServersOptions {
  core: MessagingCore;
  log: Logger;
  temporaryKeys: TemporaryKeyStore;
  check: DataActionCheck;
  resourceId(): string;
  /** The resource's client limit, if any (reported to the SDK as capacity). */
  maxClientConnections?: (() => number | undefined) | undefined;
  /**
   * A cluster's backplane (not the in-process one) and the resource's channel: clients of a hub
   * with no server connection on this node are served through a node that has one (remote-relay.ts).
   */
  cluster?: { backplane: Backplane; channel: string } | undefined;
}

export interface RelayedClient {
  /** The client's relay: on this node, or a client of another node served here (RemoteClient). */
  relay: AppRelay;
  server: ServerConnection;
  /** Its registration in this node's messaging core; none for a client of another node (registered there). */
  connection: Connection | undefined;
  /** Set when the app itself (or its connection's loss) ended the client: no CloseConnection is sent back. */
  closedByApp?: boolean;
}

export class AppServers implements RelayHost, ServerConnectionHost, ClusterRelayHost {
  readonly o: AppServersOptions;
  readonly results = new ClientResults();
  /** Set in a cluster: routes clients to server connections held by other nodes, and serves theirs. */
  readonly cluster: ClusterRelay | undefined;
  /** This node's clients served through another node, with their core registration. */
  readonly #routed = new Map<string, { relay: RelaySession; connection: Connection }>();
  readonly #byHub = new Map<string, ServerConnection[]>();
  readonly #all = new Set<ServerConnection>();
  readonly #clients = new Map<string, RelayedClient>();
  readonly #turn = new Map<string, number>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(options: AppServersOptions) {
    this.o = options;
    this.cluster = options.cluster ? new ClusterRelay({ ...options.cluster, log: options.log, host: this }) : undefined;
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  get serverConnectionCount(): number {
    return this.#all.size;
  }

  /** Whether `hub` has clients on this resource (the SDK's HasClients): on this node, served here, or on any node of a cluster. */
  async hubHasClients(hub: string): Promise<boolean> {
    if ((this.o.core.hub(hub)?.size ?? 0) > 0) return true;
    if (!this.cluster || this.cluster.servesHub(hub)) return this.cluster !== undefined;
    return (await this.o.core.request({ type: 'exists', hub, target: { scope: 'hub' } })).matched > 0;
  }

  /** X-ASRS-Server-Id of this node's client-carrying server connections for `hub`. */
  carryingServerIds(hub: string): string[] {
    const ids = new Set<string>();
    for (const s of this.#byHub.get(hub) ?? []) if (s.carriesClients) ids.add(s.info.serverId);
    return [...ids];
  }

  /** The app-server ids (X-ASRS-Server-Id) with a handshaken connection for `hub`, sorted (every endpoint reports the same list). */
  serverIds(hub: string): string[] {
    const ids = new Set<string>();
    for (const s of this.#all) if (s.ready && s.info.hub === hub) ids.add(s.info.serverId);
    return [...ids].sort();
  }

  /** A relayed client of `hub` (an app server only reaches clients of the hub it connected for). */
  client(connectionId: string, hub: string): RelayedClient | undefined {
    const c = this.#clients.get(connectionId);
    return c && c.relay.info.hub === hub ? c : undefined;
  }

  /** A client negotiated for `hub`: in a cluster, with no server connection for it here, the serving node is looked up at once. */
  prepare(hub: string): void {
    if (this.cluster && this.carryingServerIds(hub).length === 0) this.cluster.prefetch(hub);
  }

  /** The relay for a new client connection of this resource (the client endpoint's session factory). */
  relay(info: ClientConnectionInfo): RelaySession {
    return new RelaySession(info, this, info.identity.handshakeTimeoutMs);
  }

  /** Tracks an accepted upgrade (before its handshake) for shutdown. */
  track(connection: ServerConnection): void {
    if (this.#closed) return void connection.close('The service is shutting down.');
    this.#all.add(connection);
  }

  // --- clients (RelayHost) ---

  open(relay: RelaySession, protocol: HubProtocolName, handshake: Buffer): string | undefined | Promise<string | undefined> {
    if (this.#closed) return SHUTDOWN_TEXT;
    const info = relay.info;
    const sticky = stickyServer(info);
    const server = this.#pick(info.hub, sticky);
    if (!server && !this.cluster) return NO_SERVER_TEXT;
    const connection = new Connection(info.connectionId, info.hub, info.identity.userId, new RelaySink(relay));
    try {
      this.o.core.register(connection);
    } catch (err) {
      if (err instanceof ConnectionLimitError) return err.message;
      throw err;
    }
    // Sticky to an app server connected to another node: served there when it is (else here, below).
    if (!server || (this.cluster && sticky !== undefined && server.info.serverId !== sticky)) {
      return this.#openElsewhere(relay, protocol, handshake, connection, server ? sticky : undefined);
    }
    this.#attach(relay, server, protocol, handshake, connection);
    return undefined;
  }

  /** A client of another node, for a server connection of this one (the cluster relay's open). */
  serveRemote(client: RemoteClient, protocol: HubProtocolName, handshake: Buffer): string | undefined {
    if (this.#closed) return SHUTDOWN_TEXT;
    const server = this.#pick(client.info.hub, stickyServer(client.info));
    if (!server) return NO_SERVER_TEXT;
    this.#attach(client, server, protocol, handshake, undefined);
    return undefined;
  }

  /**
   * No server connection here: the client is served through a node that has one. It is registered
   * in this node's core first, so the app may address it (groups, sends) from its OpenConnection on.
   */
  async #openElsewhere(relay: RelaySession, protocol: HubProtocolName, handshake: Buffer, connection: Connection, onlyTo?: string): Promise<string | undefined> {
    this.#routed.set(relay.connectionId, { relay, connection });
    const refusal = await this.cluster!.open(relay, protocol, handshake, onlyTo);
    if (refusal === undefined) return undefined;
    this.#routed.delete(relay.connectionId);
    const local = onlyTo !== undefined && !this.#closed ? this.#pick(relay.info.hub, onlyTo) : undefined;
    if (local) return void this.#attach(relay, local, protocol, handshake, connection);
    this.o.core.unregister(connection);
    return refusal ?? NO_SERVER_TEXT;
  }

  #attach(relay: AppRelay, server: ServerConnection, protocol: HubProtocolName, handshake: Buffer, connection: Connection | undefined): void {
    const info = relay.info;
    this.#clients.set(info.connectionId, { relay, server, connection });
    server.clients.add(info.connectionId);
    server.send(openConnectionMessage({
      connectionId: info.connectionId,
      claims: openConnectionClaims(info.identity.claims),
      headers: openConnectionHeaders(info.requestHeaders, info.remoteAddress),
      queryString: info.query,
      protocol,
    }));
    server.send({ kind: 'ConnectionData', connectionId: info.connectionId, payload: handshake, ext: {} });
  }

  data(relay: AppRelay, bytes: Buffer): void {
    if (relay instanceof RelaySession && this.cluster?.routes(relay)) return this.cluster.data(relay, bytes);
    const c = this.#clients.get(relay.connectionId);
    if (!c || c.relay !== relay || relay.protocol === undefined) return;
    const rest = this.results.intercept(relay.connectionId, relay.protocol, bytes);
    if (rest.length > 0) c.server.send({ kind: 'ConnectionData', connectionId: relay.connectionId, payload: rest, ext: {} });
  }

  ended(relay: AppRelay, error: string | undefined): void {
    const routed = this.#routed.get(relay.connectionId);
    if (routed && routed.relay === relay) {
      this.#routed.delete(relay.connectionId);
      this.o.core.unregister(routed.connection);
      return this.cluster!.ended(routed.relay, error);
    }
    const c = this.#clients.get(relay.connectionId);
    if (!c || c.relay !== relay) return;
    this.#clients.delete(relay.connectionId);
    c.server.clients.delete(relay.connectionId);
    if (c.connection) this.o.core.unregister(c.connection);
    if (relay instanceof RemoteClient) this.cluster?.forget(relay);
    this.results.clientGone(relay.connectionId, error ?? 'The client connection was closed.');
    // The app ends the client's hub connection (OnDisconnectedAsync); nothing to send when it closed it itself.
    if (!c.closedByApp) c.server.send({ kind: 'CloseConnection', connectionId: relay.connectionId, errorMessage: error ?? '', headers: new Map(), ext: {} });
  }

  /** The app closed a client (CloseConnection or CloseConnectionWithAck answered by the core). */
  closeByApp(connectionId: string, hub: string, error: string | undefined): boolean {
    const c = this.client(connectionId, hub);
    if (!c) return false;
    c.closedByApp = true;
    c.relay.closeByApp(error);
    return true;
  }

  // --- server connections (ServerConnectionHost) ---

  ready(connection: ServerConnection): void {
    if (!connection.carriesClients) return;
    const list = this.#byHub.get(connection.info.hub) ?? [];
    list.push(connection);
    this.#byHub.set(connection.info.hub, list);
  }

  message(connection: ServerConnection, message: ServiceMessage): void {
    handleAppMessage(this, connection, message).catch((err: unknown) => {
      this.o.log.warn({ err, hub: connection.info.hub, kind: message.kind }, 'app server message handling failed');
    });
  }

  closed(connection: ServerConnection, reason: string): void {
    this.#all.delete(connection);
    const list = this.#byHub.get(connection.info.hub);
    if (list) {
      const rest = list.filter((c) => c !== connection);
      if (rest.length > 0) this.#byHub.set(connection.info.hub, rest);
      else this.#byHub.delete(connection.info.hub);
    }
    this.o.log.debug({ hub: connection.info.hub, serverId: connection.info.serverId, reason }, 'app server connection closed');
    for (const id of [...connection.clients]) {
      const c = this.#clients.get(id);
      if (c) {
        c.closedByApp = true; // nothing can be told to a gone server connection
        c.relay.close(SERVER_GONE_TEXT);
      }
    }
  }

  /** Closes the server connections `check` no longer admits (with its reason); their clients are closed as for any lost app server. */
  revalidate(check: (who: ServerConnection['info']) => string | undefined): void {
    for (const s of [...this.#all]) {
      const reason = check(s.info);
      if (reason !== undefined) {
        this.o.log.info({ hub: s.info.hub, serverId: s.info.serverId, principal: s.info.principal, reason }, 'app server connection no longer authorized');
        s.close(reason);
      }
    }
  }

  /** Shutdown: every client gets a Close that lets it reconnect, every server connection a ServiceError and a close. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const c of [...this.#clients.values()]) c.relay.close(SHUTDOWN_TEXT, true);
    for (const r of [...this.#routed.values()]) r.relay.close(SHUTDOWN_TEXT, true);
    this.cluster?.close();
    for (const s of [...this.#all]) s.close('The service is shutting down.');
  }

  /** Long polling times idle clients out itself; the other transports are checked here (a silent peer may never close). */
  #sweep(): void {
    const now = Date.now();
    for (const c of [...this.#clients.values(), ...this.#routed.values()]) {
      if (c.relay.info.transport !== 'LongPolling' && now - c.relay.lastReceived >= RELAY_CLIENT_TIMEOUT_MS) {
        c.relay.close('The client sent nothing within the client timeout.');
      }
    }
  }

  #pick(hub: string, sticky: string | undefined): ServerConnection | undefined {
    const list = (this.#byHub.get(hub) ?? []).filter((c) => c.carriesClients);
    if (list.length === 0) return undefined;
    const servers = [...new Set(list.map((c) => c.info.serverId))];
    const turn = this.#turn.get(hub) ?? 0;
    this.#turn.set(hub, (turn + 1) % 1_000_000);
    // Sticky mode: the app server that negotiated the client, while it is connected.
    const serverId = sticky !== undefined && servers.includes(sticky) ? sticky : servers[turn % servers.length];
    let best: ServerConnection | undefined;
    for (const c of list) if (c.info.serverId === serverId && (!best || c.clients.size < best.clients.size)) best = c;
    return best;
  }
}
