/**
 * A client session: the bridge between one WebSocket and one logical connection of the core.
 * Subclasses implement a wire protocol (plain WebSocket, JSON, reliable JSON).
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { CloseRequest, ConnectionSink, Message, MessagingCore } from '../../messaging/index.ts';
import { Connection } from '../../messaging/index.ts';
import type { ClientEventContext, ClientEventHooks } from './hooks.ts';
import { applyRoles } from './roles.ts';
import { WebSocketTransport, type Outbound, type OwnPrefix } from '../../transports/index.ts';

/** What every session needs from the service that owns it. */
export interface SessionHost {
  readonly core: MessagingCore;
  readonly log: Logger;
  readonly events: ClientEventHooks | undefined;
  /** Per-socket outbound buffer bound; a peer past it is dropped. */
  readonly maxBufferedBytes: number;
  /** How long a reliable connection waits for its client to resume after a transport loss. */
  readonly recoveryWindowMs: number;
  /** Called once when a session's logical connection ends. */
  sessionEnded(session: ClientSession): void;
}

export interface SessionInit {
  connectionId: string;
  hub: string;
  userId: string | undefined;
  roles: readonly string[];
}

/** Close codes (RFC 6455) used by the service. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_UNSUPPORTED = 1003;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY = 1008;
export const CLOSE_INTERNAL = 1011;

/** User events one connection may have waiting for the event handler before it stops being read. */
export const MAX_QUEUED_EVENTS = 64;

export abstract class ClientSession implements ConnectionSink {
  abstract readonly protocol: string;
  readonly connection: Connection;
  protected readonly host: SessionHost;
  /** The current WebSocket of this logical connection (a reliable one outlives several). */
  protected transport: WebSocketTransport | null = null;
  /** Set when the logical connection is over (no more delivery, no recovery). */
  ended = false;
  /** User events of one connection run one after the other (blocking semantics); made by the first. */
  #events: Promise<void> | undefined;
  #queuedEvents = 0;
  /** Reading is paused while too many user events wait for the event handler (backpressure). */
  #paused = false;

  constructor(host: SessionHost, init: SessionInit) {
    this.host = host;
    this.connection = new Connection(init.connectionId, init.hub.toLowerCase(), init.userId, this);
    applyRoles(this.connection.permissions, init.roles);
  }

  get context(): ClientEventContext {
    return {
      hub: this.connection.hub,
      connectionId: this.connection.connectionId,
      userId: this.connection.userId,
      subprotocol: this.subprotocol,
    };
  }

  /** The negotiated subprotocol (undefined for plain WebSocket clients). */
  abstract get subprotocol(): string | undefined;

  abstract deliver(message: Message): void;
  protected abstract onFrame(data: Buffer, isBinary: boolean): void;
  /** Service-initiated end of the logical connection. */
  abstract close(request: CloseRequest): void;

  /** No WebSocket is bound (a reliable session waiting for its client). */
  get detached(): boolean {
    return this.transport === null;
  }

  /** Binds a WebSocket to this session (initial connect, or resume of a reliable session). */
  attach(ws: WebSocket): void {
    let internalError = false;
    const t: WebSocketTransport = new WebSocketTransport(ws, { maxBufferedBytes: this.host.maxBufferedBytes }, {
      data: (data, isBinary) => {
        if (this.transport !== t || this.ended) return;
        try {
          this.onFrame(data, isBinary);
        } catch (err) {
          // A bug handling one peer's frame must not take the process down; drop that peer.
          this.host.log.error({ err, connectionId: this.connection.connectionId }, 'client frame handler failed');
          internalError = true;
          this.closeTransport(CLOSE_INTERNAL, 'Internal server error.');
        }
      },
      end: (why) => {
        if (this.transport !== t) return; // a replaced transport
        this.transport = null;
        if (this.ended) return;
        if (why.cause === 'overflow') {
          // The socket could not take even a close frame promptly, so it was cut. The logical
          // connection ends too: replaying a backlog that overflowed once would only overflow again.
          this.host.log.warn({ connectionId: this.connection.connectionId }, 'client is not reading: outbound buffer limit reached, dropping it');
          this.end('The client did not read its messages fast enough.');
          return;
        }
        if (why.cause === 'protocol') this.host.log.debug({ err: why.message, connectionId: this.connection.connectionId }, 'client socket error');
        const code = why.cause === 'peer' ? (why.code ?? 1006) : 1006;
        this.onTransportClosed(code, internalError || why.cause === 'protocol');
      },
    });
    this.transport = t;
    if (this.#paused) t.pause();
  }

  /** Transport gone while the logical connection is alive. Default: the connection ends. */
  protected onTransportClosed(code: number, _protocolError: boolean): void {
    this.end(`The client closed the connection (${code}).`);
  }

  /** Queues one message for the client (batched per tick, bounded); nothing while detached. */
  protected send(message: Outbound): void {
    this.transport?.send(message);
  }

  /** Writes one message now (ahead of the end-of-turn flush); nothing while detached. */
  protected sendNow(message: Outbound): void {
    this.transport?.sendNow(message);
  }

  /** Queues one frame as `prefix`'s own bytes for `arg` in front of a shared body (built at the flush). */
  protected sendOwnFrame(prefix: OwnPrefix, arg: number, body: Buffer): void {
    this.transport?.sendOwnFrame(prefix, arg, body);
  }

  /** Flushes queued messages, then closes the socket with a close frame. */
  protected closeTransport(code: number, reason: string): void {
    this.transport?.close(code, truncateReason(reason));
  }

  /** Drops the current WebSocket without ending the logical connection (a reliable resume replaces it). */
  protected detach(): void {
    const old = this.transport;
    this.transport = null; // first, so its end event is ignored
    old?.terminate();
  }

  /**
   * The logical connection moved to another node (a reliable session handed over): it leaves
   * this node's core and its socket is dropped (or closed with `close`), without a
   * `disconnected` event: the connection goes on elsewhere.
   */
  retire(close?: { code: number; reason: string }): void {
    if (this.ended) return;
    this.ended = true;
    this.connection.observer = undefined; // leaving the core must not touch the shared record
    this.host.core.unregister(this.connection, 'The connection moved to another node.');
    this.host.sessionEnded(this);
    if (close) this.closeTransport(close.code, close.reason);
    else this.detach();
  }

  /** Ends the logical connection: leaves the core, notifies upstream once. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.host.core.unregister(this.connection, reason);
    this.host.sessionEnded(this);
    try {
      this.host.events?.disconnected?.(this.context, reason);
    } catch (err) {
      this.host.log.warn({ err }, 'disconnected hook failed');
    }
  }

  /**
   * Queues a user event behind the previous ones. A client that sends events faster than the
   * event handler answers stops being read (TCP backpressure) once `MAX_QUEUED_EVENTS` wait, and
   * is read again when half of them are done: the queue stays bounded without refusing anything.
   */
  protected queueEvent(task: () => Promise<void>): void {
    this.#queuedEvents++;
    if (this.#queuedEvents >= MAX_QUEUED_EVENTS && !this.#paused) {
      this.#paused = true;
      this.transport?.pause();
    }
    this.#events = (this.#events ?? Promise.resolve()).then(task).catch((err: unknown) => {
      this.host.log.error({ err, connectionId: this.connection.connectionId }, 'user event failed');
    }).finally(() => {
      this.#queuedEvents--;
      if (this.#paused && this.#queuedEvents <= MAX_QUEUED_EVENTS / 2) {
        this.#paused = false;
        this.transport?.resume();
      }
    });
  }

  /** Keep-alive tick: a peer that did not answer the previous ping (nor sent anything) is dropped. */
  heartbeat(): void {
    // While we are not reading, its pongs wait unread: not the peer's silence.
    if (this.#paused) return;
    this.transport?.heartbeat();
  }
}

/** Close reasons are limited to 123 bytes of UTF-8. */
export function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let out = reason;
  while (Buffer.byteLength(out) > 120) out = out.slice(0, -1);
  return `${out}...`;
}
