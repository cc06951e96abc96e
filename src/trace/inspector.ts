/**
 * The upstream inspector of one resource: the last event-handler calls (request and response
 * headers and bodies, redacted and cut; the decoded managed-identity token; the signature
 * described; each retry; the preflight status), kept in memory and bounded, and replay of a
 * captured event. Captures are per node: a call is kept by the node that made it.
 */
import { randomBytes } from 'node:crypto';
import { decodeBearer, previewBody, redactHeaders, redactUrl, type BodyPreview, type DecodedToken } from './redact.ts';
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

interface Entry {
  call: CapturedCall;
  replay: (() => Promise<string | undefined>) | undefined;
}

export class UnknownCallError extends Error {}
export class NotReplayableError extends Error {}

export class UpstreamInspector implements UpstreamCapture {
  readonly #emit: (e: TraceInput) => void;
  readonly #max: number;
  /** Oldest first; a Map keeps insertion order and finds by id. */
  readonly #calls = new Map<string, Entry>();

  constructor(emit: (e: TraceInput) => void, max = MAX_CAPTURED_CALLS) {
    this.#emit = emit;
    this.#max = max;
  }

  get size(): number {
    return this.#calls.size;
  }

  begin(start: UpstreamCallStart): CallRecorder {
    const id = randomBytes(9).toString('base64url');
    const began = performance.now();
    const sig = Object.entries(start.headers).find(([k]) => /^(ce-signature|x-asrs-signature)$/i.test(k));
    const call: CapturedCall = {
      id, time: new Date().toISOString(), protocol: start.protocol, hub: start.hub, event: start.event, eventType: start.eventType,
      connectionId: start.connectionId, userId: start.userId, handlerIndex: start.handlerIndex,
      request: {
        method: 'POST', url: redactUrl(start.url.href), urlTemplate: redactUrl(start.displayUrl),
        headers: redactHeaders(start.authorization ? { ...start.headers, Authorization: start.authorization } : start.headers),
        body: previewBody(start.body, headerValue(start.headers, 'content-type')),
      },
      token: decodeBearer(start.authorization),
      signature: sig ? `${sig[0]}: ${redactHeaders({ [sig[0]]: sig[1] })[sig[0]]}` : undefined,
      preflight: start.preflight,
      attempts: [], outcome: 'pending',
      replayable: start.replay !== undefined && start.body.length <= MAX_REPLAY_BYTES,
      replayOf: start.replayOf,
    };
    this.#calls.set(id, { call, replay: call.replayable ? start.replay : undefined });
    while (this.#calls.size > this.#max) this.#calls.delete(this.#calls.keys().next().value!);
    let finished = false;
    return {
      id,
      attempt: (o: AttemptOutcome) => {
        if (call.attempts.length >= MAX_ATTEMPTS) return;
        call.attempts.push('status' in o
          ? { status: o.status, durationMs: round(o.durationMs), headers: redactHeaders(o.headers), body: previewBody(o.body, headerValue(o.headers, 'content-type')) }
          : { error: o.error, message: o.message, durationMs: round(o.durationMs) });
      },
      done: (failure) => {
        if (finished) return;
        finished = true;
        call.durationMs = round(performance.now() - began);
        const last = call.attempts[call.attempts.length - 1];
        if (failure) {
          call.outcome = failure.error;
          call.failure = failure.message;
        } else if (last) {
          call.outcome = last.status ?? last.error ?? 'unknown';
          if (last.error) call.failure = last.message;
        } else {
          call.outcome = 'unknown';
        }
        this.#emit({
          category: 'upstream', event: 'upstreamCall', hub: call.hub, connectionId: call.connectionId, userId: call.userId,
          status: call.outcome, reason: call.failure, callId: id, durationMs: call.durationMs,
          detail: `${call.event} → ${call.request.url}${call.attempts.length > 1 ? ` (${call.attempts.length} attempts)` : ''}${call.replayOf ? ' (replay)' : ''}`,
        });
      },
    };
  }

  /** Newest first. */
  list(): CapturedCall[] {
    return [...this.#calls.values()].map((e) => e.call).reverse();
  }

  get(id: string): CapturedCall | undefined {
    return this.#calls.get(id)?.call;
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
    const again = newId === undefined ? undefined : this.#calls.get(newId)?.call;
    if (!again) throw new UnknownCallError(newId ?? id);
    return again;
  }
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  return undefined;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
