/**
 * Unacknowledged data frames of one reliable connection, kept for replay on recovery.
 * `sequenceAck n` releases every frame with id ≤ n. Limits as the service: 1000 frames or 16 MiB.
 */
import { Outbound } from '../../transports/index.ts';

export const MAX_UNACKED_MESSAGES = 1000;
export const MAX_UNACKED_BYTES = 16 * 1024 * 1024;

export interface BufferedFrame {
  sequenceId: number;
  message: Outbound;
}

/**
 * Ids and frames are kept in two parallel arrays (no object per frame): a fan-out records one
 * frame per reliable socket and message, and the frames live until the client's next ack. The
 * live frames are `[#head, #end)`; the arrays are reused from the start once everything is
 * acknowledged (the usual case), so a steady ack cycle allocates nothing.
 */
export class ReliableBuffer {
  #ids: number[] = [];
  #messages: Outbound[] = [];
  #head = 0;
  #end = 0;
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
    const end = this.#end++;
    if (end < this.#ids.length) {
      this.#ids[end] = sequenceId;
      this.#messages[end] = message;
    } else {
      this.#ids.push(sequenceId);
      this.#messages.push(message);
    }
    this.#bytes += message.length;
    return this.size <= MAX_UNACKED_MESSAGES && this.#bytes <= MAX_UNACKED_BYTES;
  }

  ack(sequenceId: number): void {
    const ids = this.#ids;
    const messages = this.#messages;
    const end = this.#end;
    let head = this.#head;
    while (head < end && ids[head]! <= sequenceId) {
      this.#bytes -= messages[head]!.length;
      messages[head] = RELEASED; // the frame may be collected now
      head++;
    }
    if (head === end) {
      // Everything acknowledged: the next frames reuse the arrays from the start.
      this.#head = 0;
      this.#end = 0;
      return;
    }
    if (head > 256 && head * 2 > end) {
      // Compact lazily so acks stay O(1) amortised.
      ids.copyWithin(0, head, end);
      messages.copyWithin(0, head, end);
      messages.fill(RELEASED, end - head, end);
      this.#end = end - head;
      head = 0;
    }
    this.#head = head;
  }

  get size(): number {
    return this.#end - this.#head;
  }

  *pending(): Iterable<Outbound> {
    for (let i = this.#head; i < this.#end; i++) yield this.#messages[i]!;
  }

  /** The unacknowledged frames with their ids, oldest first. */
  *entries(): Iterable<BufferedFrame> {
    for (let i = this.#head; i < this.#end; i++) yield { sequenceId: this.#ids[i]!, message: this.#messages[i]! };
  }
}

/** Stands in for an acknowledged frame until the arrays are compacted. */
const RELEASED = Outbound.of(Buffer.alloc(0));
