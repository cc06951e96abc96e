/**
 * The app servers of one Default-mode resource: their server connections per hub, and the clients
 * relayed to them. A client is routed, once its hub handshake is read, to one client-carrying
 * server connection of its hub (app servers taken in turn, then the least loaded connection of that
 * server) and stays there for its life. It also joins the messaging core, so the app's broadcasts,
 * group and user sends (and the REST API's) reach it with the core's fan-out.
 */
import type { Logger } from 'pino';
import { Connection, ConnectionLimitError, type CloseRequest, type ConnectionSink, type Message, type MessagingCore } from '../../../messaging/index.ts';
import { SignalRMessage, type HubProtocolName } from '../../../protocols/signalr/index.ts';
import { openConnectionMessage, type ServiceMessage } from '../../../protocols/signalr-service/index.ts';
import type { DataActionCheck } from '../../webpubsub/auth/entra.ts';
import type { TemporaryKeyStore } from '../auth/index.ts';
import type { ClientConnectionInfo } from '../client/index.ts';
import { openConnectionClaims, openConnectionHeaders } from './claims.ts';
import { ClientResults } from './client-results.ts';
import { handleAppMessage } from './dispatch.ts';
import { RelaySession, type RelayHost } from './relay-session.ts';
import type { ServerConnection, ServerConnectionHost } from './server-connection.ts';

/** What Azure answers a client of a Default-mode resource while no app server is connected. */
export const NO_SERVER_TEXT = 'Azure SignalR Service is not connected yet, please try again later.';
/** A relayed client that sent nothing (clients ping every 15 s) for this long is gone, as ASP.NET Core's ClientTimeoutInterval. */
export const RELAY_CLIENT_TIMEOUT_MS = 30_000;
const SWEEP_INTERVAL_MS = 5_000;
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
}

export interface RelayedClient {
  relay: RelaySession;
  server: ServerConnection;
  connection: Connection;
  /** Set when the app itself (or its connection's loss) ended the client: no CloseConnection is sent back. */
  closedByApp?: boolean;
}

export class AppServers implements RelayHost, ServerConnectionHost {
  readonly o: AppServersOptions;
  readonly results = new ClientResults();
  readonly #byHub = new Map<string, ServerConnection[]>();
  readonly #all = new Set<ServerConnection>();
  readonly #clients = new Map<string, RelayedClient>();
  readonly #turn = new Map<string, number>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(options: AppServersOptions) {
    this.o = options;
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  get serverConnectionCount(): number {
    return this.#all.size;
  }

  /** Whether `hub` has clients on this resource (the SDK's HasClients for the endpoint). */
  hubHasClients(hub: string): boolean {
    return (this.o.core.hub(hub)?.size ?? 0) > 0;
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

  open(relay: RelaySession, protocol: HubProtocolName, handshake: Buffer): string | undefined {
    if (this.#closed) return 'The service is shutting down.';
    const info = relay.info;
    const server = this.#pick(info.hub, stickyServer(info));
    if (!server) return NO_SERVER_TEXT;
    const connection = new Connection(info.connectionId, info.hub, info.identity.userId, new RelaySink(relay, (r) => this.#closeFromCore(relay, r)));
    try {
      this.o.core.register(connection);
    } catch (err) {
      if (err instanceof ConnectionLimitError) return err.message;
      throw err;
    }
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
    return undefined;
  }

  data(relay: RelaySession, bytes: Buffer): void {
    const c = this.#clients.get(relay.connectionId);
    if (!c || relay.protocol === undefined) return;
    const rest = this.results.intercept(relay.connectionId, relay.protocol, bytes);
    if (rest.length > 0) c.server.send({ kind: 'ConnectionData', connectionId: relay.connectionId, payload: rest, ext: {} });
  }

  ended(relay: RelaySession, error: string | undefined): void {
    const c = this.#clients.get(relay.connectionId);
    if (!c || c.relay !== relay) return;
    this.#clients.delete(relay.connectionId);
    c.server.clients.delete(relay.connectionId);
    this.o.core.unregister(c.connection);
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
    for (const c of [...this.#clients.values()]) c.relay.close('The service is shutting down.', true);
    for (const s of [...this.#all]) s.close('The service is shutting down.');
  }

  /** Long polling times idle clients out itself; the other transports are checked here (a silent peer may never close). */
  #sweep(): void {
    const now = Date.now();
    for (const c of [...this.#clients.values()]) {
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

  /** The core closes a client (REST close, policy): tell the app too, then end the client. */
  #closeFromCore(relay: RelaySession, request: CloseRequest): void {
    relay.close(request.reason || undefined, request.kind === 'shutdown');
  }
}

/** `asrs.s.sn` when the token asks for sticky routing (`asrs.s.ssticky`, ServerStickyMode Preferred/Required). */
function stickyServer(info: ClientConnectionInfo): string | undefined {
  const c = info.identity.claims;
  const sn = c['asrs.s.sn'];
  const mode = c['asrs.s.ssticky'];
  return typeof sn === 'string' && mode !== undefined && mode !== '0' && mode !== 0 ? sn : undefined;
}

class RelaySink implements ConnectionSink {
  readonly #relay: RelaySession;
  readonly #close: (request: CloseRequest) => void;

  constructor(relay: RelaySession, close: (request: CloseRequest) => void) {
    this.#relay = relay;
    this.#close = close;
  }

  get protocol(): string {
    return this.#relay.protocol ?? 'json';
  }

  deliver(message: Message): void {
    const m = SignalRMessage.of(message);
    if (m) this.#relay.deliver(m);
  }

  close(request: CloseRequest): void {
    this.#close(request);
  }
}
