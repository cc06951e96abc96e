/**
 * One flush per event-loop turn for every transport with queued bytes: messages queued during a
 * turn (a burst of REST broadcasts, a fan-out loop) leave in one corked write per peer.
 */
export interface Flushable {
  flush(): void;
}

const dirty = new Set<Flushable>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const batch = [...dirty];
  dirty.clear();
  for (const f of batch) f.flush();
}

export function scheduleFlush(f: Flushable): void {
  dirty.add(f);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

export function cancelFlush(f: Flushable): void {
  dirty.delete(f);
}

/** A stream's pieces queued during a turn, written in one corked burst; it knows when a peer lags. */
export class WriteQueue {
  #pieces: Buffer[] = [];
  #bytes = 0;

  get bytes(): number {
    return this.#bytes;
  }

  /** Nothing queued: the next push is the first of this turn (the owner schedules its flush then). */
  get empty(): boolean {
    return this.#pieces.length === 0;
  }

  /**
   * False once the peer counts as not reading: a backlog in the stream's own buffer means the
   * kernel stopped taking bytes; this queue is capped too, so one burst cannot grow without bound.
   */
  fits(stream: { writableLength: number }, max: number): boolean {
    return (stream.writableLength ?? 0) <= max && this.#bytes <= 4 * max;
  }

  push(pieces: readonly Buffer[]): void {
    for (const p of pieces) {
      this.#pieces.push(p);
      this.#bytes += p.length;
    }
  }

  clear(): void {
    this.#pieces = [];
    this.#bytes = 0;
  }

  /**
   * Writes everything queued (nothing when `writable` is false: the pieces are dropped). A raw
   * socket takes the pieces corked (one writev); `coalesce` joins them into one buffer first, for
   * streams where corking does not batch (a chunked HTTP response writes each piece on its own).
   */
  writeTo(stream: { cork(): void; uncork(): void; write(b: Buffer): boolean }, writable: boolean, coalesce = false): void {
    const pieces = this.#pieces;
    const bytes = this.#bytes;
    if (pieces.length === 0) return;
    this.clear();
    if (!writable) return;
    if (coalesce) {
      stream.write(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, bytes));
      return;
    }
    stream.cork();
    for (const b of pieces) stream.write(b);
    stream.uncork();
  }
}
