/**
 * fast-check over the HTTP transports of the SignalR client endpoint (full Lapis): random POSTed
 * bodies on long-polling (JSON and MessagePack) and Server-Sent Events (JSON) connections after a
 * valid handshake. Property: every POST gets an HTTP answer (200, or 404 once that connection is
 * over); a probe invocation afterwards is answered, or the connection ends with a Close / 204 /
 * the end of its event stream; the process keeps serving (health and witnesses at the end).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { isCompletionOf, jsonFrames, msgpackFrames } from './signalr-arbitraries.ts';
import { decodeStream, handshakeText, varintFrame } from './signalr-peer.ts';
import { RS, startHostileWorld, type HostileWorld } from './signalr-hostile.ts';

let w: HostileWorld;
let token = '';
before(async () => {
  w = await startHostileWorld();
  token = await w.token(w.origins.sig, { scheme: 'http', user: 'fuzz-http' });
});
after(async () => { await w?.stop(); });

type Protocol = 'json' | 'messagepack';
type Outcome = 'answered' | 'closed' | 'pending';
const auth = () => ({ authorization: `Bearer ${token}` });
const isClose = (m: unknown) => (Array.isArray(m) ? m[0] === 7 : (m as { type?: number }).type === 7);

/** One HTTP-transport connection: start, send bodies, and read what the server sent so far. */
interface HttpConnection {
  url: string;
  post(body: Buffer | string): Promise<number>;
  /** Waits for the probe's Completion or the end of the connection; `pending` after `ms` with neither. */
  outcome(id: string, protocol: Protocol, ms: number): Promise<Outcome>;
  stop(): Promise<void>;
}

async function negotiated(): Promise<string> {
  const n = await w.negotiate(w.origins.sig, token, { scheme: 'http' });
  return `${w.origins.sig.httpEndpoint}/client/?hub=chat&id=${n.connectionToken}`;
}

async function post(url: string, body: Buffer | string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: auth(), body });
  await res.arrayBuffer();
  return res.status;
}

async function longPolling(protocol: Protocol): Promise<HttpConnection> {
  const url = await negotiated();
  assert.equal((await fetch(url, { headers: auth() })).status, 200);
  assert.equal(await post(url, handshakeText(protocol)), 200);
  const received: Buffer[] = [];
  let over = false;
  const poll = async (ms: number) => {
    const res = await fetch(url, { headers: auth(), signal: AbortSignal.timeout(ms) }).catch(() => undefined);
    if (!res) return;
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 204 || res.status === 404) over = true;
    else received.push(body);
  };
  await poll(3000);
  assert.deepEqual(decodeStream(Buffer.concat(received), protocol).handshake, {});
  return {
    url,
    post: (b) => post(url, b),
    async outcome(id, p, ms) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (over) return 'closed';
        let hub: unknown[] = [];
        try {
          hub = decodeStream(Buffer.concat(received), p).hub;
        } catch { /* a partial MessagePack message: poll for more */ }
        if (hub.some((m) => isCompletionOf(m, id))) return 'answered';
        if (hub.some(isClose)) return 'closed';
        await poll(Math.max(1, deadline - Date.now()));
      }
      return over ? 'closed' : 'pending';
    },
    async stop() {
      await fetch(url, { method: 'DELETE', headers: auth() }).then((r) => r.arrayBuffer()).catch(() => undefined);
    },
  };
}

async function serverSentEvents(): Promise<HttpConnection> {
  const url = await negotiated();
  const ctl = new AbortController();
  const res = await fetch(`${url}&access_token=${token}`, { headers: { accept: 'text/event-stream' }, signal: ctl.signal });
  assert.equal(res.status, 200);
  let text = '';
  let over = false;
  const wake = new Set<() => void>();
  void (async () => {
    try {
      for await (const chunk of res.body!) {
        text += Buffer.from(chunk).toString('utf8');
        for (const f of [...wake]) f();
      }
    } catch { /* aborted by stop() */ }
    over = true;
    for (const f of [...wake]) f();
  })();
  /** The bytes the events carried: each event's `data:` lines, joined by line breaks. */
  const payload = () => Buffer.from(text.split('\n\n').slice(0, -1)
    .map((ev) => ev.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')).join(''));
  const until = (check: () => Outcome | undefined, ms: number) => new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => { wake.delete(f); resolve('pending'); }, ms);
    const f = () => {
      const v = check();
      if (v === undefined) return;
      clearTimeout(timer);
      wake.delete(f);
      resolve(v);
    };
    wake.add(f);
    f();
  });
  assert.equal(await post(url, handshakeText('json')), 200);
  assert.equal(await until(() => (decodeStream(payload(), 'json').handshake !== undefined ? 'answered' : undefined), 3000), 'answered');
  return {
    url,
    post: (b) => post(url, b),
    outcome: (id, _p, ms) => until(() => {
      const { hub } = decodeStream(payload(), 'json');
      if (hub.some((m) => isCompletionOf(m, id))) return 'answered';
      if (hub.some(isClose) || over) return 'closed';
      return undefined;
    }, ms),
    async stop() {
      ctl.abort();
    },
  };
}

const CASES: ReadonlyArray<{ name: string; protocol: Protocol; open(): Promise<HttpConnection> }> = [
  { name: 'long polling, JSON', protocol: 'json', open: () => longPolling('json') },
  { name: 'long polling, MessagePack', protocol: 'messagepack', open: () => longPolling('messagepack') },
  { name: 'Server-Sent Events, JSON', protocol: 'json', open: serverSentEvents },
];

for (const c of CASES) {
  test(`fuzz: POSTed bodies on ${c.name} get an answer or end that connection, never more`, async () => {
    let conn: HttpConnection | undefined;
    let probes = 0;
    const outcomes: Record<Outcome, number> = { answered: 0, closed: 0, pending: 0 };
    await fc.assert(fc.asyncProperty(c.protocol === 'json' ? jsonFrames : msgpackFrames, async (frames) => {
      conn ??= await c.open();
      const statuses: number[] = [];
      for (const f of frames) statuses.push(await conn.post(f.data));
      const id = `probe-${++probes}`;
      statuses.push(await conn.post(c.protocol === 'json' ? `{"type":1,"invocationId":"${id}","target":"t","arguments":[]}${RS}` : varintFrame(encode([1, {}, id, 't', []]))));
      for (const s of statuses) assert.ok(s === 200 || s === 404, `POST answered ${s}`);
      // JSON: the probe completes or invalidates any unfinished message, so it is always answered.
      // MessagePack: junk may hold a length prefix still waiting for bytes; that connection is then left by us.
      const outcome = await conn.outcome(id, c.protocol, c.protocol === 'json' ? 3000 : 150);
      if (c.protocol === 'json') assert.notEqual(outcome, 'pending', `no answer and no end for ${JSON.stringify(frames.map((f) => f.data.toString('latin1'))).slice(0, 400)}`);
      outcomes[outcome]++;
      if (outcome !== 'answered') {
        await conn.stop();
        conn = undefined;
      }
      assert.deepEqual(w.uncaught.map(String), []);
    }), { numRuns: 60 });
    await conn?.stop();
    if (process.env.FUZZ_LOG) console.log(c.name, outcomes);
    assert.ok(outcomes.answered > 0 && outcomes.closed > 0, `both outcomes exercised: ${JSON.stringify(outcomes)}`);
    await w.stillServing();
  });
}
