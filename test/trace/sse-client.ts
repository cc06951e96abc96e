// Reads a live trace stream the way the portal does: fetch with a bearer token, the body read as
// Server-Sent Events. Keeps every event; `until` waits for one that matches.
import type { TraceEvent } from '../../src/trace/index.ts';

export interface TraceStream {
  status: number;
  events: TraceEvent[];
  ready: Record<string, unknown> | undefined;
  closed: Record<string, unknown> | undefined;
  until(match: (e: TraceEvent) => boolean, timeoutMs?: number, what?: string): Promise<TraceEvent>;
  stop(): void;
}

export async function openTrace(url: string, token: string): Promise<TraceStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
  const stream: TraceStream = {
    status: res.status, events: [], ready: undefined, closed: undefined,
    async until(match, timeoutMs = 10_000, what = 'trace event') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = stream.events.find(match);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms; seen: ${JSON.stringify(stream.events.map((e) => `${e.event}:${e.detail ?? ''}`))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: () => abort.abort(),
  };
  if (res.status !== 200 || !res.body) return stream;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let name = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue;
          const value = JSON.parse(data.join('\n'));
          if (name === 'trace') stream.events.push(value);
          else if (name === 'ready') stream.ready = value;
          else if (name === 'closed') stream.closed = value;
        }
      }
    } catch {
      // aborted by stop()
    }
  })();
  return stream;
}
