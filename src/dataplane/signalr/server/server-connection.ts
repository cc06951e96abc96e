/**
 * One app-server connection (`/server/?hub=&cid=`) after its WebSocket upgrade: the service-protocol
 * byte stream (messages split or merged across frames, parsed by length prefix), the handshake, and
 * keep-alive. The SDK drops a connection after 30 s without receiving anything and never pings on a
 * timer itself, so the service pings every PING_INTERVAL_MS; a HandshakeResponse must be the very
 * first message (a Ping before it fails the SDK's handshake). A protocol violation closes this one
 * connection with the reason; whatever was routed to it is closed by the host.
 */
import type { WebSocket } from 'ws';
import {
  encodeServiceMessage, handshakeRefusal, handshakeResponseBytes, PING_BYTES, SERVER_CONNECTION_TYPE, ServiceMessageReader,
  type HandshakeRequestMessage, type ServiceMessage,
} from '../../../protocols/signalr-service/index.ts';

/** Well under the SDK's 30 s inbound timeout. */
export const PING_INTERVAL_MS = 5_000;
/** The SDK writes its HandshakeRequest at once; a peer that does not is not an app server. */
export const SERVER_HANDSHAKE_TIMEOUT_MS = 15_000;
/**
 * An app server that has sent nothing for this long (the SDK answers our pings) is gone. Azure does
 * not publish its value; the resource's `limits.serverConnectionTimeoutSeconds` overrides it.
 */
export const SERVER_IDLE_TIMEOUT_MS = 60_000;
/** What an app server's clients and its log are told when it stopped answering pings. */
export const SILENT_SERVER_TEXT = 'The app server connection sent nothing within the server connection timeout.';
/** Bytes queued for an app server that does not read; past it the connection is dropped (its clients are closed). */
export const MAX_SERVER_BUFFERED_BYTES = 64 * 1024 * 1024;

export interface ServerConnectionInfo {
  /** The `cid` query value. */
  id: string;
  /** Lower-cased hub name. */
  hub: string;
  /** `X-ASRS-Server-Id`: one per app-server process; clients are spread across these. */
  serverId: string;
  /** The Entra principal (object id), or `accessKey`. */
  principal: string;
  /** True when the connection authenticated with a Microsoft Entra token (it may ask for a temporary key in-band). */
  entra: boolean;
  /** For an access-key connection: a digest of the key that signed its token (regenerating that key ends it). */
  keyDigest?: string | undefined;
}

export interface ServerConnectionTimeouts {
  /** Silence (nothing received) after which the connection is dropped. */
  idleTimeoutMs?: number | undefined;
  maxMessageBytes?: number | undefined;
}

export interface ServerConnectionHost {
  /** The handshake was accepted; the connection may now carry clients. */
  ready(connection: ServerConnection): void;
  message(connection: ServerConnection, message: ServiceMessage): void;
  /** Called once when the connection is over; `reason` explains a close by the service. */
  closed(connection: ServerConnection, reason: string): void;
}

export class ServerConnection {
  readonly info: ServerConnectionInfo;
  /** Client connection ids routed to this server connection. */
  readonly clients = new Set<string>();
  connectionType: number = SERVER_CONNECTION_TYPE.Default;
  readonly #ws: WebSocket;
  readonly #host: ServerConnectionHost;
  readonly #reader: ServiceMessageReader;
  readonly #timer: NodeJS.Timeout;
  readonly #idleTimeoutMs: number;
  readonly #opened = Date.now();
  #lastReceived = Date.now();
  #lastPing = Date.now();
  #handshaken = false;
  #closed = false;

  constructor(ws: WebSocket, info: ServerConnectionInfo, host: ServerConnectionHost, options: ServerConnectionTimeouts = {}) {
    this.info = info;
    this.#ws = ws;
    this.#host = host;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? SERVER_IDLE_TIMEOUT_MS;
    this.#reader = new ServiceMessageReader(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer | Buffer[] | ArrayBuffer) => this.#data(toBuffer(data)));
    ws.on('close', (code: number) => this.#finish(`The app server closed the connection (${code}).`));
    ws.on('error', () => this.#finish('The app server connection failed.'));
    // Checked more often than the ping cadence when the timeout is short (a test's, or a strict operator's).
    this.#timer = setInterval(() => this.#tick(), Math.max(100, Math.min(PING_INTERVAL_MS, Math.floor(this.#idleTimeoutMs / 4))));
    this.#timer.unref();
  }

  get ready(): boolean {
    return this.#handshaken && !this.#closed;
  }

  /** Whether clients may be routed here: Default and OnDemand connections, not Weak (secondary endpoints). */
  get carriesClients(): boolean {
    return this.ready && this.connectionType !== SERVER_CONNECTION_TYPE.Weak;
  }

  send(message: ServiceMessage): void {
    this.sendBytes(encodeServiceMessage(message));
  }

  sendBytes(bytes: Uint8Array): void {
    if (this.#closed || !this.#handshaken) return;
    if (this.#ws.bufferedAmount > MAX_SERVER_BUFFERED_BYTES) {
      this.#finish('The app server did not read its messages fast enough.');
      this.#ws.terminate();
      return;
    }
    this.#ws.send(bytes, { binary: true });
  }

  /** Service-side close: a ServiceError the SDK logs, then the socket (the SDK reconnects). */
  close(reason: string): void {
    if (this.#closed) return;
    if (this.#handshaken) this.#ws.send(encodeServiceMessage({ kind: 'ServiceError', errorMessage: reason }), { binary: true });
    this.#finish(reason);
    this.#ws.close(1000, reason.slice(0, 120));
  }

  #data(bytes: Buffer): void {
    if (this.#closed) return;
    this.#lastReceived = Date.now();
    const result = this.#reader.push(bytes);
    for (const m of result.messages) {
      if (this.#closed) return;
      if (!this.#handshaken) {
        if (m.kind !== 'HandshakeRequest') return this.#refuse('The first message must be a HandshakeRequest.');
        this.#handshake(m);
        continue;
      }
      this.#host.message(this, m);
    }
    if (result.error && !this.#closed) this.close(`Invalid service protocol data: ${result.error.toString()}`);
  }

  #handshake(request: HandshakeRequestMessage): void {
    const refusal = handshakeRefusal(request);
    if (refusal !== undefined) return this.#refuse(refusal);
    this.connectionType = request.connectionType;
    this.#handshaken = true;
    this.#ws.send(handshakeResponseBytes(''), { binary: true });
    this.#host.ready(this);
  }

  #refuse(reason: string): void {
    if (!this.#handshaken) this.#ws.send(handshakeResponseBytes(reason), { binary: true });
    this.#finish(reason);
    this.#ws.close(1000, reason.slice(0, 120));
  }

  #tick(): void {
    if (this.#closed) return;
    const now = Date.now();
    if (!this.#handshaken) {
      if (now - this.#opened >= SERVER_HANDSHAKE_TIMEOUT_MS) this.#refuse('The handshake request did not arrive in time.');
      return;
    }
    if (now - this.#lastReceived >= this.#idleTimeoutMs) {
      // A silent peer may not read either: no ServiceError, just the close with the reason.
      this.#finish(SILENT_SERVER_TEXT);
      this.#ws.close(1000, SILENT_SERVER_TEXT.slice(0, 120));
      setTimeout(() => this.#ws.terminate(), 1000).unref();
      return;
    }
    if (now - this.#lastPing < PING_INTERVAL_MS) return;
    this.#lastPing = now;
    this.#ws.send(PING_BYTES, { binary: true });
  }

  #finish(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#host.closed(this, reason);
  }
}

function toBuffer(data: Buffer | Buffer[] | ArrayBuffer): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
