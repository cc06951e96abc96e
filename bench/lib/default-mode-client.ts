/**
 * Opening one SignalR JSON WebSocket client through an ASP.NET Core app the way @microsoft/signalr
 * does: negotiate with the app; when the app answers with a redirect (`url` + `accessToken`: Azure
 * SignalR default mode), negotiate again at that URL with the token as a bearer, then open the
 * WebSocket there with `id=<connectionToken>` (and the bearer header, as the Node client sends it).
 */
import { RecordWs } from './record-receiver.ts';
import type { RecordCounters } from './record-receiver.ts';

interface NegotiateAnswer {
  url?: string;
  accessToken?: string;
  connectionToken?: string;
  error?: string;
}

async function negotiate(url: string, token: string | undefined): Promise<NegotiateAnswer> {
  const res = await fetch(url, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`negotiate ${url.split('?')[0]} answered ${res.status}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as NegotiateAnswer;
  if (body.error) throw new Error(`negotiate refused: ${body.error}`);
  return body;
}

/** `/negotiate` appended to the path and `negotiateVersion=1` to the query, as the JS client builds it. */
function negotiateUrl(base: URL): string {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/$/, '')}/negotiate`;
  u.searchParams.set('negotiateVersion', '1');
  return u.toString();
}

export async function openDefaultModeClient(o: { appUrl: string; hubPath: string; counters: RecordCounters; localAddress?: string; timeoutMs: number }): Promise<RecordWs> {
  let base = new URL(`${o.appUrl}${o.hubPath}`);
  let token: string | undefined;
  let answer = await negotiate(negotiateUrl(base), undefined);
  if (answer.url) {
    base = new URL(answer.url);
    token = answer.accessToken;
    answer = await negotiate(negotiateUrl(base), token);
  }
  if (!answer.connectionToken) throw new Error(`negotiate answered without a connection token: ${JSON.stringify(answer).slice(0, 200)}`);
  if (base.protocol !== 'http:') throw new Error(`the benchmark's clients speak plain HTTP only, not ${base.protocol} (${base.origin})`);
  const target = new URL(base);
  target.searchParams.set('id', answer.connectionToken);
  const ws = new RecordWs({
    port: Number(target.port || 80),
    path: `${target.pathname}${target.search}`,
    headers: token ? `Authorization: Bearer ${token}\r\n` : '',
    localAddress: o.localAddress,
    counters: o.counters,
    timeoutMs: o.timeoutMs,
  });
  await ws.ready;
  return ws;
}
