/**
 * Shared set-up of the hostile-peer tests of the SignalR client endpoint: a full Lapis with a
 * serverless resource (`sig`), a second serverless resource (`other`, whose tokens `sig` must
 * refuse), a Default-mode resource (`classic`, refusing clients at the handshake) and a
 * serverless resource at its connection limit (`full`, one connection, held by a client); client
 * tokens signed as hand-made tokens are (aud = the origin's client URL); and witnesses — official
 * @microsoft/signalr clients connected before any bad peer — that must keep receiving REST sends.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import type { Target } from './raw-socket.ts';

export const RS = '\u001e';

export interface SignalROrigin {
  name: string;
  key: string;
  https: Target;
  http: Target;
  /** `https://localhost:port` */
  endpoint: string;
  /** `http://localhost:port` */
  httpEndpoint: string;
}

export interface HostileWorld {
  lapis: TestLapis;
  /** Requests the upstream of `sig` has answered (every one with 200 and no body). */
  upstreamRequests: { count: number };
  origins: Record<'sig' | 'other' | 'classic' | 'full', SignalROrigin>;
  /** Fails the test when anything reached the process's uncaught handlers. */
  uncaught: Error[];
  /** A client token for `hub` on a resource origin (aud = that origin's client URL). */
  token(o: SignalROrigin, opts?: { hub?: string; user?: string; scheme?: 'http' | 'https'; claims?: Record<string, unknown>; key?: string; exp?: number }): Promise<string>;
  /** `POST /client/negotiate` with a Bearer token; the parsed answer. */
  negotiate(o: SignalROrigin, token: string, opts?: { hub?: string; scheme?: 'http' | 'https' }): Promise<{ connectionId: string; connectionToken: string }>;
  /** An access-key REST call on `sig`. */
  rest(method: string, path: string, body?: unknown): Promise<number>;
  /** Health on every origin of every resource, and every witness receives a REST broadcast. */
  /** `only`: check the health of these resources' origins (default: every resource). */
  stillServing(only?: ReadonlyArray<keyof HostileWorld['origins']>): Promise<void>;
  stop(): Promise<void>;
}

const KEYS = { full: 'hostile-full-primary-key-0123456789abcdefg', sig: 'hostile-sig-primary-key-0123456789abcdefgh', other: 'hostile-other-primary-key-0123456789abcdef', classic: 'hostile-classic-primary-key-0123456789abcd' };

export async function startHostileWorld(): Promise<HostileWorld> {
  const uncaught: Error[] = [];
  // node:test reports an uncaught exception instead of exiting; the monitor sees it first, so a
  // case that would have ended a real process fails here.
  const onUncaught = (err: Error) => uncaught.push(err);
  const onRejection = (err: unknown) => uncaught.push(err as Error);
  process.on('uncaughtExceptionMonitor', onUncaught);
  process.on('unhandledRejection', onRejection);
  // The upstream of `sig`: client events and invocations travel there, so bad input crosses that path too.
  const upstreamRequests = { count: 0 };
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      upstreamRequests.count++;
      res.writeHead(200, { 'content-length': 0 }).end(); // void Completion for invocations
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/{hub}/{category}/{event}`;
  const resource = (name: keyof typeof KEYS, mode: 'Serverless' | 'Default') => ({
    type: 'Microsoft.SignalRService/signalR', name, resourceGroup: 'rg-h',
    accessKeys: { primaryKey: KEYS[name], secondaryKey: `${KEYS[name]}-secondary` },
    properties: {
      features: [{ flag: 'ServiceMode', value: mode }],
      ...(name === 'sig' ? { upstream: { templates: [{ urlTemplate: upstreamUrl, eventPattern: '*' }] } } : {}),
    },
    ...(name === 'full' ? { limits: { maxConnections: 1 } } : {}),
  });
  const lapis = await startTestLapis({ config: { resources: [resource('sig', 'Serverless'), resource('other', 'Serverless'), resource('classic', 'Default'), resource('full', 'Serverless')] } });
  const origins = {} as HostileWorld['origins'];
  for (const name of ['sig', 'other', 'classic', 'full'] as const) {
    const r = lapis.ready.resources.find((x) => x.name === name)!;
    const endpoint = r.endpoint!.replace(/\/+$/, '');
    // Raw peers say `Host: localhost:<port>`, and the token's aud must name the origin as addressed.
    const httpEndpoint = `http://localhost:${new URL(r.httpEndpoint!).port}`;
    origins[name] = {
      name, key: KEYS[name], endpoint, httpEndpoint,
      https: { port: Number(new URL(endpoint).port), tls: true }, http: { port: Number(new URL(httpEndpoint).port) },
    };
  }
  const sig = origins.sig;

  const token: HostileWorld['token'] = (o, opts = {}) => {
    const base = opts.scheme === 'http' ? o.httpEndpoint : o.endpoint;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ nameid: opts.user ?? 'mallory', ...(opts.claims ?? {}) }).setProtectedHeader({ alg: 'HS256' })
      .setAudience(`${base}/client/?hub=${opts.hub ?? 'chat'}`).setIssuedAt(now).setExpirationTime(opts.exp ?? now + 600)
      .sign(new TextEncoder().encode(opts.key ?? o.key));
  };

  const negotiate: HostileWorld['negotiate'] = async (o, t, opts = {}) => {
    const base = opts.scheme === 'http' ? o.httpEndpoint : o.endpoint;
    const res = await fetch(`${base}/client/negotiate?hub=${opts.hub ?? 'chat'}&negotiateVersion=1`, { method: 'POST', headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 200, `negotiate: ${res.status}`);
    return (await res.json()) as { connectionId: string; connectionToken: string };
  };

  const rest: HostileWorld['rest'] = async (method, path, body) => {
    const url = `${sig.endpoint}${path}`;
    const t = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience(url.split('?')[0]!).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(sig.key));
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${t}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    await res.arrayBuffer();
    return res.status;
  };

  // Witnesses on the transports a bad peer could disturb most: WebSockets (JSON) and long polling (MessagePack).
  const witnesses: Array<{ c: HubConnection; received: string[]; wake: Array<() => void> }> = [];
  for (const [i, [transport, msgpack]] of ([[HttpTransportType.WebSockets, false], [HttpTransportType.LongPolling, true], [HttpTransportType.ServerSentEvents, false]] as const).entries()) {
    const t = await token(sig, { user: `witness-${i}` });
    const b = new HubConnectionBuilder().withUrl(`${sig.endpoint}/client/?hub=chat`, { transport, accessTokenFactory: () => t }).configureLogging(LogLevel.None);
    const c = (msgpack ? b.withHubProtocol(new MessagePackHubProtocol()) : b).build();
    const w = { c, received: [] as string[], wake: [] as Array<() => void> };
    c.on('alive', (marker: string) => {
      w.received.push(marker);
      for (const f of w.wake.splice(0)) f();
    });
    await c.start();
    witnesses.push(w);
  }

  // The one connection `full` allows, held for the whole run: later clients of `full` get 429.
  const fullToken = await token(origins.full, { user: 'filler' });
  const filler = new HubConnectionBuilder().withUrl(`${origins.full.endpoint}/client/?hub=chat`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => fullToken })
    .configureLogging(LogLevel.None).build();
  await filler.start();

  const stillServing = async (only?: ReadonlyArray<keyof HostileWorld['origins']>) => {
    assert.deepEqual(uncaught.map((e) => String(e)), [], 'an uncaught exception would have ended the process');
    const checked = only ? only.map((n) => origins[n]) : Object.values(origins);
    await Promise.all(checked.flatMap((o) => [o.endpoint, o.httpEndpoint]).map(async (base) => {
      const res = await fetch(`${base}/api/health`);
      await res.arrayBuffer();
      assert.equal(res.status, 200, `${base} health`);
    }));
    const marker = `alive-${Math.random()}`;
    assert.equal(await rest('POST', '/api/hubs/chat/:send?api-version=2022-06-01', { target: 'alive', arguments: [marker] }), 202);
    assert.equal(filler.state, 'Connected', 'the client of the full resource was disconnected');
    for (const w of witnesses) {
      assert.equal(w.c.state, 'Connected', 'a witness was disconnected');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`witness ${w.c.connectionId} got no broadcast`)), 5000);
        const check = () => {
          if (w.received.includes(marker)) {
            clearTimeout(timer);
            resolve();
          } else w.wake.push(check);
        };
        check();
      });
    }
  };

  return {
    lapis, origins, upstreamRequests, uncaught, token, negotiate, rest, stillServing,
    async stop() {
      await Promise.all([...witnesses.map((w) => w.c.stop()), filler.stop()]);
      await lapis.stop();
      upstream.closeAllConnections();
      await new Promise<void>((r) => upstream.close(() => r()));
      process.off('uncaughtExceptionMonitor', onUncaught);
      process.off('unhandledRejection', onRejection);
    },
  };
}
