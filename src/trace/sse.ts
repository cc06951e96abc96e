/**
 * A live trace subscription written to an HTTP response as Server-Sent Events: a `ready` event,
 * then one `trace` event per trace event (batched per event-loop turn), a comment line every
 * 15 s so proxies keep the stream open, and a final `closed` event saying why it ended (the
 * viewer fell behind, the resource stopped). Writing waits for `drain`: a slow reader makes its
 * own queue grow until the subscription drops it.
 */
import type { ServerResponse } from 'node:http';
import type { TraceSubscription } from './bus.ts';

const KEEP_ALIVE_MS = 15_000;
/** Bytes written but not yet taken by the socket before the viewer counts as not reading. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

export function streamToResponse(res: ServerResponse, sub: TraceSubscription, ready: Record<string, unknown>, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    ...headers,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-store',
    'X-Accel-Buffering': 'no',
    Connection: 'keep-alive',
  });
  res.write(`retry: 3000\nevent: ready\ndata: ${JSON.stringify(ready)}\n\n`);
  let waiting = false;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    sub.close('The viewer went away.');
    res.end();
  };
  const flush = () => {
    if (ended || waiting) return;
    const events = sub.take();
    if (events.length > 0) {
      const ok = res.write(events.map((e) => `event: trace\ndata: ${JSON.stringify(e)}\n\n`).join(''));
      if (!ok) {
        if (res.writableLength > MAX_UNSENT_BYTES) {
          sub.close(`The viewer did not read: more than ${MAX_UNSENT_BYTES} bytes were waiting.`);
        } else {
          waiting = true;
          res.once('drain', () => {
            waiting = false;
            flush();
          });
          return;
        }
      }
    }
    if (sub.closed) {
      res.write(`event: closed\ndata: ${JSON.stringify(sub.closed)}\n\n`);
      end();
    }
  };
  const keepAlive = setInterval(() => {
    if (!waiting) res.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS);
  keepAlive.unref();
  res.on('close', end);
  res.on('error', end);
  sub.onWake(flush);
}
