/**
 * The in-process trace bus: one channel per resource, which the data planes publish small
 * structured events to. Publishing costs one property read when nobody watches: publishers test
 * `trace.on` before building an event (the hot paths are benchmarked). Each viewer has a bounded
 * queue; a viewer that does not keep up is dropped, never the server.
 */
import type { TraceEvent, TraceInput } from './types.ts';
import { MAX_CAPTURED_CALLS, UpstreamInspector } from './inspector.ts';

/** Events a viewer may have waiting before it is dropped. */
export const DEFAULT_MAX_QUEUED = 2000;
/** Viewers one resource may have at once (each holds a stream open). */
export const MAX_SUBSCRIBERS_PER_RESOURCE = 32;

export interface SubscribeOptions {
  maxQueued?: number | undefined;
  /** Events the viewer is not interested in are never queued. */
  filter?: ((e: TraceEvent) => boolean) | undefined;
}

export class TraceBus {
  readonly node: string;
  readonly #channels = new Map<string, ResourceTrace>();
  #seq = 0;

  constructor(node = 'node') {
    this.node = node;
  }

  /** The channel of a resource (created on first use), keyed by ARM id, case-insensitively. */
  resource(resourceId: string, name: string): ResourceTrace {
    const key = resourceId.toLowerCase();
    let c = this.#channels.get(key);
    if (!c) this.#channels.set(key, (c = new ResourceTrace(this, resourceId, name)));
    return c;
  }

  /** The channel of a running resource, or undefined. */
  find(resourceId: string): ResourceTrace | undefined {
    return this.#channels.get(resourceId.toLowerCase());
  }

  /** A resource stopped (deleted, node stopping): its viewers are ended. */
  remove(resourceId: string): void {
    const key = resourceId.toLowerCase();
    this.#channels.get(key)?.close();
    this.#channels.delete(key);
  }

  /** @internal the next event id */
  nextId(): number {
    return ++this.#seq;
  }
}

export class ResourceTrace {
  readonly resourceId: string;
  readonly name: string;
  readonly inspector: UpstreamInspector;
  readonly #bus: TraceBus;
  readonly #subscribers = new Set<TraceSubscription>();
  /** Kept in a field (not computed) so the hot-path test is one read. */
  on = false;

  constructor(bus: TraceBus, resourceId: string, name: string) {
    this.#bus = bus;
    this.resourceId = resourceId;
    this.name = name;
    this.inspector = new UpstreamInspector((e) => this.emit(e), MAX_CAPTURED_CALLS, () => this.on);
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Publishes to every viewer. Callers test `on` first so that nothing is built for nobody. */
  emit(input: TraceInput): void {
    if (!this.on) return;
    const event: TraceEvent = { ...input, id: this.#bus.nextId(), time: new Date().toISOString(), resource: this.name, node: this.#bus.node };
    for (const s of this.#subscribers) s.push(event);
  }

  /** Undefined when the resource already has as many viewers as it may. */
  subscribe(options: SubscribeOptions = {}): TraceSubscription | undefined {
    if (this.#subscribers.size >= MAX_SUBSCRIBERS_PER_RESOURCE) return undefined;
    const s = new TraceSubscription(options, () => {
      this.#subscribers.delete(s);
      this.on = this.#subscribers.size > 0;
    });
    this.#subscribers.add(s);
    this.on = true;
    return s;
  }

  close(): void {
    for (const s of [...this.#subscribers]) s.close('The resource stopped on this node.');
  }
}

/**
 * One viewer's queue. Events are pushed synchronously by publishers and taken in batches by the
 * viewer's writer, woken at most once per event-loop turn.
 */
export class TraceSubscription {
  readonly #max: number;
  readonly #filter: ((e: TraceEvent) => boolean) | undefined;
  readonly #unsubscribe: () => void;
  #queue: TraceEvent[] = [];
  #wake: (() => void) | undefined;
  #scheduled = false;
  /** Set when the subscription ended; `dropped` when it ended because the viewer fell behind. */
  closed: { reason: string; dropped: boolean } | undefined;

  constructor(o: SubscribeOptions, unsubscribe: () => void) {
    this.#max = o.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.#filter = o.filter;
    this.#unsubscribe = unsubscribe;
  }

  get queued(): number {
    return this.#queue.length;
  }

  push(e: TraceEvent): void {
    if (this.closed) return;
    if (this.#filter && !this.#filter(e)) return;
    if (this.#queue.length >= this.#max) {
      this.#end(`The viewer did not keep up: more than ${this.#max} events were waiting.`, true);
      return;
    }
    this.#queue.push(e);
    this.#schedule();
  }

  /** The events queued since the last call. */
  take(): TraceEvent[] {
    const out = this.#queue;
    this.#queue = [];
    return out;
  }

  /** `fn` runs (on a later turn) when events arrive or the subscription ends. */
  onWake(fn: () => void): void {
    this.#wake = fn;
    if (this.#queue.length > 0 || this.closed) this.#schedule();
  }

  close(reason = 'closed'): void {
    this.#end(reason, false);
  }

  #end(reason: string, dropped: boolean): void {
    if (this.closed) return;
    this.closed = { reason, dropped };
    this.#queue = [];
    this.#unsubscribe();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || !this.#wake) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#wake?.();
    });
  }
}
