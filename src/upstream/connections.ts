/**
 * Per-connection upstream state (reference §5.5): the state string and cookies a handler set, the
 * event counter for `ce-id`, and the chain that keeps a connection's blocking user events — and
 * then its `disconnected` — one after the other. Records of handshakes that never completed are
 * swept after a while; completed connections are dropped after `disconnected`.
 */
import type { Logger } from 'pino';
import type { HttpResult } from './http.ts';

export interface ConnectionRecord {
  hub: string;
  state: string;
  cookies: Map<string, string>;
  nextEventId: number;
  /** User events and the final `disconnected` of this connection, in order. */
  chain: Promise<unknown>;
  createdAt: number;
  connected: boolean;
}

const PENDING_CONNECT_TTL_MS = 120_000;
const MAX_STATE_BYTES = 16 * 1024;
const MAX_COOKIES = 32;
const MAX_COOKIE_BYTES = 4096;

export class ConnectionRecords {
  readonly #records = new Map<string, ConnectionRecord>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  get size(): number {
    return this.#records.size;
  }

  get(connectionId: string): ConnectionRecord | undefined {
    return this.#records.get(connectionId);
  }

  /**
   * The connection's record, created when first needed; `established`: for a connection past its
   * handshake (a pending one, made by `connect`, is swept if the handshake never completes).
   */
  record(connectionId: string, hub: string, established = false): ConnectionRecord {
    let r = this.#records.get(connectionId);
    if (!r) {
      r = { hub, state: '', cookies: new Map(), nextEventId: 0, chain: Promise.resolve(), createdAt: Date.now(), connected: established };
      this.#records.set(connectionId, r);
    }
    return r;
  }

  delete(connectionId: string): void {
    this.#records.delete(connectionId);
  }

  clear(): void {
    this.#records.clear();
  }

  /** Records made by `connect` for handshakes that never completed are dropped after a while. */
  sweepPending(): void {
    const cutoff = Date.now() - PENDING_CONNECT_TTL_MS;
    for (const [id, r] of this.#records) {
      if (r.createdAt >= cutoff) break; // insertion order = creation order
      if (!r.connected) this.#records.delete(id);
    }
  }

  /** Takes `ce-connectionState` and `Set-Cookie` from a 2xx answer to a blocking event. */
  absorb(record: ConnectionRecord, res: HttpResult): void {
    const state = res.headers['ce-connectionstate'];
    if (typeof state === 'string') {
      if (Buffer.byteLength(state) <= MAX_STATE_BYTES) record.state = state;
      else this.#log.warn({ bytes: Buffer.byteLength(state) }, `ce-connectionState over ${MAX_STATE_BYTES} bytes ignored`);
    }
    for (const line of res.headers['set-cookie'] ?? []) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0 || line.length > MAX_COOKIE_BYTES) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k = '', v = ''] = a.split('=').map((x) => x.trim());
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired) record.cookies.delete(name);
      else if (record.cookies.has(name) || record.cookies.size < MAX_COOKIES) record.cookies.set(name, value);
    }
  }
}
