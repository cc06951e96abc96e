/**
 * The subscriber connection's channels. Kept here rather than left to ioredis's own
 * resubscription because subscriptions attempted while disconnected must be made on reconnect
 * too. Sharded pub/sub (SSUBSCRIBE) or plain (SUBSCRIBE) is chosen once at connect time.
 */
import type { Redis } from 'ioredis';

export class Subscriptions {
  readonly #client: Redis;
  readonly #channels = new Set<string>();
  readonly #onError: (err: unknown) => void;
  #sharded = false;

  constructor(client: Redis, onError: (err: unknown) => void) {
    this.#client = client;
    this.#onError = onError;
  }

  get sharded(): boolean {
    return this.#sharded;
  }

  start(sharded: boolean, onMessage: (message: Buffer) => void): void {
    this.#sharded = sharded;
    this.#client.on(sharded ? 'smessageBuffer' : 'messageBuffer', (_channel: Buffer, message: Buffer) => onMessage(message));
  }

  /** Errors are reported to `onError`, or thrown when `strict` (at connect time). */
  async add(channel: string, strict = false): Promise<void> {
    this.#channels.add(channel);
    if (this.#client.status !== 'ready') return; // made by restore() once connected
    try {
      await (this.#sharded ? this.#client.ssubscribe(channel) : this.#client.subscribe(channel));
    } catch (err) {
      if (strict) throw err;
      this.#onError(err);
    }
  }

  async remove(channel: string): Promise<void> {
    if (!this.#channels.delete(channel) || this.#client.status !== 'ready') return;
    try {
      await (this.#sharded ? this.#client.sunsubscribe(channel) : this.#client.unsubscribe(channel));
    } catch (err) {
      this.#onError(err);
    }
  }

  /** After a reconnect: every channel again (messages sent in the gap are lost: pub/sub keeps nothing). */
  async restore(): Promise<void> {
    if (this.#channels.size === 0) return;
    try {
      const channels = [...this.#channels];
      await (this.#sharded ? this.#client.ssubscribe(...channels) : this.#client.subscribe(...channels));
    } catch (err) {
      this.#onError(err);
    }
  }
}
