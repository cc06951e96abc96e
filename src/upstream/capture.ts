/**
 * An event-handler call handed to the resource's upstream inspector (src/trace): the request as
 * it leaves, each attempt, and a replay that sends the same event again with a fresh token and
 * signature. A handler that cannot be resolved (Key Vault reference, token, abuse-protection
 * preflight) is captured too, as a call that failed before any attempt.
 */
import type { CallRecorder, PreflightOutcome, UpstreamCallStart, UpstreamCapture } from '../trace/index.ts';
import type { UpstreamRequest } from './delivery.ts';
import { UpstreamError } from './errors.ts';
import type { HttpResult } from './http.ts';
import type { ResolvedTarget } from './target-resolver.ts';
import type { TemplatePart } from './settings.ts';
import { redactTemplate } from './handlers.ts';
import type { UpstreamTransport } from './transport.ts';

export interface CaptureCall {
  protocol: UpstreamCallStart['protocol'];
  hub: string;
  event: string;
  eventType: UpstreamCallStart['eventType'];
  connectionId: string | undefined;
  userId: string | undefined;
  handlerIndex: number;
  /**
   * The URL template as settings show it (Key Vault references unresolved); called when the
   * capture is read, so it must not depend on settings changed since (use the compiled handler).
   */
  displayUrl(): string;
  preflight(): PreflightOutcome | undefined;
  resolve(): Promise<ResolvedTarget>;
  placeholders: Record<string, string>;
  /** The request a replay sends, when it differs from the original (a fresh signature). */
  again?(request: UpstreamRequest): UpstreamRequest;
}

/** Resolves the target and sends `request` with a recorder from `capture`. */
export async function capturedSend(capture: UpstreamCapture, t: UpstreamTransport, call: CaptureCall, request: UpstreamRequest, replayOf?: string): Promise<HttpResult> {
  const { result } = await send(capture, t, call, request, replayOf);
  return result;
}

async function send(capture: UpstreamCapture, t: UpstreamTransport, call: CaptureCall, request: UpstreamRequest, replayOf: string | undefined): Promise<{ id: string; result: Promise<HttpResult> }> {
  let recorder: CallRecorder | undefined;
  const start = (url: URL, authorization: string | undefined): CallRecorder => capture.begin({
    protocol: call.protocol, hub: call.hub, event: call.event, eventType: call.eventType,
    connectionId: call.connectionId, userId: call.userId, handlerIndex: call.handlerIndex,
    // The display URL is filled in when the capture is read: the call only keeps the means.
    url, displayUrl: () => fill(call.displayUrl(), call.placeholders), authorization, headers: request.headers, body: request.body,
    preflight: preflightOf(call.preflight()), replayOf,
    replay: async () => {
      const again = call.again ? call.again(request) : request;
      const r = await send(capture, t, call, { ...again, blocking: true }, recorder?.id);
      await r.result.catch(() => undefined);
      return r.id;
    },
  });
  let target: ResolvedTarget;
  let url: URL;
  try {
    target = await call.resolve();
    url = target.url(call.placeholders);
  } catch (err) {
    // Failed before sending: captured with the template, so the inspector shows why.
    recorder = start(safeUrl(fill(call.displayUrl(), call.placeholders)), undefined);
    recorder.done({ error: err instanceof UpstreamError ? err.code : 'unavailable', message: err instanceof Error ? err.message : 'the handler is not available' });
    return { id: recorder.id, result: Promise.reject(err) };
  }
  recorder = start(url, target.authorization);
  const result = t.delivery.send({ url, authorization: target.authorization }, request, recorder);
  // The caller awaits `result`; a replay only needs it settled.
  result.catch(() => undefined);
  return { id: recorder.id, result };
}

/** A template as settings show it: Key Vault references as written, never their values. */
export function templateText(parts: readonly TemplatePart[]): string {
  return redactTemplate(parts.map((p) => (p.kind === 'keyVault' ? `{@Microsoft.KeyVault(SecretUri=${p.ref.secretUri})}` : p.text)).join(''));
}

function preflightOf(s: PreflightOutcome | undefined): PreflightOutcome | undefined {
  return s && { status: s.status, reason: s.reason, code: s.code, checkedAt: s.checkedAt };
}

/** `{hub}`, `{event}`, … filled in for display (not encoded: it is shown, not sent). */
function fill(template: string, placeholders: Record<string, string>): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (m, name: string) => placeholders[name.toLowerCase()] ?? m);
}

function safeUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    return new URL('about:blank');
  }
}
