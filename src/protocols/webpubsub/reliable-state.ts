/**
 * What a reliable (`json.reliable.webpubsub.azure.v1`) session keeps beyond a plain JSON one: its
 * reconnection token, its sequence ids and unacknowledged frames, and — in a cluster — the mirror
 * that copies them to a shared session store so another node can rebuild the session.
 *
 * Sequence ids handed to the client must never repeat, even when a node dies between sending a
 * frame and recording it: the mirror reserves ids ahead in the shared store, and a frame whose id
 * is beyond the confirmed reservation waits (buffered, not sent) until the reservation is
 * confirmed. A rebuilt session continues after the reservation, so its ids are always new.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Outbound } from '../../transports/index.ts';
import { ReliableBuffer } from './reliable-buffer.ts';
import type { BufferedFrame, SequencedFrameBuilder } from './reliable-buffer.ts';

/** The shared-store side of one reliable session (implemented by the data plane's session store). */
export interface ReliableMirror {
  /** Ids up to this one may be sent; the mirror calls `released` when it grows. */
  readonly sendableThrough: number;
  frame(sequenceId: number, message: Outbound): void;
  ack(sequenceId: number): void;
  /** The logical connection ended: the shared record goes. */
  ended(): void;
  /** The session moved to another node: stop mirroring, keep the shared record. */
  retired(): void;
}

/** A reliable session as rebuilt from the shared store. */
export interface RestoredReliable {
  /** SHA-256 (base64url) of the reconnection token: stores keep only this. */
  tokenHash: string;
  /** The id to continue after (the reservation of the node that held the session). */
  lastSequenceId: number;
  frames: BufferedFrame[];
}

/** How a reconnection token is kept away from where it was issued. */
export function hashReconnectionToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export class ReliableState {
  /** Known only on the node that issued it (sent once, in `connected`). */
  readonly token: string | undefined;
  readonly tokenHash: string;
  readonly buffer: ReliableBuffer;
  readonly #frame: SequencedFrameBuilder;
  #mirror: ReliableMirror | undefined;

  /** `frame` builds a socket's frame from a message's shared body and a sequence id (the codec's). */
  constructor(frame: SequencedFrameBuilder, restored?: RestoredReliable) {
    this.buffer = new ReliableBuffer(frame);
    this.#frame = frame;
    if (restored) {
      this.tokenHash = restored.tokenHash;
      this.buffer.restore(restored.lastSequenceId, restored.frames);
    } else {
      this.token = randomBytes(24).toString('base64url');
      this.tokenHash = hashReconnectionToken(this.token);
    }
  }

  get mirror(): ReliableMirror | undefined {
    return this.#mirror;
  }

  set mirror(m: ReliableMirror | undefined) {
    this.#mirror = m;
  }

  /** Timing-safe check of a recovery handshake's token. */
  tokenMatches(token: string): boolean {
    const a = Buffer.from(hashReconnectionToken(token));
    const b = Buffer.from(this.tokenHash);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * Buffers (and mirrors) frame `sequenceId` of a message whose part shared by every socket is
   * `body` (what the buffer keeps). Returns whether it may go out now, or 'full' when the buffer
   * is over its limits.
   */
  record(sequenceId: number, body: Buffer): boolean | 'full' {
    if (!this.buffer.push(sequenceId, body)) return 'full';
    const m = this.#mirror;
    if (!m) return true;
    m.frame(sequenceId, this.#frame(body, sequenceId));
    return sequenceId <= m.sendableThrough;
  }

  /** Releases every frame up to `sequenceId`; false (nothing released) when that id was never handed out. */
  ack(sequenceId: number): boolean {
    if (sequenceId > this.buffer.lastSequenceId) return false;
    this.buffer.ack(sequenceId);
    this.#mirror?.ack(sequenceId);
    return true;
  }

  /** The unacknowledged frames that may be sent, in order (a resume replays them). */
  *sendable(after = 0): Iterable<Outbound> {
    const limit = this.#mirror?.sendableThrough ?? Infinity;
    for (const f of this.buffer.entries()) {
      if (f.sequenceId <= after) continue;
      if (f.sequenceId > limit) return;
      yield f.message;
    }
  }
}
