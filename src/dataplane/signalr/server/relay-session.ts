/**
 * A client of a Default-mode resource: Lapis reads only the client's hub handshake (to learn the
 * protocol and route the client), then relays bytes both ways. The hub handshake answer, pings,
 * completions and the hub's Close come from the app server, so nothing here speaks the hub protocol
 * beyond the handshake request and the Close Lapis itself sends when the app server goes away.
 * Fan-out messages (broadcasts, groups, users) reach the client through the messaging core and are
 * held back until the app's handshake answer has gone out, as Azure does.
 */
import type { CloseRequest, ConnectionSink, Message } from '../../../messaging/index.ts';
import {
  closeMessage, DEFAULT_HANDSHAKE_TIMEOUT_MS, HANDSHAKE_TIMEOUT_TEXT, HandshakeReader, handshakeFailureText, handshakeResponse, selectProtocol,
  SignalRMessage, type HubProtocolName,
} from '../../../protocols/signalr/index.ts';
import { Outbound, type Transport, type TransportEnd } from '../../../transports/index.ts';
import type { DispatchedConnection } from '../../../transports/index.ts';
import type { ClientConnectionInfo } from '../client/index.ts';

/** Client bytes held while a route is being found on another node (a client waits for the handshake answer, so this is a peer misbehaving). */
const MAX_BYTES_WHILE_ROUTING = 1024 * 1024;

export interface RelayHost {
  /**
   * The client's handshake request arrived: route the client. Returns a refusal text, or undefined
   * once routed; a promise of either when the route is on another node of a cluster.
   */
  open(relay: RelaySession, protocol: HubProtocolName, handshake: Buffer): string | undefined | Promise<string | undefined>;
  /** Client bytes after the handshake request, verbatim. */
  data(relay: RelaySession, bytes: Buffer): void;
  /** Called once when the client is gone (after a successful `open` only); `error` when it did not end cleanly. */
  ended(relay: RelaySession, error: string | undefined): void;
}

/**
 * A relayed client as the app-server side sees it: a RelaySession on this node, or a client of
 * another node of the cluster served through this one (remote-relay.ts).
 */
export interface AppRelay {
  readonly info: ClientConnectionInfo;
  readonly connectionId: string;
  readonly protocol: HubProtocolName | undefined;
  /** When the client last sent anything (the relay's client timeout). */
  readonly lastReceived: number;
  fromApp(bytes: Uint8Array): void;
  close(error?: string, allowReconnect?: boolean): void;
  closeByApp(error: string | undefined): void;
}

export class RelaySession implements DispatchedConnection, AppRelay {
  readonly info: ClientConnectionInfo;
  readonly #host: RelayHost;
  readonly #handshake = new HandshakeReader();
  readonly #timer: NodeJS.Timeout;
  #transport: Transport | undefined;
  #protocol: HubProtocolName | undefined;
  /** The app's first bytes (its handshake answer) went out: fan-out may follow. */
  #answered = false;
  #opened = false;
  /** Bytes that came while an asynchronous `open` was under way; undefined when none is. */
  #held: Buffer[] | undefined;
  #heldBytes = 0;
  #ended = false;
  #endError: string | undefined;
  #lastReceived = Date.now();

  constructor(info: ClientConnectionInfo, host: RelayHost, handshakeTimeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS) {
    this.info = info;
    this.#host = host;
    this.#timer = setTimeout(() => {
      if (this.#opened || this.#ended) return;
      this.#transport?.send(Outbound.of(handshakeResponse(HANDSHAKE_TIMEOUT_TEXT)));
      this.#finish(HANDSHAKE_TIMEOUT_TEXT);
      this.#transport?.close(1000);
    }, handshakeTimeoutMs);
    this.#timer.unref();
  }

  get connectionId(): string {
    return this.info.connectionId;
  }

  get protocol(): HubProtocolName | undefined {
    return this.#protocol;
  }

  /** When the client last sent anything (its pings count): the relay's client timeout is measured from it. */
  get lastReceived(): number {
    return this.#lastReceived;
  }

  attach(transport: Transport): void {
    this.#transport = transport;
  }

  /** Bytes the app server wrote for this client (ConnectionData, or its payload of a multicast). */
  fromApp(bytes: Uint8Array): void {
    if (this.#ended || this.#protocol === undefined) return;
    this.#answered = true;
    this.#transport?.send(Outbound.of(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), this.#protocol === 'messagepack'));
  }

  /** A fan-out message from the messaging core: the bytes of this client's protocol, once its handshake was answered. */
  deliver(message: SignalRMessage): void {
    if (this.#ended || !this.#answered || this.#protocol === undefined) return;
    const out = message.outbound(this.#protocol);
    if (out) this.#transport?.send(out);
  }

  /** Lapis ends the client (its app server went away, a REST close, shutdown): a hub Close, then the transport. */
  close(error?: string, allowReconnect = false): void {
    if (this.#ended) return;
    // Still being routed: the client waits for its handshake answer, so the reason is that answer.
    if (!this.#opened) return this.#refuse(error ?? 'The connection was closed.');
    if (this.#protocol !== undefined) this.#transport?.send(Outbound.of(closeMessage(this.#protocol, error, allowReconnect), this.#protocol === 'messagepack'));
    this.#finish(error);
    this.#transport?.close(1000);
  }

  /** The app closed the client (CloseConnection): it already sent its hub Close through ConnectionData. */
  closeByApp(error: string | undefined): void {
    if (this.#ended) return;
    this.#finish(error);
    this.#transport?.close(1000);
  }

  // --- transport events ---

  data(bytes: Buffer, _binary: boolean): void {
    if (this.#ended) return;
    this.#lastReceived = Date.now();
    if (this.#opened) return this.#host.data(this, bytes);
    if (this.#held) return this.#hold(bytes);
    const r = this.#handshake.push(bytes);
    if (r.status === 'incomplete') return;
    if (r.status === 'failed') return this.#refuse(handshakeFailureText(r.error));
    const transferFormats = this.info.transport === 'ServerSentEvents' ? (['Text'] as const) : (['Text', 'Binary'] as const);
    const selected = selectProtocol(r.request, { transferFormats });
    if (!selected.ok) return this.#refuse(selected.error);
    this.#protocol = selected.protocol;
    const refusal = this.#host.open(this, selected.protocol, r.request.raw);
    if (refusal instanceof Promise) {
      this.#held = [];
      this.#hold(r.rest);
      refusal.then((text) => this.#routed(text), (err: unknown) => this.#routed(`The client could not be routed: ${(err as Error).message}`));
      return;
    }
    if (refusal !== undefined) {
      this.#protocol = undefined;
      return this.#refuse(refusal);
    }
    this.#opened = true;
    clearTimeout(this.#timer);
    if (r.rest.length > 0) this.#host.data(this, r.rest);
  }

  /** Bytes after the handshake request while the route is being found. */
  #hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > MAX_BYTES_WHILE_ROUTING) return this.#refuse('The client sent too much before its handshake was answered.');
    this.#held!.push(Buffer.from(bytes)); // copied: the transport may reuse its buffer
  }

  /** The asynchronous `open` settled: refused, or routed (then what was held is relayed). */
  #routed(refusal: string | undefined): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    if (refusal !== undefined) {
      if (this.#ended) return;
      this.#protocol = undefined;
      return this.#refuse(refusal);
    }
    this.#opened = true;
    clearTimeout(this.#timer);
    // Gone meanwhile (handshake timeout, transport closed): the host learns it now that it holds the client.
    if (this.#ended) return this.#host.ended(this, this.#endError);
    for (const b of held) {
      if (this.#ended) return;
      this.#host.data(this, b);
    }
  }

  end(why: TransportEnd): void {
    if (why.cause === 'overflow') this.#finish('The client did not read its messages fast enough.');
    else if (why.cause === 'protocol') this.#finish(`The transport was closed: ${why.message}`);
    else this.#finish(undefined);
  }

  #refuse(error: string): void {
    this.#transport?.send(Outbound.of(handshakeResponse(error)));
    this.#finish(error);
    this.#transport?.close(1000);
  }

  #finish(error: string | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#endError = error;
    clearTimeout(this.#timer);
    if (this.#opened) this.#host.ended(this, error);
  }
}

/** A relayed client in the messaging core: fan-out reaches it, and the core's closes (REST, policy) end it. */
export class RelaySink implements ConnectionSink {
  readonly #relay: RelaySession;

  constructor(relay: RelaySession) {
    this.#relay = relay;
  }

  get protocol(): string {
    return this.#relay.protocol ?? 'json';
  }

  deliver(message: Message): void {
    const m = SignalRMessage.of(message);
    if (m) this.#relay.deliver(m);
  }

  close(request: CloseRequest): void {
    this.#relay.close(request.reason || undefined, request.kind === 'shutdown');
  }
}
