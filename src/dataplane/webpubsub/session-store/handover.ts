/**
 * Handovers between live nodes: a node that receives a recovery for a session another live node
 * owns asks that node (over Redis pub/sub, one channel per node) to give it up; the owner writes
 * what it has not yet written, hands ownership over in Redis, drops the session and answers.
 * Messages are small JSON objects, validated and size-limited on the way in.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../../log/index.ts';
import type { SessionKeys } from './redis-keys.ts';

const MAX_MESSAGE_BYTES = 8192;

export type HandoverAnswer = 'released' | 'refused' | 'silent';

interface HandoverRequest { t: 'handover'; id: string; from: string; ch: string; hub: string; cid: string }
interface HandoverReply { t: 'released'; id: string; ok: boolean }

export interface HandoverOptions {
  pub: Redis;
  sub: Redis;
  keys: SessionKeys;
  nodeId: string;
  log: Logger;
  timeoutMs: number;
  /** Gives a local session up to node `to`; resolves whether Redis now names `to` its owner. */
  release(channel: string, hub: string, connectionId: string, to: string): Promise<boolean>;
}

export class HandoverMessenger {
  readonly #o: HandoverOptions;
  readonly #waiting = new Map<string, (ok: boolean) => void>();
  #listening = false;

  constructor(options: HandoverOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    if (!this.#listening) {
      this.#listening = true;
      this.#o.sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#receive(message));
    }
    await this.#o.sub.subscribe(this.#o.keys.inbox(this.#o.nodeId));
  }

  stop(): void {
    for (const settle of this.#waiting.values()) settle(false);
    this.#waiting.clear();
  }

  /** Asks `owner` to give the session to this node: whether it did, refused, or did not answer in time. */
  ask(owner: string, channel: string, hub: string, connectionId: string): Promise<HandoverAnswer> {
    const id = randomBytes(8).toString('hex');
    const request: HandoverRequest = { t: 'handover', id, from: this.#o.nodeId, ch: channel, hub, cid: connectionId };
    return new Promise<HandoverAnswer>((resolve) => {
      const timer = setTimeout(() => settle('silent'), this.#o.timeoutMs);
      const settle = (answer: HandoverAnswer): void => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(answer);
      };
      this.#waiting.set(id, (ok) => settle(ok ? 'released' : 'refused'));
      this.#o.pub.publish(this.#o.keys.inbox(owner), JSON.stringify(request)).catch(() => settle('silent'));
    });
  }

  #receive(raw: Buffer): void {
    if (raw.length > MAX_MESSAGE_BYTES) return;
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof m !== 'object' || m === null || typeof m.id !== 'string') return;
    if (m.t === 'released') {
      this.#waiting.get(m.id)?.(m.ok === true);
      return;
    }
    if (m.t !== 'handover' || typeof m.from !== 'string' || typeof m.ch !== 'string' || typeof m.hub !== 'string' || typeof m.cid !== 'string') return;
    const id = m.id;
    const from = m.from;
    this.#o.release(m.ch, m.hub, m.cid, from).then((ok) => ok, (err: unknown) => {
      this.#o.log.warn({ err }, 'reliable session handover failed');
      return false;
    }).then((ok) => {
      const reply: HandoverReply = { t: 'released', id, ok };
      return this.#o.pub.publish(this.#o.keys.inbox(from), JSON.stringify(reply));
    }).catch(() => {});
  }
}
