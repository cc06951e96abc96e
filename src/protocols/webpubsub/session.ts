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
import { FrameWriter } from './socket-writer.ts';

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
  protected ws: WebSocket | null = null;
  protected writer: FrameWriter | null = null;
  /** Set when the logical connection is over (no more delivery, no recovery). */
  ended = false;
  #alive = true;
  /** User events of one connection run one after the other (blocking semantics). */
  #events: Promise<void> = Promise.resolve();
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

  /** Binds a WebSocket to this session (initial connect, or resume of a reliable session). */
  attach(ws: WebSocket): void {
    this.ws = ws;
    this.#alive = true;
    if (this.#paused) ws.pause();
    this.writer = new FrameWriter(ws, this.host.maxBufferedBytes, () => this.#onSlowConsumer(ws));
    let protocolError = false;
    ws.on('message', (data, isBinary) => {
      this.#alive = true;
      if (this.ws !== ws || this.ended) return;
      try {
        this.onFrame(data as Buffer, isBinary);
      } catch (err) {
        // A bug handling one peer's frame must not take the process down; drop that peer.
        this.host.log.error({ err, connectionId: this.connection.connectionId }, 'client frame handler failed');
        protocolError = true;
        this.closeTransport(CLOSE_INTERNAL, 'Internal server error.');
      }
    });
    ws.on('pong', () => {
      this.#alive = true;
    });
    // `ws` reports oversized frames (1009), invalid UTF-8 (1007) and framing errors here and closes.
    ws.on('error', (err) => {
      protocolError = true;
      this.host.log.debug({ err: err.message, connectionId: this.connection.connectionId }, 'client socket error');
    });
    ws.on('close', (code) => {
      if (this.ws !== ws) return; // a replaced transport
      this.ws = null;
      this.writer = null;
      if (!this.ended) this.onTransportClosed(code, protocolError);
    });
  }

  /** Transport gone while the logical connection is alive. Default: the connection ends. */
  protected onTransportClosed(code: number, _protocolError: boolean): void {
    this.end(`The client closed the connection (${code}).`);
  }

  /** Writes pre-framed buffers (batched per tick, bounded). */
  protected send(pieces: readonly Buffer[]): void {
    this.writer?.write(pieces);
  }

  /** Flushes queued frames, then closes the socket with a close frame. */
  protected closeTransport(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.writer?.flush();
    try {
      ws.close(code, truncateReason(reason));
    } catch {
      ws.terminate();
    }
  }

  /** Ends the logical connection: leaves the core, notifies upstream once. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.host.core.unregister(this.connection);
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
      this.ws?.pause();
    }
    this.#events = this.#events.then(task).catch((err: unknown) => {
      this.host.log.error({ err, connectionId: this.connection.connectionId }, 'user event failed');
    }).finally(() => {
      this.#queuedEvents--;
      if (this.#paused && this.#queuedEvents <= MAX_QUEUED_EVENTS / 2) {
        this.#paused = false;
        this.ws?.resume();
      }
    });
  }

  /** Keep-alive tick: a peer that did not answer the previous ping (nor sent anything) is dropped. */
  heartbeat(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return;
    // While we are not reading, its pongs wait unread: not the peer's silence.
    if (this.#paused) return;
    if (!this.#alive) {
      ws.terminate();
      return;
    }
    this.#alive = false;
    ws.ping();
  }

  #onSlowConsumer(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.host.log.warn({ connectionId: this.connection.connectionId }, 'client is not reading: outbound buffer limit reached, dropping it');
    // The socket cannot take even a close frame promptly; cut it. The logical connection ends too:
    // replaying a backlog that already overflowed once would only overflow again.
    this.end('The client did not read its messages fast enough.');
    ws.terminate();
  }
}

/** Close reasons are limited to 123 bytes of UTF-8. */
export function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let out = reason;
  while (Buffer.byteLength(out) > 120) out = out.slice(0, -1);
  return `${out}...`;
}
