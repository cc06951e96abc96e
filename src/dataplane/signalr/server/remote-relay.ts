/**
 * SignalR default mode across the nodes of a cluster. A client lands on whatever node its load
 * balancer picks; when that node holds no client-carrying server connection for the client's hub,
 * the client is served through a node that does:
 *
 * - the client's node asks every live node (one backplane request on the resource's relay
 *   channel, cached for LOOKUP_CACHE_MS) which of them hold server connections for the hub, and
 *   opens the client on one of them (a point-to-point request: accepted, or refused with the text
 *   the client then gets as its handshake error); the client's transport stays where it is, and it
 *   stays registered in its own node's messaging core, so broadcasts, user and group sends reach it
 *   as any other connection;
 * - the serving node holds a RemoteClient in place of a RelaySession: OpenConnection, the client's
 *   bytes and its CloseConnection reach the app as for a local client, and what the app sends to
 *   the connection id (data, invocations, its close) goes back point-to-point;
 * - the route is sticky for the client's life. When the serving node's heartbeat expires, its
 *   clients are closed as when their app server goes away; when the client's node dies, the app
 *   gets CloseConnection for its clients.
 */
import type { Logger } from 'pino';
import type { Backplane, BackplaneNode } from '../../../backplane/index.ts';
import type { ClusterCommand, CommandResult } from '../../../messaging/index.ts';
import type { HubProtocolName } from '../../../protocols/signalr/index.ts';
import { openConnectionHeaders } from './claims.ts';
import { decodeRelay, encodeRelay, headersObject, relayChannel, type RelayMessage } from './remote-messages.ts';
import type { AppRelay, RelaySession } from './relay-session.ts';
import { RemoteClient, type RemoteClientLink } from './remote-client.ts';
import { ServingNodes, stickyServer } from './remote-lookup.ts';

export { RemoteClient } from './remote-client.ts';
export { LOOKUP_CACHE_MS, stickyServer } from './remote-lookup.ts';

/** What clients served through a node that died are closed with. */
export const SERVING_NODE_GONE_TEXT = 'The node holding the app server connection that served this client is gone.';
/** What the app is told (CloseConnection) about clients whose own node died. */
export const CLIENT_NODE_GONE_TEXT = 'The node holding this client connection is gone.';
/** What a client is closed with, or the app told, when the other node no longer knows it (an end lost between nodes). */
export const ROUTE_LOST_TEXT = 'The other node of this client\'s route no longer knows it.';
/** How often both sides check that the other node is still alive (its backplane heartbeat). */
export const LIVENESS_INTERVAL_MS = 2000;
/** Every this many liveness checks, both sides compare the clients they share with each live peer. */
const RECONCILE_EVERY = 5;

/** What the cluster relay needs from the node's AppServers (the serving side). */
export interface ClusterRelayHost {
  /** Opens a client of another node on a local server connection; a refusal text or undefined. */
  serveRemote(client: RemoteClient, protocol: HubProtocolName, handshake: Buffer): string | undefined;
  data(relay: AppRelay, bytes: Buffer): void;
  ended(relay: AppRelay, error: string | undefined): void;
  /** The relayed client with that id (local or remote), if any. */
  client(connectionId: string, hub: string): { relay: AppRelay } | undefined;
  /** X-ASRS-Server-Id of this node's client-carrying server connections for `hub`. */
  carryingServerIds(hub: string): string[];
}

export interface ClusterRelayOptions {
  backplane: Backplane;
  /** The resource's messaging channel (its id). */
  channel: string;
  log: Logger;
  host: ClusterRelayHost;
}

interface Routed {
  relay: RelaySession;
  node: string;
  /** The serving side ended it: nothing to tell it back. */
  closedThere: boolean;
  /** The serving node accepted it (until then the open tries the next node when one is lost). */
  opened: boolean;
}

export class ClusterRelay implements BackplaneNode, RemoteClientLink {
  readonly host: ClusterRelayHost;
  readonly #o: ClusterRelayOptions;
  readonly #channel: string;
  readonly #leave: () => void;
  /** Client side: this node's clients served elsewhere, by connection id. */
  readonly #routed = new Map<string, Routed>();
  /** Serving side: clients of other nodes served here, by connection id. */
  readonly #served = new Map<string, RemoteClient>();
  readonly #serving: ServingNodes;
  readonly #timer: NodeJS.Timeout;
  #checking = false;
  #ticks = 0;

  constructor(options: ClusterRelayOptions) {
    this.#o = options;
    this.host = options.host;
    this.#channel = relayChannel(options.channel);
    this.#serving = new ServingNodes(options.backplane, this.#channel);
    this.#leave = options.backplane.join(this.#channel, this);
    this.#timer = setInterval(() => void this.#checkLiveness(), LIVENESS_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Clients of this node served elsewhere, and clients of other nodes served here (for status answers and tests). */
  get counts(): { routed: number; served: number } {
    return { routed: this.#routed.size, served: this.#served.size };
  }

  /** Whether this node serves clients of other nodes for `hub`. */
  servesHub(hub: string): boolean {
    for (const c of this.#served.values()) if (c.info.hub === hub) return true;
    return false;
  }

  // --- client side ---

  /**
   * Opens a client on a node that holds a server connection for its hub (with `onlyTo`, one of the
   * app server with that id). Undefined once routed; a refusal text; null when no live node holds one.
   */
  async open(relay: RelaySession, protocol: HubProtocolName, handshake: Buffer, onlyTo?: string): Promise<string | undefined | null> {
    const info = relay.info;
    const nodes = await this.#serving.ordered(info.hub, onlyTo ?? stickyServer(info), onlyTo !== undefined);
    if (nodes.length === 0) return null;
    const meta = {
      node: this.#o.backplane.nodeId, protocol, userId: info.identity.userId, claims: { ...info.identity.claims },
      headers: headersObject(openConnectionHeaders(info.requestHeaders, info.remoteAddress)), query: info.query, transport: info.transport,
    };
    const routed: Routed = { relay, node: '', closedThere: false, opened: false };
    this.#routed.set(info.connectionId, routed);
    let refusal: string | null = null;
    for (const node of nodes) {
      routed.node = node;
      const outcome = await this.#o.backplane.requestFrom(node, this.#channel, encodeRelay({ op: 'open', hub: info.hub, connectionId: info.connectionId, meta, data: handshake }));
      const answer = outcome.results[0];
      if (answer && answer.matched > 0) {
        routed.opened = true;
        return undefined;
      }
      this.#serving.forget(info.hub);
      // No answer: the open may still land there; tell that node the client is gone, then try the next.
      if (!answer) this.toNode(node, { op: 'ended', hub: info.hub, connectionId: info.connectionId, meta: { error: 'The serving node did not answer in time.' } });
      else refusal = answer.error ?? null;
    }
    this.#routed.delete(info.connectionId);
    return refusal;
  }

  /** Client bytes after the handshake request. */
  data(relay: RelaySession, bytes: Buffer): void {
    const r = this.#routed.get(relay.connectionId);
    if (r && r.relay === relay) this.toNode(r.node, { op: 'data', hub: relay.info.hub, connectionId: relay.connectionId, data: bytes });
  }

  /** The client is gone (after a successful open): the serving node tells the app, unless it ended it. */
  ended(relay: RelaySession, error: string | undefined): void {
    const r = this.#routed.get(relay.connectionId);
    if (!r || r.relay !== relay) return;
    this.#routed.delete(relay.connectionId);
    if (!r.closedThere) this.toNode(r.node, { op: 'ended', hub: relay.info.hub, connectionId: relay.connectionId, meta: { error } });
  }

  /** Whether the client is served on another node (its end goes there). */
  routes(relay: RelaySession): boolean {
    return this.#routed.get(relay.connectionId)?.relay === relay;
  }

  /** Starts finding the nodes serving `hub` (a negotiate came in), so the client's connect finds the answer ready. */
  prefetch(hub: string): void {
    this.#serving.lookup(hub).catch((err: unknown) => this.#o.log.debug({ err, hub }, 'signalr relay lookup failed'));
  }

  // --- both sides ---

  toNode(node: string, message: RelayMessage): void {
    this.#o.backplane.sendTo(node, this.#channel, encodeRelay(message));
  }

  /** Messages from other nodes (and the lookups of the client side). */
  apply(command: ClusterCommand): CommandResult {
    if (command.type === 'listGroup') {
      const ids = this.host.carryingServerIds(command.hub);
      return ids.length === 0 ? { matched: 0 } : { matched: ids.length, members: ids.map((id) => ({ connectionId: this.#o.backplane.nodeId, userId: id })) };
    }
    const decoded = decodeRelay(command);
    if (!decoded.ok) {
      this.#o.log.warn({ reason: decoded.reason }, 'malformed signalr relay message dropped');
      return { matched: 0, error: `The serving node could not read the client's open request (${decoded.reason}).` };
    }
    return this.#receive(decoded.message);
  }

  /** Serving side: forgets its remote clients (their nodes are told by AppServers' own close). */
  close(): void {
    clearInterval(this.#timer);
    this.#leave();
  }

  #receive(m: RelayMessage): CommandResult {
    switch (m.op) {
      case 'open': {
        const client = RemoteClient.fromOpen(m, this);
        if (this.host.client(m.connectionId, m.hub)) return { matched: 0, error: 'The connection id is already in use.' };
        const refusal = this.host.serveRemote(client, m.meta.protocol, m.data);
        if (refusal !== undefined) return { matched: 0, error: refusal };
        this.#served.set(m.connectionId, client);
        return { matched: 1 };
      }
      case 'data': {
        const c = this.#served.get(m.connectionId);
        if (c && c.info.hub === m.hub) this.host.data(c, m.data);
        return { matched: c ? 1 : 0 };
      }
      case 'ended': {
        const c = this.#served.get(m.connectionId);
        if (c && c.info.hub === m.hub) c.gone(m.meta.error);
        return { matched: c ? 1 : 0 };
      }
      case 'check': {
        const from = m.meta.node;
        const unknown = m.data.toString().split('\n').filter((id) => id !== '' && this.#routed.get(id)?.node !== from && this.#served.get(id)?.node !== from);
        return { matched: unknown.length, members: unknown.map((id) => ({ connectionId: id })) };
      }
      case 'app':
      case 'close':
      case 'closeByApp': {
        const r = this.#routed.get(m.connectionId);
        if (!r || r.relay.info.hub !== m.hub) return { matched: 0 };
        if (m.op === 'app') r.relay.fromApp(m.data);
        else {
          r.closedThere = true;
          if (m.op === 'close') r.relay.close(m.meta.error, m.meta.allowReconnect ?? false);
          else r.relay.closeByApp(m.meta.error);
        }
        return { matched: 1 };
      }
    }
  }

  /** Serving side: AppServers ended a remote client (by any path): forget it. */
  forget(client: RemoteClient): void {
    if (this.#served.get(client.connectionId) === client) this.#served.delete(client.connectionId);
  }

  /** The app-server ids connected for `hub` on every live node (the SDK's `servers` ping wants the resource's list). */
  clusterServerIds(hub: string): Promise<string[]> {
    return this.#serving.serverIds(hub);
  }

  /**
   * Asks each live peer which of the clients shared with it it no longer holds (an end published
   * while Redis was unreachable is never re-sent), and ends those here. A peer that does not answer
   * is asked again next time.
   */
  async reconcile(live: ReadonlySet<string>): Promise<void> {
    const byPeer = new Map<string, string[]>();
    const add = (node: string, id: string) => {
      if (!live.has(node)) return;
      const ids = byPeer.get(node);
      if (ids) ids.push(id);
      else byPeer.set(node, [id]);
    };
    for (const [id, r] of this.#routed) if (r.opened) add(r.node, id);
    for (const [id, c] of this.#served) add(c.node, id);
    await Promise.all([...byPeer].map(async ([node, ids]) => {
      const check = encodeRelay({ op: 'check', hub: '-', connectionId: '-', meta: { node: this.#o.backplane.nodeId }, data: Buffer.from(ids.join('\n')) });
      const answer = (await this.#o.backplane.requestFrom(node, this.#channel, check)).results[0];
      if (answer?.members?.length) this.#o.log.info({ node, lost: answer.members.length }, 'signalr clients the other node no longer knows were ended');
      for (const { connectionId: id } of answer?.members ?? []) {
        const r = this.#routed.get(id);
        if (r && r.node === node && r.opened) {
          r.closedThere = true;
          r.relay.close(ROUTE_LOST_TEXT);
        }
        const c = this.#served.get(id);
        if (c && c.node === node) c.gone(ROUTE_LOST_TEXT);
      }
    }));
  }

  /** Either side: clients whose other node's heartbeat expired are ended as their side would have ended them. */
  async #checkLiveness(): Promise<void> {
    if (this.#checking || (this.#routed.size === 0 && this.#served.size === 0)) return;
    this.#checking = true;
    try {
      const live = new Set(await this.#o.backplane.nodes());
      this.#serving.forgetDead(live);
      const dead = new Set<string>();
      for (const r of [...this.#routed.values()]) {
        if (!r.opened || live.has(r.node)) continue;
        dead.add(r.node);
        r.closedThere = true;
        r.relay.close(SERVING_NODE_GONE_TEXT);
      }
      for (const c of [...this.#served.values()]) {
        if (live.has(c.node)) continue;
        dead.add(c.node);
        c.gone(CLIENT_NODE_GONE_TEXT);
      }
      if (dead.size > 0) this.#o.log.info({ nodes: [...dead] }, 'signalr clients routed through nodes that are gone were ended');
      if (++this.#ticks % RECONCILE_EVERY === 0) await this.reconcile(live);
    } catch (err) {
      this.#o.log.warn({ err }, 'signalr relay liveness check failed');
    } finally {
      this.#checking = false;
    }
  }
}
