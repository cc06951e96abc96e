/**
 * Sending one protocol-shaped request to a resolved handler, the same for every protocol: the
 * bearer token added, one deadline for the event with Azure's retries inside it (408, 5xx and
 * transient network errors; reference §5.8), and a bounded set of fire-and-forget deliveries.
 *
 * This is the seam between a protocol and the transport: Web PubSub builds CloudEvents requests
 * (cloudevents.ts), a SignalR serverless upstream would build `X-ASRS-*` ones, and both hand them
 * to `Delivery.send` with a target from `TargetResolver`.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { HandlerUnavailable, HttpCallError } from './errors.ts';
import { LogThrottle } from './failure-log.ts';
import type { HttpResult, UpstreamHttpClient } from './http.ts';
import type { CallRecorder } from '../trace/index.ts';

/** What a protocol's request builder produces: everything except where it goes and how it is authorised. */
export interface UpstreamRequest {
  /** The protocol's headers (including Content-Type); never `Authorization`, which delivery adds. */
  headers: Record<string, string>;
  body: Buffer;
  /** Blocking events read the response; non-blocking ones drop its body. */
  blocking: boolean;
}

export interface DeliveryTarget {
  url: URL;
  authorization: string | undefined;
}

export interface DeliveryOptions {
  http: UpstreamHttpClient;
  requestTimeoutMs: number;
  retryDelaysMs: readonly number[];
  maxResponseBytes: number;
  allowPrivateTargets(): boolean;
  isClosed(): boolean;
  /** Told how each delivery ended (retries included) and how long it took: metrics. */
  observe?: DeliveryObserver | undefined;
}

/** A delivery's outcome: the handler's HTTP status, or why there was none. */
export type DeliveryResult = number | HttpCallError['kind'] | 'unavailable';
export type DeliveryObserver = (result: DeliveryResult, seconds: number) => void;

export class Delivery {
  readonly #o: DeliveryOptions;

  constructor(o: DeliveryOptions) {
    this.#o = o;
  }

  /**
   * The handler's answer (any status), or throws HttpCallError / HandlerUnavailable. A recorder
   * (the resource's upstream inspector) is told about every attempt and the end.
   */
  async send(target: DeliveryTarget, request: UpstreamRequest, recorder?: CallRecorder): Promise<HttpResult> {
    if (recorder) return this.#recorded(target, request, recorder);
    const observe = this.#o.observe;
    if (!observe) return this.#send(target, request);
    const started = performance.now();
    try {
      const result = await this.#send(target, request);
      observe(result.status, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      observe(err instanceof HttpCallError ? err.kind : 'unavailable', (performance.now() - started) / 1000);
      throw err;
    }
  }

  async #recorded(target: DeliveryTarget, request: UpstreamRequest, recorder: CallRecorder): Promise<HttpResult> {
    const observe = this.#o.observe;
    const started = performance.now();
    try {
      const result = await this.#send(target, request, recorder);
      observe?.(result.status, (performance.now() - started) / 1000);
      recorder.done();
      return result;
    } catch (err) {
      observe?.(err instanceof HttpCallError ? err.kind : 'unavailable', (performance.now() - started) / 1000);
      recorder.done(err instanceof HttpCallError ? undefined : { error: 'unavailable', message: err instanceof Error ? err.message : 'the handler is not available' });
      throw err;
    }
  }

  async #send(target: DeliveryTarget, request: UpstreamRequest, recorder?: CallRecorder): Promise<HttpResult> {
    if (this.#o.isClosed()) throw new HandlerUnavailable('UpstreamShuttingDown', 'the service is shutting down');
    const headers = target.authorization ? { ...request.headers, Authorization: target.authorization } : request.headers;
    const deadline = Date.now() + this.#o.requestTimeoutMs;
    const delays = this.#o.retryDelaysMs;
    const allowPrivate = this.#o.allowPrivateTargets();
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - Date.now();
      let retryable: boolean;
      let outcome: HttpResult | HttpCallError;
      const began = recorder ? performance.now() : 0;
      try {
        outcome = await this.#o.http.call({
          method: 'POST', url: target.url, headers, body: request.body, timeoutMs: Math.max(1, remaining),
          maxResponseBytes: this.#o.maxResponseBytes, discardBody: !request.blocking, allowPrivate,
        });
        retryable = outcome.status === 408 || outcome.status >= 500;
      } catch (err) {
        if (!(err instanceof HttpCallError)) throw err;
        outcome = err;
        retryable = err.transient;
      }
      if (recorder) {
        const durationMs = performance.now() - began;
        recorder.attempt(outcome instanceof HttpCallError
          ? { error: outcome.kind, message: outcome.message, durationMs }
          : { status: outcome.status, headers: outcome.headers, body: outcome.body, durationMs });
      }
      const delay = delays[attempt];
      if (!retryable || delay === undefined || Date.now() + delay >= deadline || this.#o.isClosed()) {
        if (outcome instanceof HttpCallError) throw outcome;
        return outcome;
      }
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }
}

/**
 * Fire-and-forget deliveries (connected/disconnected) with a cap: past it a new one is dropped,
 * counted, and logged (at most once a second, so a flood does not become a log flood).
 */
export class BackgroundQueue {
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #max: number;
  readonly #log: Logger;
  readonly #dropLog = new LogThrottle();
  /** Events dropped because the queue was full (for tests and metrics). */
  dropped = 0;

  constructor(max: number, log: Logger) {
    this.#max = max;
    this.#log = log;
  }

  get size(): number {
    return this.#inflight.size;
  }

  /** Runs `task` unless the queue is full, in which case `onDrop` runs instead. */
  run(task: () => Promise<void>, what: Record<string, unknown>, onDrop?: () => void): void {
    if (this.#inflight.size >= this.#max) {
      this.dropped++;
      const dropped = this.#dropLog.hit();
      if (dropped !== undefined) {
        this.#log.warn({ ...what, code: 'NonBlockingEventDropped', dropped, limit: this.#max }, 'too many pending connected/disconnected events: dropped');
      }
      onDrop?.();
      return;
    }
    const p = task().catch((err: unknown) => this.#log.error({ err }, 'upstream background task failed'));
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /** Waits (at most `ms`) for pending deliveries to finish. */
  async drain(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.#inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}
