/**
 * Abuse protection (reference §5.2): before the first event an event handler URL is validated with
 * `OPTIONS` (then `GET` when OPTIONS is 404), and must answer 2xx with a `WebHook-Allowed-Origin`
 * of `*` or this service's host. The first validation blocks delivery; afterwards the last result
 * is used while re-validation runs in the background (every minute after success; after failure,
 * back-off from 1 s doubling to 1 min).
 */
import { LRUCache } from 'lru-cache';
import type { HttpResult, UpstreamHttpClient } from './http.ts';
import { HttpCallError } from './errors.ts';
import type { UpstreamErrorCode } from './errors.ts';

export type ValidationStatus = 'Pending' | 'Validated' | 'Failed';

export interface ValidationState {
  status: ValidationStatus;
  reason?: string | undefined;
  /** Why it failed: the request's own error code (e.g. UpstreamTargetRefused), else AbuseProtectionFailed. */
  code?: UpstreamErrorCode | undefined;
  checkedAt?: number | undefined;
}

interface Entry extends ValidationState {
  failures: number;
  pending?: Promise<void> | undefined;
  /** A re-validation found the origin's queue full (our own load, no verdict): try again then. */
  deferredUntil?: number | undefined;
}

export interface ValidatorOptions {
  http: UpstreamHttpClient;
  /** The service's public hostname (sent as WebHook-Request-Origin) and host:port. */
  origin(): { hostname: string; host: string };
  timeoutMs?: number;
  revalidateAfterMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
}

const MAX_ENTRIES = 2000;

export class WebhookValidator {
  readonly #o: ValidatorOptions;
  /** Per resolved validation URL; the least recently used is forgotten past MAX_ENTRIES. */
  readonly #entries = new LRUCache<string, Entry>({ max: MAX_ENTRIES });

  constructor(o: ValidatorOptions) {
    this.#o = o;
  }

  /**
   * The validation state to act on for `key` (a digest of the resolved validation URL). `request`
   * performs one validation attempt's HTTP call with the given method.
   */
  async check(key: string, attempt: (method: 'OPTIONS' | 'GET', headers: Record<string, string>) => Promise<HttpResult>): Promise<ValidationState> {
    const now = Date.now();
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { status: 'Pending', failures: 0 };
      this.#entries.set(key, entry);
    }
    if (!entry.pending && now >= this.#dueAt(entry)) {
      const e = entry;
      e.pending = this.#validate(e, attempt).finally(() => { e.pending = undefined; });
    }
    if (entry.status === 'Pending' && entry.pending) await entry.pending;
    return { status: entry.status, reason: entry.reason, code: entry.code, checkedAt: entry.checkedAt };
  }

  peek(key: string): ValidationState | undefined {
    const e = this.#entries.get(key);
    return e ? { status: e.status, reason: e.reason, code: e.code, checkedAt: e.checkedAt } : undefined;
  }

  #dueAt(e: Entry): number {
    if (e.checkedAt === undefined) return 0;
    if (e.deferredUntil !== undefined) return e.deferredUntil;
    if (e.status === 'Validated') return e.checkedAt + (this.#o.revalidateAfterMs ?? 60_000);
    const min = this.#o.retryMinMs ?? 1000;
    const backoff = Math.min(this.#o.retryMaxMs ?? 60_000, min * 2 ** Math.min(e.failures - 1, 16));
    return e.checkedAt + backoff;
  }

  async #validate(e: Entry, attempt: (method: 'OPTIONS' | 'GET', headers: Record<string, string>) => Promise<HttpResult>): Promise<void> {
    const origin = this.#o.origin();
    const headers = { 'WebHook-Request-Origin': origin.hostname, 'ce-awpsversion': '1.0' };
    let reason: string | undefined;
    let code: UpstreamErrorCode = 'AbuseProtectionFailed';
    try {
      let res = await attempt('OPTIONS', headers);
      let method = 'OPTIONS';
      if (res.status === 404) {
        res = await attempt('GET', headers);
        method = 'GET';
      }
      reason = judge(res, method, origin);
    } catch (err) {
      if (err instanceof HttpCallError && err.kind === 'queue-full' && e.status === 'Validated') {
        // Our own requests fill the origin's queue: that says nothing about the handler, which
        // stays validated; the re-validation is tried again shortly.
        e.deferredUntil = Date.now() + (this.#o.retryMinMs ?? 1000);
        return;
      }
      reason = `the validation request failed: ${err instanceof HttpCallError ? err.message : 'unexpected error'}`;
      if (err instanceof HttpCallError) code = err.code;
    }
    e.deferredUntil = undefined;
    e.checkedAt = Date.now();
    if (reason === undefined) {
      e.status = 'Validated';
      e.reason = undefined;
      e.code = undefined;
      e.failures = 0;
    } else {
      e.status = 'Failed';
      e.reason = `abuse-protection validation failed: ${reason}`;
      e.code = code;
      e.failures++;
    }
  }
}

function judge(res: HttpResult, method: string, origin: { hostname: string; host: string }): string | undefined {
  if (res.status >= 300 && res.status < 400) return `${method} answered ${res.status} (redirects are not followed)`;
  if (res.status < 200 || res.status >= 300) return `${method} answered ${res.status}`;
  const raw = res.headers['webhook-allowed-origin'];
  const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter(Boolean);
  if (values.length === 0) return `${method} answered ${res.status} without a WebHook-Allowed-Origin header`;
  const accepted = ['*', origin.hostname.toLowerCase(), origin.host.toLowerCase()];
  if (!values.some((v) => accepted.includes(v))) {
    return `WebHook-Allowed-Origin '${values.join(', ').slice(0, 200)}' does not allow '${origin.hostname}'`;
  }
  return undefined;
}
