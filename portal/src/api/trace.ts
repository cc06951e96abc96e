import { ARM_SCOPE, type Session } from '../auth/session.ts';
import { ApiError, ARM_VERSION, arm } from './http.ts';

/** One live trace event (src/trace/types.ts). */
export interface TraceEvent {
  id: number; time: string; resource: string; node: string;
  category: 'connection' | 'message' | 'rest' | 'upstream'; event: string;
  hub?: string; connectionId?: string; userId?: string; group?: string;
  status?: number | string; reason?: string; detail?: string; size?: number; recipients?: number; callId?: string; durationMs?: number;
}

export interface BodyPreview { encoding: 'utf8' | 'base64'; text: string; bytes: number; truncated: boolean }
export interface CapturedAttempt { status?: number; error?: string; message?: string; durationMs: number; headers?: Record<string, string>; body?: BodyPreview }
export interface CapturedCall {
  id: string; time: string; protocol: 'webpubsub' | 'signalr'; hub: string; event: string; eventType: 'system' | 'user';
  connectionId?: string; userId?: string; handlerIndex: number;
  request: { method: 'POST'; url: string; urlTemplate: string; headers: Record<string, string>; body: BodyPreview };
  token?: { header: Record<string, unknown>; claims: Record<string, unknown>; signatureRemoved: true };
  signature?: string;
  preflight?: { status: string; reason?: string; code?: string; checkedAt?: string };
  attempts: CapturedAttempt[]; outcome: 'pending' | number | string; failure?: string; durationMs?: number;
  replayable: boolean; replayOf?: string;
}

const base = (id: string) => `${id}/providers/Microsoft.Lapis`;

export const listUpstreamCalls = (s: Session, id: string) => arm<{ value: CapturedCall[]; node: string }>(s, 'GET', `${base(id)}/upstreamCalls`, ARM_VERSION.authorization);
export const replayUpstreamCall = (s: Session, id: string, callId: string) =>
  arm<CapturedCall>(s, 'POST', `${base(id)}/upstreamCalls/${encodeURIComponent(callId)}/replay`, ARM_VERSION.authorization);

export interface TraceHandlers {
  ready(info: { node: string }): void;
  events(batch: TraceEvent[]): void;
  /** The stream ended: the server said why (`closed`), or the connection dropped. */
  ended(reason: string, dropped: boolean): void;
}

/**
 * Opens the resource's live trace (Server-Sent Events over fetch, so the bearer token goes in a
 * header). Resolves once the server accepted (throws its ARM error, e.g. a 403, otherwise);
 * returns a function that stops it.
 */
export async function openLiveTrace(s: Session, id: string, on: TraceHandlers): Promise<() => void> {
  const abort = new AbortController();
  const token = await s.token(ARM_SCOPE);
  const res = await fetch(`${base(id)}/liveTrace?api-version=${ARM_VERSION.authorization}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal,
  });
  if (!res.ok || !res.body) {
    const text = await res.text();
    let e: { code?: string; message?: string } | undefined;
    try {
      e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    } catch {
      e = undefined;
    }
    throw new ApiError(res.status, e?.code ?? `HTTP${res.status}`, e?.message ?? text.slice(0, 300));
  }
  const reader = res.body.getReader();
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    let ended = false;
    const end = (reason: string, dropped: boolean) => {
      if (!ended) on.ended(reason, dropped);
      ended = true;
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const batch: TraceEvent[] = [];
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let name = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (!data) continue;
          const value = JSON.parse(data) as Record<string, unknown>;
          if (name === 'trace') batch.push(value as unknown as TraceEvent);
          else if (name === 'ready') on.ready(value as { node: string });
          else if (name === 'closed') end(String(value.reason ?? 'closed'), value.dropped === true);
        }
        if (batch.length > 0) on.events(batch);
      }
      end('The stream ended.', false);
    } catch {
      end(abort.signal.aborted ? 'Stopped.' : 'The connection to Lapis was lost.', false);
    }
  })();
  return () => abort.abort();
}

const CSV_COLUMNS = ['id', 'time', 'node', 'category', 'event', 'hub', 'connectionId', 'userId', 'group', 'status', 'reason', 'detail', 'size', 'recipients', 'durationMs', 'callId'] as const;

export function toCsv(events: TraceEvent[]): string {
  const cell = (v: unknown) => {
    const s = v === undefined || v === null ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [CSV_COLUMNS.join(','), ...events.map((e) => CSV_COLUMNS.map((c) => cell(e[c])).join(','))].join('\r\n');
}

/** Saves text as a file through the browser's download. */
export function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
