/**
 * Unacknowledged data frames of one reliable connection, kept for replay on recovery.
 * `sequenceAck n` releases every frame with id ≤ n. Limits as the service: 1000 frames or 16 MiB.
 */
import type { Outbound } from '../../transports/index.ts';

export const MAX_UNACKED_MESSAGES = 1000;
export const MAX_UNACKED_BYTES = 16 * 1024 * 1024;

export interface BufferedFrame {
  sequenceId: number;
  message: Outbound;
}

export class ReliableBuffer {
  #entries: BufferedFrame[] = [];
  #head = 0;
  #bytes = 0;
  #lastSequenceId = 0;

  /** The last id handed out (0 before the first). */
  get lastSequenceId(): number {
    return this.#lastSequenceId;
  }

  /**
   * A session rebuilt on another node continues after `lastSequenceId` (which may leave a gap:
   * the client ignores gaps, never a repeated id) with the frames it had not acknowledged.
   */
  restore(lastSequenceId: number, frames: readonly BufferedFrame[]): void {
    for (const f of frames) this.push(f.sequenceId, f.message);
    this.#lastSequenceId = Math.max(lastSequenceId, ...frames.map((f) => f.sequenceId));
  }

  /** Next sequence id: starts at 1 and increases strictly for the lifetime of the logical connection. */
  nextSequenceId(): number {
    return ++this.#lastSequenceId;
  }

  /** Returns false when the buffer is over its limits (the connection must then be dropped). */
  push(sequenceId: number, message: Outbound): boolean {
    this.#entries.push({ sequenceId, message });
    this.#bytes += message.length;
    return this.size <= MAX_UNACKED_MESSAGES && this.#bytes <= MAX_UNACKED_BYTES;
  }

  ack(sequenceId: number): void {
    const e = this.#entries;
    while (this.#head < e.length && e[this.#head]!.sequenceId <= sequenceId) {
      this.#bytes -= e[this.#head]!.message.length;
      this.#head++;
    }
    // Compact lazily so acks stay O(1) amortised.
    if (this.#head > 256 && this.#head * 2 > e.length) {
      this.#entries = e.slice(this.#head);
      this.#head = 0;
    }
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  *pending(): Iterable<Outbound> {
    for (let i = this.#head; i < this.#entries.length; i++) yield this.#entries[i]!.message;
  }

  /** The unacknowledged frames with their ids, oldest first. */
  *entries(): Iterable<BufferedFrame> {
    for (let i = this.#head; i < this.#entries.length; i++) yield this.#entries[i]!;
  }
}
