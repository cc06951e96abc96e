/**
 * A cheap pipelined HTTP/1.1 client for pre-built requests: a few keep-alive sockets, requests
 * written back to back, responses matched in order by walking status lines and Content-Length.
 * (node:http's client costs tens of µs per request, which would make the load generator the
 * bottleneck of the unicast workloads.)
 */
import net from 'node:net';

export type Done = (status: number, body: string) => void;

class Pipe {
  readonly socket: net.Socket;
  readonly queue: Done[] = [];
  #buf: Buffer = Buffer.alloc(0);
  #need = -1;
  #status = 0;
  #bodyStart = 0;
  dead: Error | undefined;

  constructor(port: number, localAddress: string | undefined) {
    this.socket = net.connect({ host: '127.0.0.1', port, localAddress, noDelay: true });
    this.socket.on('data', (c: Buffer) => this.#onData(c));
    const die = (err: Error) => {
      if (this.dead) return;
      this.dead = err;
      for (const d of this.queue.splice(0)) d(0, err.message);
    };
    this.socket.on('error', die);
    this.socket.on('close', () => die(new Error('socket closed')));
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      if (this.#need < 0) {
        const end = this.#buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = this.#buf.toString('latin1', 0, end);
        this.#status = Number(head.slice(9, 12));
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (!m && /\r\ntransfer-encoding:\s*chunked/i.test(head)) throw new Error('chunked responses are not supported by the bench client');
        this.#need = m ? Number(m[1]) : 0;
        this.#bodyStart = end + 4;
      }
      if (this.#buf.length < this.#bodyStart + this.#need) return;
      // Error bodies are read for the notes; small 2xx bodies too (a SignalR negotiate answer). REST sends answer empty.
      const body = this.#need > 0 && (this.#status >= 300 || this.#need <= 16_384) ? this.#buf.toString('utf8', this.#bodyStart, this.#bodyStart + this.#need) : '';
      this.#buf = this.#buf.subarray(this.#bodyStart + this.#need);
      this.#need = -1;
      this.queue.shift()?.(this.#status, body);
    }
  }
}

export class HttpClient {
  readonly #pipes: Pipe[] = [];
  #next = 0;

  readonly #port: number;
  readonly #localAddress: string | undefined;
  readonly #reconnect: boolean;

  /**
   * `reconnect`: replace a socket the server closed (its keep-alive timeout ends idle ones after a
   * few seconds) at the next request; for occasional requests, not for measured flows, where a
   * closed socket is an error to report.
   */
  constructor(port: number, sockets: number, localAddress?: string, reconnect = false) {
    for (let i = 0; i < sockets; i++) this.#pipes.push(new Pipe(port, localAddress));
    this.#port = port;
    this.#localAddress = localAddress;
    this.#reconnect = reconnect;
  }

  get inFlight(): number {
    let n = 0;
    for (const p of this.#pipes) n += p.queue.length;
    return n;
  }

  /** Writes a complete request on the least busy socket. */
  request(raw: Buffer, done: Done): void {
    if (this.#reconnect) {
      for (let i = 0; i < this.#pipes.length; i++) if (this.#pipes[i]!.dead) this.#pipes[i] = new Pipe(this.#port, this.#localAddress);
    }
    let best = this.#pipes[this.#next]!;
    this.#next = (this.#next + 1) % this.#pipes.length;
    for (const p of this.#pipes) if (!p.dead && p.queue.length < best.queue.length) best = p;
    if (best.dead) {
      done(0, best.dead.message);
      return;
    }
    best.queue.push(done);
    best.socket.write(raw);
  }

  /** `request` as a promise. */
  send(raw: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => this.request(raw, (status, body) => resolve({ status, body })));
  }

  close(): void {
    for (const p of this.#pipes) p.socket.destroy();
  }
}
