/**
 * The upstream inspector of one resource: the last event-handler calls (request and response
 * headers and bodies, redacted and cut; the decoded managed-identity token; the signature
 * described; each retry; the preflight status), kept in memory and bounded, and replay of a
 * captured event. Captures are per node: a call is kept by the node that made it.
 *
 * Every upstream call is captured whether or not anyone looks, so capturing keeps references to
 * what the call already holds (headers, bodies, URL, token) and the work of showing them —
 * redaction, body previews, token decoding — is done when the inspector is read (list, get),
 * through the same functions (redact.ts), so what is shown, and what is never shown, is the same.
 * Raw references are private to this file: nothing but a redacted CapturedCall leaves it.
 */
import { randomBytes } from 'node:crypto';
import { decodeBearer, MAX_BODY_PREVIEW_BYTES, previewBody, redactHeaders, redactUrl, type BodyPreview, type DecodedToken } from './redact.ts';
import type { AttemptOutcome, CallRecorder, PreflightOutcome, TraceInput, UpstreamCallStart, UpstreamCapture } from './types.ts';

/** Calls kept per resource (oldest dropped first). */
export const MAX_CAPTURED_CALLS = 100;
/** Attempts kept per call (Azure's policy makes at most 4). */
const MAX_ATTEMPTS = 10;
/** Requests larger than this are shown (cut) but not kept whole, so they cannot be replayed. */
export const MAX_REPLAY_BYTES = 64 * 1024;

export interface CapturedAttempt {
  status?: number | undefined;
  error?: string | undefined;
  message?: string | undefined;
  durationMs: number;
  headers?: Record<string, string> | undefined;
  body?: BodyPreview | undefined;
}

/** A captured call as the inspector API returns it (nothing secret in it). */
export interface CapturedCall {
  id: string;
  time: string;
  protocol: 'webpubsub' | 'signalr';
  hub: string;
  event: string;
  eventType: 'system' | 'user';
  connectionId?: string | undefined;
  userId?: string | undefined;
  handlerIndex: number;
  request: { method: 'POST'; url: string; urlTemplate: string; headers: Record<string, string>; body: BodyPreview };
  /** The managed-identity token the call carried, decoded, its signature removed. */
  token?: DecodedToken | undefined;
  /** How the request was signed (`ce-signature` / `X-ASRS-Signature`), never the HMACs. */
  signature?: string | undefined;
  preflight?: PreflightOutcome | undefined;
  attempts: CapturedAttempt[];
  /** `pending` while running; then the last attempt's status or the failure's kind. */
  outcome: 'pending' | number | string;
  failure?: string | undefined;
  durationMs?: number | undefined;
  replayable: boolean;
  replayOf?: string | undefined;
}

/**
 * A body as kept until it is shown: the buffer itself when it fits the preview (the call holds it
 * anyway), else a copy of the part a preview shows, so a large body is not kept alive.
 */
interface KeptBody {
  data: Buffer;
  bytes: number;
  contentType: string | undefined;
}

/** An attempt as kept: the raw outcome (its body cut as above). */
type KeptAttempt =
  | { status: number; headers: Record<string, string | string[] | undefined>; body: KeptBody; durationMs: number }
  | { error: string; message: string; durationMs: number };

/** A call as kept: references, turned into a CapturedCall (redacted) when read. */
interface Entry {
  id: string;
  startedAt: number;
  start: UpstreamCallStart;
  body: KeptBody;
  preflight: PreflightOutcome | undefined;
  attempts: KeptAttempt[];
  outcome: 'pending' | number | string;
  failure?: string | undefined;
  durationMs?: number | undefined;
  replayable: boolean;
  replay: (() => Promise<string | undefined>) | undefined;
  /** The CapturedCall once the call is over (it no longer changes), built on first read. */
  shown?: CapturedCall | undefined;
}

export class UnknownCallError extends Error {}
export class NotReplayableError extends Error {}

/** Random capture ids (12 base64url characters, as before) from a buffer refilled in bulk. */
class IdSource {
  #pool = Buffer.alloc(0);
  #at = 0;

  next(): string {
    if (this.#at + 9 > this.#pool.length) {
      this.#pool = randomBytes(9 * 256);
      this.#at = 0;
    }
    const id = this.#pool.toString('base64url', this.#at, this.#at + 9);
    this.#at += 9;
    return id;
  }
}

export class UpstreamInspector implements UpstreamCapture {
  readonly #emit: (e: TraceInput) => void;
  readonly #wanted: () => boolean;
  readonly #max: number;
  /** Oldest first; a Map keeps insertion order and finds by id. */
  readonly #calls = new Map<string, Entry>();
  readonly #ids = new IdSource();
  /** The last token decoded: one managed-identity token serves many calls. */
  #decoded: { authorization: string; token: DecodedToken | undefined } | undefined;

  /**
   * `emit` gets an `upstreamCall` trace event when a call ends, only while `wanted()` says someone
   * is watching (the live trace's `on`), so that nothing is built for nobody.
   */
  constructor(emit: (e: TraceInput) => void, max = MAX_CAPTURED_CALLS, wanted: () => boolean = () => true) {
    this.#emit = emit;
    this.#max = max;
    this.#wanted = wanted;
  }

  get size(): number {
    return this.#calls.size;
  }

  begin(start: UpstreamCallStart): CallRecorder {
    const id = this.#ids.next();
    const began = performance.now();
    const replayable = start.replay !== undefined && start.body.length <= MAX_REPLAY_BYTES;
    const entry: Entry = {
      id, startedAt: Date.now(), start, body: keep(start.body, headerValue(start.headers, 'content-type')),
      preflight: start.preflight,
      attempts: [], outcome: 'pending', replayable, replay: replayable ? start.replay : undefined,
    };
    // The request's body is kept (cut) in `entry.body`; the start's own reference is dropped unless
    // a replay needs the whole request (its closure holds it then).
    if (!replayable) entry.start = { ...start, body: EMPTY, replay: undefined };
    this.#calls.set(id, entry);
    while (this.#calls.size > this.#max) this.#calls.delete(this.#calls.keys().next().value!);
    let finished = false;
    return {
      id,
      attempt: (o: AttemptOutcome) => {
        if (entry.attempts.length >= MAX_ATTEMPTS) return;
        entry.attempts.push('status' in o
          ? { status: o.status, headers: o.headers, body: keep(o.body, headerValue(o.headers, 'content-type')), durationMs: o.durationMs }
          : o);
      },
      done: (failure) => {
        if (finished) return;
        finished = true;
        entry.durationMs = round(performance.now() - began);
        const last = entry.attempts[entry.attempts.length - 1];
        if (failure) {
          entry.outcome = failure.error;
          entry.failure = failure.message;
        } else if (last) {
          entry.outcome = 'status' in last ? last.status : last.error;
          if (!('status' in last)) entry.failure = last.message;
        } else {
          entry.outcome = 'unknown';
        }
        if (!this.#wanted()) return;
        const attempts = entry.attempts.length;
        this.#emit({
          category: 'upstream', event: 'upstreamCall', hub: start.hub, connectionId: start.connectionId, userId: start.userId,
          status: entry.outcome, reason: entry.failure, callId: id, durationMs: entry.durationMs,
          detail: `${start.event} → ${redactUrl(start.url.href)}${attempts > 1 ? ` (${attempts} attempts)` : ''}${start.replayOf ? ' (replay)' : ''}`,
        });
      },
    };
  }

  /** Newest first. */
  list(): CapturedCall[] {
    return [...this.#calls.values()].map((e) => this.#show(e)).reverse();
  }

  get(id: string): CapturedCall | undefined {
    const e = this.#calls.get(id);
    return e && this.#show(e);
  }

  clear(): void {
    this.#calls.clear();
  }

  /** Sends a captured event to its handler again; resolves to the new capture. */
  async replay(id: string): Promise<CapturedCall> {
    const entry = this.#calls.get(id);
    if (!entry) throw new UnknownCallError(id);
    if (!entry.replay) throw new NotReplayableError(id);
    const newId = await entry.replay();
    const again = newId === undefined ? undefined : this.get(newId);
    if (!again) throw new UnknownCallError(newId ?? id);
    return again;
  }

  /** The call as the API shows it: redacted, cut and decoded now, from what was kept. */
  #show(e: Entry): CapturedCall {
    if (e.shown) return e.shown;
    const start = e.start;
    const sig = Object.entries(start.headers).find(([k]) => /^(ce-signature|x-asrs-signature)$/i.test(k));
    const displayUrl = typeof start.displayUrl === 'function' ? start.displayUrl() : start.displayUrl;
    const call: CapturedCall = {
      id: e.id, time: new Date(e.startedAt).toISOString(), protocol: start.protocol, hub: start.hub, event: start.event, eventType: start.eventType,
      connectionId: start.connectionId, userId: start.userId, handlerIndex: start.handlerIndex,
      request: {
        method: 'POST', url: redactUrl(start.url.href), urlTemplate: redactUrl(displayUrl),
        headers: redactHeaders(start.authorization ? { ...start.headers, Authorization: start.authorization } : start.headers),
        body: preview(e.body),
      },
      token: this.#decode(start.authorization),
      signature: sig ? `${sig[0]}: ${redactHeaders({ [sig[0]]: sig[1] })[sig[0]]}` : undefined,
      preflight: e.preflight,
      attempts: e.attempts.map((a) => ('status' in a
        ? { status: a.status, durationMs: round(a.durationMs), headers: redactHeaders(a.headers), body: preview(a.body) }
        : { error: a.error, message: a.message, durationMs: round(a.durationMs) })),
      outcome: e.outcome,
      failure: e.failure,
      durationMs: e.durationMs,
      replayable: e.replayable,
      replayOf: start.replayOf,
    };
    if (e.outcome !== 'pending') e.shown = call;
    return call;
  }

  #decode(authorization: string | undefined): DecodedToken | undefined {
    if (!authorization) return undefined;
    if (this.#decoded?.authorization !== authorization) this.#decoded = { authorization, token: decodeBearer(authorization) };
    return this.#decoded.token;
  }
}

const EMPTY = Buffer.alloc(0);

function keep(body: Buffer, contentType: string | undefined): KeptBody {
  const data = body.length <= MAX_BODY_PREVIEW_BYTES ? body : Buffer.from(body.subarray(0, MAX_BODY_PREVIEW_BYTES));
  return { data, bytes: body.length, contentType };
}

function preview(b: KeptBody): BodyPreview {
  return previewBody(b.data, b.contentType, b.bytes);
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const k in headers) {
    if (k.length === name.length && k.toLowerCase() === name) {
      const v = headers[k];
      return Array.isArray(v) ? v[0] : v;
    }
  }
  return undefined;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
