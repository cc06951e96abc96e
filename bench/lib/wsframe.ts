/**
 * A deliberately thin WebSocket client over a raw TCP socket (RFC 6455), so that the load
 * generator costs far less than the servers it measures: it performs the upgrade itself, then
 * only walks frame headers to count messages and payload bytes. Payloads are never unmasked
 * (server frames are not masked), never decoded, never parsed, except:
 * - control frames (ping → pong, close), Socket.IO's engine ping `2` (→ `3`) and the one-time
 *   application handshake (Socket.IO `0…`/`40…`, Web PubSub `connected` system message (JSON or protobuf), the
 *   SignalR handshake reply `{}`);
 * - SignalR frames no longer than a Ping, so that the server's keep-alive Pings are not counted
 *   (the server writes one hub message per frame, so every other data frame is one Invocation);
 * - in latency mode, the first bytes of each data frame, to read the `@@T<µs>;` send stamp.
 */
import type { Wire } from './contestants.ts';
import { Counters } from './counters.ts';
import { handshakeMessage, pingMessage } from './signalr.ts';
import type { SignalRProtocol } from './signalr.ts';
import { WsFrameClient, type WsFrameOptions } from './ws-frames.ts';
import { protobufConnectedId } from './protobuf-frames.ts';

export { Counters };

import { maskedFrame, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT } from './ws-client-frame.ts';

export { maskedFrame, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT };

const STAMP = Buffer.from('@@T');
const CAPTURE_LATENCY = 160;
const CAPTURE_HANDSHAKE = 8192;
/** `{"sequenceId":` + up to 16 digits: where a reliable frame carries its id (Lapis writes it first). */
const SEQ_PREFIX = Buffer.from('{"sequenceId":');
const CAPTURE_SEQUENCE = SEQ_PREFIX.length + 17;
const ACK_EVERY_MS = 100;

/**
 * Reliable receivers whose highest sequence id grew since their last `sequenceAck`. One timer per
 * process acks them all every 100 ms (as the SDK batches its acks), not one message per frame.
 */
const unacked = new Set<RawWs>();
let ackTimer: NodeJS.Timeout | undefined;
function scheduleAck(ws: RawWs): void {
  unacked.add(ws);
  ackTimer ??= setInterval(() => {
    for (const w of unacked) w.sendSequenceAck();
    unacked.clear();
  }, ACK_EVERY_MS).unref();
}

export interface ConnectOptions extends WsFrameOptions {
  protocol?: string;
  wire: Wire;
  counters: Counters;
}

let nowUs = 0;

export class RawWs extends WsFrameClient {
  readonly #wire: Wire;
  readonly #counters: Counters;
  /** SignalR hub protocol of this connection (undefined for the other wires). */
  readonly #signalr: SignalRProtocol | undefined;
  readonly #ping: Buffer | undefined;
  #op = 0;
  #len = 0;
  #capture: Buffer | null = null;
  /** Bytes of the current frame to capture (the capture buffer may be longer: a reused one). */
  #captureLimit = 0;
  #captured = 0;
  /** json.reliable: the capture buffer reused by every data frame (only its first bytes are read). */
  #sequenceCapture: Buffer | undefined;
  /** json.reliable: the highest sequence id received, and the one last acknowledged. */
  #seqSeen = 0;
  #seqAcked = 0;
  /** Web PubSub connection id (from the `connected` system message). */
  connectionId: string | undefined;

  constructor(o: ConnectOptions) {
    super({ ...o, headers: `${o.protocol ? `Sec-WebSocket-Protocol: ${o.protocol}\r\n` : ''}${o.headers ?? ''}` });
    this.#wire = o.wire;
    this.#counters = o.counters;
    this.#signalr = o.wire === 'signalr-json' ? 'json' : o.wire === 'signalr-msgpack' ? 'messagepack' : undefined;
    this.#ping = this.#signalr ? pingMessage(this.#signalr) : undefined;
  }

  send(frame: Buffer): boolean {
    return this.socket.write(frame);
  }

  /** json.reliable: acknowledges everything up to the highest sequence id seen (called by the shared ack timer). */
  sendSequenceAck(): void {
    if (this.phase !== 2 || this.#seqSeen <= this.#seqAcked) return;
    this.#seqAcked = this.#seqSeen;
    this.socket.write(maskedFrame(OP_TEXT, Buffer.from(`{"type":"sequenceAck","sequenceId":${this.#seqSeen}}`)));
  }

  /** SignalR: a client Ping (the server drops clients silent for 30 s); nothing for the other wires. */
  keepAlive(): void {
    if (this.#signalr && this.phase === 2) this.socket.write(maskedFrame(this.#signalr === 'json' ? OP_TEXT : OP_BINARY, this.#ping!));
  }

  protected afterHead(): void {
    if (this.#signalr) {
      // The JS client sends its handshake as text on both protocols.
      this.phase = 1;
      this.socket.write(maskedFrame(OP_TEXT, handshakeMessage(this.#signalr)));
    } else if (this.#wire === 'socketio' || this.#wire === 'lapis-json' || this.#wire === 'lapis-protobuf' || this.#wire === 'lapis-reliable') this.phase = 1;
    else this.opened();
  }

  protected override received(chunk: Buffer): void {
    if (this.#counters.latency) nowUs = Number(process.hrtime.bigint() / 1000n);
    super.received(chunk);
  }

  protected frameStart(op: number, _messageOp: number, len: number): void {
    this.#op = op;
    this.#len = len;
    let want = 0;
    if (this.phase === 1) want = Math.min(len, CAPTURE_HANDSHAKE);
    else if (this.#wire === 'socketio' && len === 1) want = 1;
    else if (this.#ping && len === this.#ping.length) want = len;
    else if (this.#counters.latency) want = Math.min(len, CAPTURE_LATENCY);
    this.#captured = 0;
    if (this.#wire === 'lapis-reliable' && this.phase === 2 && want === 0) {
      // The sequence id alone: no allocation per frame.
      this.#capture = this.#sequenceCapture ??= Buffer.allocUnsafe(CAPTURE_SEQUENCE);
      this.#captureLimit = Math.min(len, CAPTURE_SEQUENCE);
      return;
    }
    if (this.#wire === 'lapis-reliable' && this.phase === 2 && want < CAPTURE_SEQUENCE) want = Math.min(len, CAPTURE_SEQUENCE);
    this.#capture = want > 0 ? Buffer.allocUnsafe(want) : null;
    this.#captureLimit = want;
  }

  protected payload(buf: Buffer, from: number, to: number): void {
    const cap = this.#capture;
    if (cap && this.#captured < this.#captureLimit) {
      const k = Math.min(to - from, this.#captureLimit - this.#captured);
      buf.copy(cap, this.#captured, from, from + k);
      this.#captured += k;
    }
  }

  protected frameEnd(): void {
    const cap = this.#capture;
    this.#capture = null;
    if (this.phase === 1) {
      this.#appHandshake(cap);
      return;
    }
    if (this.phase !== 2 || this.#op === OP_CONT) return;
    if (this.#wire === 'socketio' && this.#len === 1 && cap && cap[0] === 0x32) {
      this.socket.write(maskedFrame(OP_TEXT, Buffer.from('3'))); // engine.io pong
      return;
    }
    if (this.#ping && cap && this.#len === this.#ping.length && cap.equals(this.#ping)) return; // server keep-alive
    if (this.#wire === 'lapis-reliable' && cap) this.#sequenceOf(cap, this.#captured);
    const c = this.#counters;
    c.frames++;
    c.bytes += this.#len;
    if (this.#len < c.minLen) c.minLen = this.#len;
    if (this.#len > c.maxLen) c.maxLen = this.#len;
    if (c.latency && cap) {
      const at = cap.indexOf(STAMP);
      if (at < 0) {
        c.badStamps++;
        return;
      }
      let t = 0;
      let k = at + 3;
      for (; k < cap.length; k++) {
        const d = cap[k]!;
        if (d < 0x30 || d > 0x39) break;
        t = t * 10 + (d - 0x30);
      }
      if (k >= cap.length || cap[k] !== 0x3b) c.badStamps++;
      else c.samples.push(nowUs - t);
    }
  }

  /** Reads `<n>` of a frame starting `{"sequenceId":<n>,` (frames without one, e.g. acks, are skipped). */
  #sequenceOf(cap: Buffer, length: number): void {
    if (length <= SEQ_PREFIX.length || cap.compare(SEQ_PREFIX, 0, SEQ_PREFIX.length, 0, SEQ_PREFIX.length) !== 0) return;
    let n = 0;
    for (let k = SEQ_PREFIX.length; k < length; k++) {
      const d = cap[k]!;
      if (d < 0x30 || d > 0x39) break;
      n = n * 10 + (d - 0x30);
    }
    if (n > this.#seqSeen) {
      this.#seqSeen = n;
      scheduleAck(this);
    }
  }

  #appHandshake(cap: Buffer | null): void {
    const text = cap ? cap.toString('utf8') : '';
    if (this.#signalr) {
      // The handshake reply is JSON on both protocols: `{}` + 0x1E, or `{"error":…}`.
      if (text.startsWith('{}\u001e')) this.opened();
      else this.fail(new Error(`SignalR handshake refused: ${text.slice(0, 200)}`));
      return;
    }
    if (this.#wire === 'socketio') {
      if (text.startsWith('0')) this.socket.write(maskedFrame(OP_TEXT, Buffer.from('40')));
      else if (text.startsWith('40')) this.opened();
      else if (text.startsWith('44')) this.fail(new Error(`socket.io connect error: ${text}`));
      return;
    }
    if (this.#wire === 'lapis-protobuf') {
      // protobuf.webpubsub.azure.v1: the first frame is the `connected` system message too.
      const connectionId = cap ? protobufConnectedId(cap) : undefined;
      if (connectionId !== undefined) {
        this.connectionId = connectionId;
        this.opened();
      } else this.fail(new Error(`expected the protobuf connected system message, got ${cap?.length ?? 0} bytes`));
      return;
    }
    // json.webpubsub.azure.v1: the first frame must be the `connected` system message.
    try {
      const m = JSON.parse(text) as { type?: string; event?: string; connectionId?: string };
      if (m.type === 'system' && m.event === 'connected') {
        this.connectionId = m.connectionId;
        this.opened();
        return;
      }
    } catch {
      // fall through
    }
    this.fail(new Error(`expected the connected system message, got: ${text.slice(0, 200)}`));
  }
}
