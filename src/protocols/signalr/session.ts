/**
 * One SignalR client connection over any transport: handshake, keep-alive, the client's hub
 * messages handed to the host (upstream in serverless mode, the app server in default mode), and
 * server messages written once-encoded. Protocol violations close this peer with a Close message.
 */
import { Outbound, type Transport, type TransportEnd, type TransportEvents } from '../../transports/index.ts';
import type { KeepAliveClock, Ticking } from './keep-alive.ts';
import { HubInbound } from './inbound.ts';
import { closeMessage, encodeHubMessage, PING, type SignalRMessage } from './message.ts';
import { CLIENT_TIMEOUT_MS, KEEP_ALIVE_INTERVAL_MS } from './timing.ts';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, HANDSHAKE_TIMEOUT_TEXT, handshakeResponse, type HandshakeRequest } from './handshake.ts';
import type { DecodedFrame, HubMessage, HubProtocolName, TransferFormat } from './types.ts';

export interface SignalRSessionHost {
  /** Handshake accepted: from now on the session receives messages. Return an error text to refuse. */
  opened(session: SignalRSession, request: HandshakeRequest): string | undefined;
  /** A client message other than Ping and Close (Invocation, Completion, StreamItem, …). */
  message(session: SignalRSession, frame: DecodedFrame): void;
  /** Called once when the connection is over; `error` is set when it did not end cleanly. */
  ended(session: SignalRSession, error: string | undefined): void;
}

export interface SignalRSessionOptions {
  connectionId: string;
  clock: KeepAliveClock;
  transferFormats: readonly TransferFormat[];
  maxMessageBytes?: number | undefined;
  handshakeTimeoutMs?: number | undefined;
  keepAliveMs?: number | undefined;
  clientTimeoutMs?: number | undefined;
}

export class SignalRSession implements TransportEvents, Ticking {
  readonly connectionId: string;
  readonly #o: SignalRSessionOptions;
  readonly #host: SignalRSessionHost;
  readonly #inbound: HubInbound;
  readonly #started: number;
  #transport: Transport | undefined;
  #protocol: HubProtocolName | undefined;
  #lastSent: number;
  #lastReceived: number;
  #ended = false;

  constructor(host: SignalRSessionHost, options: SignalRSessionOptions) {
    this.connectionId = options.connectionId;
    this.#o = options;
    this.#host = host;
    this.#inbound = new HubInbound({ transferFormats: options.transferFormats, maxMessageBytes: options.maxMessageBytes });
    // The clock's time is up to one period old; measured from it, a 1 s handshake timeout
    // (`asrs.s.cht`) could fire at once. Timeouts may end late, never early.
    this.#started = this.#lastSent = this.#lastReceived = Date.now();
    options.clock.add(this);
  }

  /** The transport is built with this session as its events, then attached. */
  attach(transport: Transport): void {
    this.#transport = transport;
  }

  get protocol(): HubProtocolName | undefined {
    return this.#protocol;
  }

  get transport(): Transport | undefined {
    return this.#transport;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** A message fanned out to many connections: the same bytes for every recipient of this protocol. */
  deliver(message: SignalRMessage): void {
    const protocol = this.#protocol;
    if (protocol === undefined || this.#ended) return;
    const out = message.outbound(protocol);
    if (out) this.#send(out);
  }

  /** A message for this connection only (a Completion, a StreamItem). */
  send(message: HubMessage): void {
    const protocol = this.#protocol;
    if (protocol === undefined || this.#ended) return;
    this.#send(Outbound.of(encodeHubMessage(protocol, message), protocol === 'messagepack'));
  }

  /** Sends an already framed message of this connection's protocol (a default-mode app server's bytes). */
  sendFramed(bytes: Buffer): void {
    if (this.#protocol === undefined || this.#ended) return;
    this.#send(Outbound.of(bytes, this.#protocol === 'messagepack'));
  }

  /** Service-side close: a Close message (its `error` reaches the app), then the transport closes. */
  close(error?: string, allowReconnect = false): void {
    if (this.#ended) return;
    if (this.#protocol !== undefined) this.#send(Outbound.of(closeMessage(this.#protocol, error, allowReconnect), this.#protocol === 'messagepack'));
    this.#finish(error);
    this.#transport?.close(1000);
  }

  // --- transport events ---

  data(bytes: Buffer, binary: boolean): void {
    if (this.#ended) return;
    this.#lastReceived = this.#o.clock.now;
    for (const ev of this.#inbound.push(bytes, !binary)) {
      if (this.#ended) return;
      switch (ev.kind) {
        case 'handshake': {
          const refusal = this.#host.opened(this, ev.request);
          if (refusal !== undefined) {
            this.#refuseHandshake(refusal);
            return;
          }
          this.#protocol = ev.protocol;
          this.#send(Outbound.of(ev.reply, ev.protocol === 'messagepack'));
          break;
        }
        case 'handshake-failed':
          this.#transport?.send(Outbound.of(ev.reply));
          this.#finish(ev.error);
          this.#transport?.close(1000);
          return;
        case 'violation':
          this.#send(Outbound.of(ev.close, this.#protocol === 'messagepack'));
          this.#finish(ev.error.closeReason());
          this.#transport?.close(1000);
          return;
        case 'messages':
          for (const frame of ev.frames) this.#onMessage(frame);
          break;
      }
    }
  }

  end(why: TransportEnd): void {
    if (why.cause === 'overflow') this.#finish('The client did not read its messages fast enough.');
    else if (why.cause === 'protocol') this.#finish(`The transport was closed: ${why.message}`);
    else this.#finish(undefined);
  }

  // --- keep-alive ---

  tick(now: number): void {
    if (this.#ended) return;
    const t = this.#transport;
    if (this.#protocol === undefined) {
      if (now - this.#started >= (this.#o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS)) {
        // As ASP.NET Core: the overdue handshake is answered with its error reply, then closed.
        t?.send(Outbound.of(handshakeResponse(HANDSHAKE_TIMEOUT_TEXT)));
        this.#finish(HANDSHAKE_TIMEOUT_TEXT);
        t?.close(1000);
      }
      return;
    }
    // Long polling keeps itself alive (every poll is a sign of life, and its transport times out
    // idle clients); the JS client neither sends nor expects Pings there.
    if (t?.name === 'LongPolling') return;
    if (now - this.#lastReceived >= (this.#o.clientTimeoutMs ?? CLIENT_TIMEOUT_MS)) {
      this.#finish('The client sent nothing within the client timeout.');
      t?.terminate();
      return;
    }
    if (now - this.#lastSent >= (this.#o.keepAliveMs ?? KEEP_ALIVE_INTERVAL_MS)) this.#send(this.#ping());
  }

  #ping(): Outbound {
    return Outbound.of(PING[this.#protocol!], this.#protocol === 'messagepack');
  }

  #onMessage(frame: DecodedFrame): void {
    const m = frame.message;
    if (m.type === 6) return; // Ping: receiving it was the point
    if (m.type === 7) {
      // The client is leaving (stop()); an error in its Close is its own report, kept for the log.
      this.#finish(m.error ?? undefined);
      this.#transport?.close(1000);
      return;
    }
    this.#host.message(this, frame);
  }

  #refuseHandshake(error: string): void {
    this.#transport?.send(Outbound.of(Buffer.from(`${JSON.stringify({ error })}\u001e`)));
    this.#finish(error);
    this.#transport?.close(1000);
  }

  #send(out: Outbound): void {
    this.#lastSent = this.#o.clock.now;
    this.#transport?.send(out);
  }

  #finish(error: string | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#o.clock.delete(this);
    this.#host.ended(this, error);
  }
}
