/**
 * A TCP proxy for fault tests: clients connect to it instead of the server, and the test breaks
 * each proxied connection on purpose — cut it (abruptly, or after exactly N more bytes so the
 * cut lands in the middle of a WebSocket frame), delay or black-hole what flows through it, or
 * stop reading from the server (a client that no longer reads: the server's buffers fill up).
 *
 * It works below TLS and WebSocket, so it fits a plain or a TLS port alike. `close()` destroys
 * every socket it made and stops listening: nothing outlives the test.
 */
import net from 'node:net';
import { once } from 'node:events';

export type Direction = 'toClient' | 'toServer';

/** One proxied TCP connection and its controls. */
export interface FaultConnection {
  readonly id: number;
  /** Bytes forwarded so far, per direction. */
  readonly forwarded: Record<Direction, number>;
  /** Resolves once both sockets are gone. */
  readonly ended: Promise<void>;
  /** Abrupt loss of the link: both sides are destroyed now (no close handshake, no FIN). */
  cut(): void;
  /** Forwards exactly `bytes` more bytes in `direction`, then cuts (lands mid-frame when smaller than the next frame). */
  cutAfter(bytes: number, direction?: Direction): void;
  /** Holds each later chunk in `direction` for `ms` before forwarding it (order is kept). */
  delay(ms: number, direction?: Direction): void;
  /** Silently discards everything in `direction` from now on: the link looks alive but carries nothing. */
  drop(direction?: Direction): void;
  /** Stops reading from the side that sends in `direction` (default: the server: a client that stopped reading). */
  stallReads(direction?: Direction): void;
  /** Undoes `delay`, `drop` and `stallReads` in both directions. */
  resume(): void;
}

export interface FaultProxy {
  readonly port: number;
  /** Connections in the order they were accepted (including ended ones). */
  readonly connections: FaultConnection[];
  /** Resolves with the next connection accepted after this call (or the `index`-th overall). */
  nextConnection(index?: number): Promise<FaultConnection>;
  /** Rewrites a ws:// or http(s):// URL of the target so it goes through the proxy. */
  url(targetUrl: string): string;
  close(): Promise<void>;
}

interface Lane {
  from: net.Socket;
  to: net.Socket;
  delayMs: number;
  dropping: boolean;
  stalled: boolean;
  /** Bytes still allowed before a cut; undefined = no cut pending. */
  budget: number | undefined;
  /** Chained so delayed chunks keep their order. */
  chain: Promise<void>;
}

export async function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  const host = target.host ?? '127.0.0.1';
  const connections: FaultConnection[] = [];
  const waiters: Array<{ index: number; resolve: (c: FaultConnection) => void }> = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => {}); // a cut or reset is what these tests cause on purpose
      s.once('close', () => sockets.delete(s));
    }
    const c = proxyConnection(connections.length + 1, client, upstream, timers);
    connections.push(c);
    for (const w of [...waiters]) {
      if (w.index < connections.length) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(connections[w.index]!);
      }
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    connections,
    nextConnection(index = connections.length) {
      if (index < connections.length) return Promise.resolve(connections[index]!);
      return new Promise((resolve) => waiters.push({ index, resolve }));
    },
    url(targetUrl) {
      const u = new URL(targetUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function proxyConnection(id: number, client: net.Socket, upstream: net.Socket, timers: Set<NodeJS.Timeout>): FaultConnection {
  const forwarded: Record<Direction, number> = { toClient: 0, toServer: 0 };
  const lane = (from: net.Socket, to: net.Socket): Lane => ({ from, to, delayMs: 0, dropping: false, stalled: false, budget: undefined, chain: Promise.resolve() });
  const lanes: Record<Direction, Lane> = { toClient: lane(upstream, client), toServer: lane(client, upstream) };

  const cut = () => {
    // resetAndDestroy sends RST where it can: the peer sees an abnormal loss, as on a real network.
    for (const s of [client, upstream]) {
      if (s.destroyed) continue;
      if (typeof s.resetAndDestroy === 'function' && s.readyState === 'open') s.resetAndDestroy();
      else s.destroy();
    }
  };

  const write = (dir: Direction, chunk: Buffer) => {
    const l = lanes[dir];
    if (l.to.destroyed) return;
    if (l.budget !== undefined) {
      const part = chunk.subarray(0, l.budget);
      l.budget -= part.length;
      forwarded[dir] += part.length;
      if (part.length > 0) l.to.write(part);
      if (l.budget === 0) {
        // Let the partial write reach the peer before the link goes.
        l.to.once('drain', cut);
        if (l.to.writableLength === 0) setImmediate(cut);
      }
      return;
    }
    forwarded[dir] += chunk.length;
    // Backpressure passes through: a slow reader slows the writer, as on a direct link.
    if (!l.to.write(chunk)) {
      l.from.pause();
      l.to.once('drain', () => {
        if (!l.stalled) l.from.resume();
      });
    }
  };

  for (const dir of ['toClient', 'toServer'] as const) {
    const l = lanes[dir];
    l.from.on('data', (chunk: Buffer) => {
      if (l.dropping) return;
      if (l.delayMs <= 0) {
        write(dir, chunk);
        return;
      }
      const ms = l.delayMs;
      l.chain = l.chain.then(() => new Promise<void>((r) => {
        const t = setTimeout(() => {
          timers.delete(t);
          write(dir, chunk);
          r();
        }, ms);
        timers.add(t);
      }));
    });
    // A clean end on one side is passed on as a clean end (FIN) on the other.
    l.from.on('end', () => {
      void l.chain.then(() => l.to.end());
    });
  }
  // Not events.once: it rejects on 'error', and a reset is expected here.
  const closed = (s: net.Socket) => (s.destroyed ? Promise.resolve() : new Promise<void>((r) => s.once('close', () => r())));
  // One side gone abruptly: the other goes too (a proxy holds no half-dead links).
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());

  return {
    id,
    forwarded,
    ended: Promise.all([closed(client), closed(upstream)]).then(() => {}),
    cut,
    cutAfter(bytes, direction = 'toClient') {
      if (bytes <= 0) {
        cut();
        return;
      }
      lanes[direction].budget = bytes;
    },
    delay(ms, direction = 'toClient') {
      lanes[direction].delayMs = ms;
    },
    drop(direction = 'toClient') {
      lanes[direction].dropping = true;
    },
    stallReads(direction = 'toClient') {
      const l = lanes[direction];
      l.stalled = true;
      l.from.pause();
    },
    resume() {
      for (const l of Object.values(lanes)) {
        l.delayMs = 0;
        l.dropping = false;
        if (l.stalled) {
          l.stalled = false;
          l.from.resume();
        }
      }
    },
  };
}
