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

/** Builds a socket's frame from a data message's shared body and the socket's sequence id (the codec's). */
export type SequencedFrameBuilder = (body: Buffer, sequenceId: number) => Outbound;

/**
 * What the buffer holds for a frame: the data message's body that every socket shares (its frame
 * is rebuilt around it when it is replayed), or a whole frame (restored from a session store).
 * Holding the shared body, not the frame, means a fan-out leaves nothing of its own per socket
 * behind: the per-socket frame is garbage as soon as it is written, while frames kept until the
 * next ack would survive young-generation collections and be promoted and swept.
 */
type Held = Buffer | Outbound;

/**
 * Ids and what is held are kept in two parallel arrays (no object per frame). The live frames are
 * `[#head, #end)`; the arrays are reused from the start once everything is acknowledged (the usual
 * case), so a steady ack cycle allocates nothing.
 */
export class ReliableBuffer {
  readonly #frame: SequencedFrameBuilder;
  #ids: number[] = [];
  #held: Held[] = [];
  #head = 0;
  #end = 0;
  /** Bytes of the held bodies and frames (a frame's own few sequence-id bytes are not counted). */
  #bytes = 0;
  #lastSequenceId = 0;

  constructor(frame: SequencedFrameBuilder) {
    this.#frame = frame;
  }

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

  /**
   * Holds frame `sequenceId`: a shared body (its frame is rebuilt with the builder) or a whole frame.
   * Returns false when the buffer is over its limits (the connection must then be dropped).
   */
  push(sequenceId: number, held: Held): boolean {
    const end = this.#end++;
    if (end < this.#ids.length) {
      this.#ids[end] = sequenceId;
      this.#held[end] = held;
    } else {
      this.#ids.push(sequenceId);
      this.#held.push(held);
    }
    this.#bytes += held.length;
    return this.size <= MAX_UNACKED_MESSAGES && this.#bytes <= MAX_UNACKED_BYTES;
  }

  ack(sequenceId: number): void {
    const ids = this.#ids;
    const held = this.#held;
    const end = this.#end;
    let head = this.#head;
    while (head < end && ids[head]! <= sequenceId) {
      this.#bytes -= held[head]!.length;
      held[head] = RELEASED; // no reference kept to what was acknowledged
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
      held.copyWithin(0, head, end);
      held.fill(RELEASED, end - head, end);
      this.#end = end - head;
      head = 0;
    }
    this.#head = head;
  }

  get size(): number {
    return this.#end - this.#head;
  }

  *pending(): Iterable<Outbound> {
    for (const f of this.entries()) yield f.message;
  }

  /** The unacknowledged frames with their ids, oldest first (frames of shared bodies rebuilt). */
  *entries(): Iterable<BufferedFrame> {
    for (let i = this.#head; i < this.#end; i++) {
      const sequenceId = this.#ids[i]!;
      const h = this.#held[i]!;
      yield { sequenceId, message: h instanceof Outbound ? h : this.#frame(h, sequenceId) };
    }
  }
}

/** Stands in for an acknowledged frame until its slot is reused. */
const RELEASED: Held = Buffer.alloc(0);
