/**
 * The PostgreSQL store's change feed: one dedicated LISTEN connection per store, turning every
 * node's committed writes (NOTIFY lapis_changes) into local change events, the writer's own
 * included. A writer waits (bounded) until its own notification came back, so that a change made
 * through this node has reached this node's subscribers before the call returns.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../log/index.ts';
import type { StoreChange } from './types.ts';
import { LocalChangeFeed } from './change-feed.ts';
import { CHANGES_CHANNEL } from './postgres-sql.ts';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7999;
const MAX_ORIGIN_CHARS = 64;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;
/** A LISTEN connection silently cut by the network is noticed by this heartbeat (a query that must answer in time). */
const HEARTBEAT_MS = 30_000;
const HEARTBEAT_TIMEOUT_MS = 10_000;

interface Notification { origin: string; change?: StoreChange }

/** The NOTIFY payload of a change; a change too large for NOTIFY becomes a "resync" (everyone reloads). */
export function encodeChange(change: StoreChange, origin: string): string {
  const payload = JSON.stringify({ ...change, origin });
  return Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES ? payload : JSON.stringify({ op: 'resync', origin });
}

/** Parses a notification; anything not shaped like ours is refused (undefined). */
export function decodeNotification(payload: string | undefined): Notification | undefined {
  if (!payload || payload.length > MAX_PAYLOAD_BYTES) return undefined;
  let v: unknown;
  try { v = JSON.parse(payload); } catch { return undefined; }
  if (typeof v !== 'object' || v === null) return undefined;
  const { op, kind, id, parent, origin } = v as Record<string, unknown>;
  if (typeof origin !== 'string' || origin.length > MAX_ORIGIN_CHARS) return undefined;
  if (op === 'resync') return { origin };
  if ((op !== 'put' && op !== 'delete') || typeof kind !== 'string' || typeof id !== 'string') return undefined;
  if (parent !== undefined && parent !== null && typeof parent !== 'string') return undefined;
  return { origin, change: typeof parent === 'string' ? { op, kind, id, parent } : { op, kind, id } };
}

export interface FeedOptions {
  /** pg client settings for the LISTEN connection (connection string, timeouts). */
  client: pg.ClientConfig;
  log: Logger;
  /** How long a write waits for its own notification before it delivers locally and returns. */
  ownChangeWaitMs: number;
  /** How often the LISTEN connection is checked (default 30 s); it must answer within this, at most 10 s. */
  heartbeatMs?: number;
}

interface Pending { arrived: boolean; changes?: StoreChange[]; done?: () => void; timer?: NodeJS.Timeout }

/** What a writer holds between announcing a write and its commit. */
export interface Expectation {
  /** The write committed with these changes: resolves once they reached local subscribers (bounded). */
  committed(changes: StoreChange[]): Promise<void>;
  /** The write did not happen (no row changed, or rolled back). */
  cancel(): void;
}

export class PostgresChangeFeed {
  readonly local: LocalChangeFeed;
  readonly #options: FeedOptions;
  readonly #log: Logger;
  readonly #instance = randomBytes(6).toString('base64url');
  readonly #pending = new Map<string, Pending>();
  #seq = 0;
  #client: pg.Client | undefined;
  #listening = false;
  #closing = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #checking = false;

  constructor(options: FeedOptions) {
    this.#options = options;
    this.#log = options.log;
    this.local = new LocalChangeFeed((err, change) => this.#log.error({ err, change }, 'a store change listener failed'));
  }

  /** Whether the LISTEN connection is up (while it is down, writes deliver locally at once). */
  get listening(): boolean { return this.#listening; }

  /** Opens the LISTEN connection; rejects when it cannot (the store's open fails with it). */
  async start(): Promise<void> {
    await this.#connect();
    this.#heartbeat = setInterval(() => { void this.#checkAlive(); }, this.#options.heartbeatMs ?? HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** A fresh origin for one write (or one transaction's writes), unique across nodes. */
  nextOrigin(): string {
    this.#seq += 1;
    return `${this.#instance}.${this.#seq}`;
  }

  /** Registers interest in `origin` before the write is sent: its notification may come before the write's answer. */
  expect(origin: string): Expectation {
    const p: Pending = { arrived: false };
    this.#pending.set(origin, p);
    return {
      committed: (changes) => {
        if (p.arrived || this.#closing) {
          this.#pending.delete(origin);
          return Promise.resolve();
        }
        if (!this.#listening) {
          // Nobody will hear it on this node now; the resync after reconnecting covers the others' changes.
          this.#pending.delete(origin);
          this.#deliverLocally(changes);
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          p.changes = changes;
          p.done = resolve;
          p.timer = setTimeout(() => {
            this.#pending.delete(origin);
            this.#log.warn({ waitedMs: this.#options.ownChangeWaitMs }, 'store change notification did not come back in time; delivered locally');
            this.#deliverLocally(changes);
            resolve();
          }, this.#options.ownChangeWaitMs);
        });
      },
      cancel: () => { this.#pending.delete(origin); },
    };
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#heartbeat);
    for (const [origin, p] of this.#pending) {
      clearTimeout(p.timer);
      p.done?.();
      this.#pending.delete(origin);
    }
    const client = this.#client;
    this.#client = undefined;
    this.#listening = false;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#options.client);
    // Registered before connecting: a connection error must never become an unhandled 'error' event.
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    client.on('notification', (msg) => { if (msg.channel === CHANGES_CHANNEL) this.#receive(msg.payload); });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.#closing) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#listening = true;
  }

  #receive(payload: string | undefined): void {
    const n = decodeNotification(payload);
    if (!n) {
      this.#log.warn({ bytes: payload?.length ?? 0 }, `ignored a malformed notification on ${CHANGES_CHANNEL}`);
      return;
    }
    if (n.change) this.local.emit(n.change);
    else this.local.emitResync();
    const p = this.#pending.get(n.origin);
    if (!p) return;
    if (p.done) {
      clearTimeout(p.timer);
      this.#pending.delete(n.origin);
      p.done();
    } else {
      p.arrived = true;
    }
  }

  #deliverLocally(changes: StoreChange[]): void {
    for (const change of changes) this.local.emit(change);
  }

  #lost(client: pg.Client, err: Error): void {
    if (this.#client !== client) return; // a connection we already gave up on, or one still connecting
    this.#client = undefined;
    this.#listening = false;
    client.end().catch(() => {});
    if (this.#closing) return;
    this.#log.warn({ err: err.message }, 'store change feed: LISTEN connection lost; reconnecting');
    // Writers waiting for their notification will not get it through this connection.
    for (const [origin, p] of this.#pending) {
      if (!p.done) continue;
      clearTimeout(p.timer);
      this.#pending.delete(origin);
      this.#deliverLocally(p.changes ?? []);
      p.done();
    }
    this.#scheduleReconnect(0);
  }

  #scheduleReconnect(attempt: number): void {
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.#reconnectTimer = setTimeout(() => {
      this.#connect().then(() => {
        if (this.#closing) return;
        this.#log.info({ attempts: attempt + 1 }, 'store change feed: LISTEN connection restored; caches resynchronise');
        // Changes committed while we were not listening are lost to us: everything reloads.
        this.local.emitResync();
      }, (err: Error) => {
        if (this.#closing) return;
        this.#log.warn({ err: err.message, attempt: attempt + 1 }, 'store change feed: reconnect failed');
        this.#scheduleReconnect(attempt + 1);
      });
    }, delay);
    this.#reconnectTimer.unref();
  }

  async #checkAlive(): Promise<void> {
    const client = this.#client;
    if (!client || this.#checking) return;
    this.#checking = true;
    const limit = Math.min(this.#options.heartbeatMs ?? HEARTBEAT_MS, HEARTBEAT_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query('SELECT 1'),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer to the heartbeat within ${limit} ms`)), limit); }),
      ]);
    } catch (err) {
      this.#lost(client, err as Error);
    } finally {
      clearTimeout(timer);
      this.#checking = false;
    }
  }
}
