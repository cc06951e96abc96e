/**
 * One Web PubSub resource's runtime: messaging core + REST API + client endpoint. A resource has an
 * HTTPS and an HTTP listener; both mount the same service, so they share connections and groups.
 */
import type { DenialRecorder } from './auth/entra.ts';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { InProcessBackplane } from '../../backplane/index.ts';
import { guardSocket } from '../../net/index.ts';
import type { Backplane } from '../../backplane/index.ts';
import { MessagingCore } from '../../messaging/index.ts';
import type { ResourceTrace } from '../../trace/index.ts';
import type { ClientEventHooks, ClientSession, SessionHost } from '../../protocols/webpubsub/index.ts';
import { JsonSession } from '../../protocols/webpubsub/index.ts';
import { DEFAULT_MAX_PENDING_UPGRADES, UpgradeAdmission } from './admission.ts';
import { AccessKeyAuthenticator } from './auth/access-key.ts';
import type { DataPlaneAuthenticator } from './auth/types.ts';
import { clientHub, handleClientUpgrade } from './client-endpoint.ts';
import { handleProtocols } from './client-upgrade.ts';
import type { ClientEndpointDeps } from './client-endpoint.ts';
import { mintClientToken } from './client-token.ts';
import { compileODataFilter } from './odata-filter.ts';
import { registerRest } from './rest-plugin.ts';
import { restoreSession } from './session-restore.ts';
import { InProcessSessionStore } from './session-store/index.ts';
import type { ChannelSessions, SessionStore } from './session-store/index.ts';

export interface WebPubSubResourceContext {
  /** Resource name, e.g. "chat". */
  name: string;
  /** ARM id, /subscriptions/…/resourceGroups/…/providers/Microsoft.SignalRService/webPubSub/chat */
  resourceId: string;
  /** May change at run time (regeneration): read on every use. */
  getAccessKeys(): { primaryKey: string; secondaryKey: string };
  isLocalAuthDisabled(): boolean;
  /** `hub` is lower-cased. */
  getHubSettings(hub: string): { anonymousConnectPolicy?: 'allow' | 'deny' } | undefined;
  log: Logger;
  /** Extra authenticators tried before the access-key one (Microsoft Entra bearer tokens + RBAC). */
  authenticators?: DataPlaneAuthenticator[];
  /** Where 401/403 answers are recorded ("why was this denied", AccessControl.denials). */
  denials?: DenialRecorder;
  limits?: {
    maxConnections?: number;
    /** Client upgrades that may wait on handshake work (the connect event handler) at once (default 1000). */
    maxPendingUpgrades?: number;
    /** REST body limit (default 1 MiB). */
    maxBodyBytes?: number;
    /** Client frame limit (default 1 MiB); larger frames close that client with 1009. */
    maxFrameBytes?: number;
    /** Per-socket outbound buffer before a non-reading client is dropped (default 16 MiB). */
    maxSocketBufferBytes?: number;
  };
  /** Upstream event hooks: the resource's event handlers (connect, user events, connected, disconnected). */
  events?: ClientEventHooks;
  /**
   * Key that signs tokens from `:generateToken` (they must work with local auth disabled).
   * Default: a random per-process key; a cluster must pass a shared one.
   */
  internalSigningKey?: () => string;
  /**
   * Where reliable sessions are kept beyond this node (Redis in a cluster: a client whose node
   * died recovers through any node). Default: in-process, sessions live and die with the node.
   */
  sessions?: SessionStore;
  /** The resource's live trace channel (src/trace): connections, messages and rejected handshakes. */
  trace?: ResourceTrace | undefined;
  /** Timers, overridable for tests. */
  timing?: { keepAliveIntervalMs?: number; recoveryWindowMs?: number };
}

const MIB = 1024 * 1024;

export class WebPubSubService {
  readonly core: MessagingCore;
  readonly #ctx: WebPubSubResourceContext;
  readonly #backplane: Backplane;
  readonly #ownsBackplane: boolean;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<ClientSession>();
  readonly #sockets = new Set<WebSocket>();
  readonly #host: SessionHost;
  readonly #reliableSessions: ChannelSessions;
  readonly #admission: UpgradeAdmission;
  readonly #internalKey: () => string;
  readonly #keepAlive: NodeJS.Timeout;
  readonly #endpoint: ClientEndpointDeps;
  readonly #upgradeListeners: Array<{ server: Server; listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void }> = [];
  #closed = false;

  constructor(ctx: WebPubSubResourceContext, backplane?: Backplane) {
    this.#ctx = ctx;
    this.#backplane = backplane ?? new InProcessBackplane();
    this.#ownsBackplane = backplane === undefined;
    this.core = new MessagingCore({
      channel: ctx.resourceId,
      backplane: this.#backplane,
      compileFilter: compileODataFilter,
      maxConnections: ctx.limits?.maxConnections,
      trace: ctx.trace,
    });
    this.#admission = new UpgradeAdmission({
      resourceName: ctx.name,
      maxConnections: ctx.limits?.maxConnections,
      maxPending: ctx.limits?.maxPendingUpgrades ?? DEFAULT_MAX_PENDING_UPGRADES,
      openConnections: () => this.core.connectionCount,
    });
    const randomKey = randomBytes(32).toString('base64url');
    this.#internalKey = ctx.internalSigningKey ?? (() => randomKey);
    // permessage-deflate stays off: frames are built once and shared by every socket, which
    // only works uncompressed (per-socket compression contexts would re-encode per socket).
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: ctx.limits?.maxFrameBytes ?? MIB,
      clientTracking: false,
      handleProtocols,
    });
    const sessions = this.#sessions;
    this.#host = {
      core: this.core,
      log: ctx.log,
      events: ctx.events,
      maxBufferedBytes: ctx.limits?.maxSocketBufferBytes ?? 16 * MIB,
      recoveryWindowMs: ctx.timing?.recoveryWindowMs ?? 30_000,
      sessionEnded: (s) => sessions.delete(s),
    };
    const register = (s: ClientSession): void => { sessions.add(s); };
    this.#reliableSessions = (ctx.sessions ?? new InProcessSessionStore()).bind(ctx.resourceId, {
      adopt: (record) => {
        const session = restoreSession({ host: this.#host, sessions: this.#reliableSessions, register }, record);
        session?.awaitRecovery();
        return session;
      },
      local: (hub, connectionId) => {
        const sink = this.core.connection(hub, connectionId)?.sink;
        return sink instanceof JsonSession ? sink : undefined;
      },
    });
    // One timer for all sockets (not one per socket): ping, and drop peers silent since the last ping.
    this.#keepAlive = setInterval(() => {
      for (const s of this.#sessions) s.heartbeat();
    }, ctx.timing?.keepAliveIntervalMs ?? 20_000);
    this.#keepAlive.unref();
    this.#endpoint = this.#endpointDeps();
  }

  /** Register REST routes and the WebSocket upgrade handler on one listener. */
  mount(app: FastifyInstance): void {
    const ctx = this.#ctx;
    const keyAuth = new AccessKeyAuthenticator(ctx);
    // The chain is rebuilt only when the extra authenticators change, not once per request.
    let extra: readonly DataPlaneAuthenticator[] | undefined;
    let extraCount = -1;
    let chain: readonly DataPlaneAuthenticator[] = [keyAuth];
    const authenticators = (): readonly DataPlaneAuthenticator[] => {
      const now = ctx.authenticators;
      if (now !== extra || (now?.length ?? 0) !== extraCount) {
        extra = now;
        extraCount = now?.length ?? 0;
        chain = [...(now ?? []), keyAuth];
      }
      return chain;
    };
    registerRest(app, {
      resourceId: ctx.resourceId,
      maxBodyBytes: ctx.limits?.maxBodyBytes ?? MIB,
      log: ctx.log,
      denials: ctx.denials, resourceName: ctx.name,
      authenticators,
      deps: {
        core: this.core,
        mintClientToken: (a) => mintClientToken({
          origin: a.origin,
          hub: a.hub,
          userId: a.userId,
          roles: a.roles,
          groups: a.groups,
          minutesToExpire: a.minutesToExpire,
          key: this.#internalKey(),
          clientPath: a.clientType === 'mqtt' ? '/clients/mqtt/hubs/' : a.clientType === 'socketio' ? '/clients/socketio/hubs/' : undefined,
        }),
      },
    });
    const server = app.server as Server;
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(server, req, socket, head);
    server.on('upgrade', listener);
    this.#upgradeListeners.push({ server, listener });
  }

  #onUpgrade(server: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // First, before anything can fail: a peer resetting mid-handshake is that peer's problem.
    guardSocket(socket, this.#ctx.log, 'client upgrade');
    if (this.#closed) {
      socket.destroy();
      return;
    }
    // Leave other paths to other upgrade listeners, if any. The URL is parsed once, here.
    let url: URL | undefined;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      // An unparsable request target: refused below like any other bad handshake.
    }
    const hub = url !== undefined ? clientHub(url) : undefined;
    if (hub === undefined && server.listenerCount('upgrade') > 1) return;
    try {
      // A promise only when the handshake waits (connect handler, session store).
      handleClientUpgrade(this.#endpoint, req, socket, head, url && { url, hub })?.catch((err: unknown) => this.#upgradeFailed(socket, err));
    } catch (err) {
      this.#upgradeFailed(socket, err);
    }
  }

  #upgradeFailed(socket: Duplex, err: unknown): void {
    this.#ctx.log.error({ err }, 'client upgrade failed');
    socket.destroy();
  }

  /** What the client endpoint needs, built once (not per handshake). */
  #endpointDeps(): ClientEndpointDeps {
    const ctx = this.#ctx;
    const sockets = this.#sockets;
    const untrack = function (this: WebSocket): void {
      sockets.delete(this);
    };
    return {
      host: this.#host,
      wss: this.#wss,
      events: ctx.events,
      // Access keys first: the SDKs sign client tokens with them (a genuine token's check stops
      // at its key); `:generateToken` tokens, signed with the internal key, come after.
      clientTokenKeys: () => {
        if (ctx.isLocalAuthDisabled()) return [this.#internalKey()];
        const { primaryKey, secondaryKey } = ctx.getAccessKeys();
        return [primaryKey, secondaryKey, this.#internalKey()];
      },
      anonymousAllowed: (hub) => ctx.getHubSettings(hub)?.anonymousConnectPolicy === 'allow',
      maxConnections: ctx.limits?.maxConnections,
      resourceName: ctx.name,
      denials: ctx.denials, resourceId: ctx.resourceId,
      admission: this.#admission,
      register: (session) => {
        this.#sessions.add(session);
      },
      sessions: this.#reliableSessions,
      // Upgraded sockets leave the HTTP server's bookkeeping: track them so `close()` can end them.
      track: (ws) => {
        this.#sockets.add(ws);
        ws.on('close', untrack); // one listener shared by every socket (`close` is emitted once)
      },
    };
  }

  /** Close all client sockets with the right close code, stop timers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    for (const { server, listener } of this.#upgradeListeners) server.off('upgrade', listener);
    // In a cluster, reliable clients recover on another node instead of starting over.
    await this.#reliableSessions.handOff().catch((err: unknown) => this.#ctx.log.warn({ err }, 'reliable sessions could not be handed off'));
    for (const s of [...this.#sessions]) s.close({ kind: 'shutdown', reason: 'The service is shutting down.' });
    // Give peers a moment to answer the close frames, then cut whatever is left.
    const deadline = Date.now() + 1000;
    while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const ws of this.#sockets) ws.terminate();
    this.#sockets.clear();
    this.#reliableSessions.unbind();
    this.core.close();
    if (this.#ownsBackplane) await this.#backplane.close();
  }
}
