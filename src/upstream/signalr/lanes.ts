/**
 * One ordered lane of upstream requests per client connection: `connected` reaches the upstream
 * before the connection's first message, messages in the order the client sent them (as an
 * ASP.NET Core hub runs one client's invocations one at a time), `disconnected` last. A slow
 * upstream therefore holds back only that connection's later requests, and at most `max` of them:
 * past that a request is refused at once rather than queued without bound.
 */
interface Lane {
  tail: Promise<void>;
  pending: number;
  closed: boolean;
}

export class ConnectionLanes {
  readonly #lanes = new Map<string, Lane>();
  readonly #max: number;

  constructor(maxPendingPerConnection: number) {
    this.#max = maxPendingPerConnection;
  }

  /** Connections with a lane (for tests: returns to 0 once every connection is gone and drained). */
  get size(): number {
    return this.#lanes.size;
  }

  /**
   * Queues `task` behind the connection's earlier ones; resolves when it has run. Undefined when
   * the lane is full (`final` tasks — the disconnected event — are always queued).
   */
  run(connectionId: string, task: () => Promise<void>, final = false): Promise<void> | undefined {
    let lane = this.#lanes.get(connectionId);
    if (lane === undefined) {
      lane = { tail: Promise.resolve(), pending: 0, closed: false };
      this.#lanes.set(connectionId, lane);
    }
    if (!final && lane.pending >= this.#max) return undefined;
    if (final) lane.closed = true;
    lane.pending++;
    const l = lane;
    const done = l.tail.then(task).catch(() => undefined).finally(() => {
      l.pending--;
      if (l.pending === 0 && l.closed && this.#lanes.get(connectionId) === l) this.#lanes.delete(connectionId);
    });
    l.tail = done;
    return done;
  }

  /** The connection is gone and sends nothing more: its lane goes once its queued requests are done. */
  close(connectionId: string): void {
    const lane = this.#lanes.get(connectionId);
    if (lane === undefined) return;
    lane.closed = true;
    if (lane.pending === 0) this.#lanes.delete(connectionId);
  }
}
