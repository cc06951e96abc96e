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
