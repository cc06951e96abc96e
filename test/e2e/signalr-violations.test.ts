/**
 * The RFC 6455 violation table of socket-violations.test.ts, on every way a peer reaches the
 * SignalR client endpoint's WebSocket upgrade, over plain TCP and TLS: after each case the
 * origins answer `/api/health` and official clients connected beforehand (WebSockets/JSON, long
 * polling/MessagePack, SSE/JSON) still receive a REST broadcast.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { frame, handshake, VIOLATIONS } from './raw-socket.ts';
import { RS, startHostileWorld, type HostileWorld } from './signalr-hostile.ts';

let w: HostileWorld;
before(async () => { w = await startHostileWorld(); });
after(async () => { await w?.stop(); });

type Scheme = 'http' | 'https';
interface Entry {
  name: string;
  resource: 'sig' | 'classic' | 'full';
  status: number;
  /** The upgrade request: path and headers. */
  request(scheme: Scheme): Promise<{ path: string; headers?: Record<string, string> }>;
  /** Bytes written after the 101, before the violation (a SignalR handshake). */
  prelude?: Buffer;
}

const hs = (protocol: string) => frame({ opcode: 1, payload: Buffer.from(`{"protocol":"${protocol}","version":1}${RS}`) });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

const ENTRIES: readonly Entry[] = [
  {
    name: 'after negotiate, with id', resource: 'sig', status: 101,
    async request(scheme) {
      const t = await w.token(w.origins.sig, { scheme });
      const n = await w.negotiate(w.origins.sig, t, { scheme });
      return { path: `/client/?hub=chat&id=${n.connectionToken}`, headers: bearer(t) };
    },
  },
  {
    name: 'after negotiate and a JSON handshake', resource: 'sig', status: 101, prelude: hs('json'),
    async request(scheme) {
      const t = await w.token(w.origins.sig, { scheme });
      const n = await w.negotiate(w.origins.sig, t, { scheme });
      return { path: `/client/?hub=chat&id=${n.connectionToken}`, headers: bearer(t) };
    },
  },
  {
    name: 'skipNegotiation, MessagePack handshake', resource: 'sig', status: 101, prelude: hs('messagepack'),
    request: async (scheme) => ({ path: `/client/?hub=chat&access_token=${await w.token(w.origins.sig, { scheme })}` }),
  },
  {
    name: 'skipNegotiation (no id)', resource: 'sig', status: 101,
    request: async (scheme) => ({ path: `/client/?hub=chat&access_token=${await w.token(w.origins.sig, { scheme })}` }),
  },
  {
    name: 'unknown id', resource: 'sig', status: 404,
    request: async (scheme) => ({ path: '/client/?hub=chat&id=AAAAAAAAAAAAAAAAAAAAAA', headers: bearer(await w.token(w.origins.sig, { scheme })) }),
  },
  {
    name: 'wrong hub for the id', resource: 'sig', status: 404,
    async request(scheme) {
      const n = await w.negotiate(w.origins.sig, await w.token(w.origins.sig, { scheme }), { scheme });
      return { path: `/client/?hub=other&id=${n.connectionToken}`, headers: bearer(await w.token(w.origins.sig, { scheme, hub: 'other' })) };
    },
  },
  {
    name: 'id of another user', resource: 'sig', status: 403,
    async request(scheme) {
      const n = await w.negotiate(w.origins.sig, await w.token(w.origins.sig, { scheme, user: 'alice' }), { scheme });
      return { path: `/client/?hub=chat&id=${n.connectionToken}`, headers: bearer(await w.token(w.origins.sig, { scheme, user: 'eve' })) };
    },
  },
  { name: 'no token', resource: 'sig', status: 401, request: async () => ({ path: '/client/?hub=chat' }) },
  {
    name: 'token of another resource', resource: 'sig', status: 401,
    request: async (scheme) => ({ path: `/client/?hub=chat&access_token=${await w.token(w.origins.sig, { scheme, key: w.origins.other.key })}` }),
  },
  { name: 'no hub', resource: 'sig', status: 400, request: async () => ({ path: '/client/' }) },
  { name: 'not the client path', resource: 'sig', status: 404, request: async () => ({ path: '/elsewhere/?hub=chat' }) },
  // `/server/` is the app-server endpoint (default mode): without a token it refuses the upgrade.
  { name: 'app-server path without a token', resource: 'sig', status: 401, request: async () => ({ path: '/server/?hub=chat' }) },
  {
    name: 'connection limit reached (skipNegotiation)', resource: 'full', status: 429,
    request: async (scheme) => ({ path: `/client/?hub=chat&access_token=${await w.token(w.origins.full, { scheme })}` }),
  },
  {
    name: 'Default-mode resource, refused at the handshake', resource: 'classic', status: 101, prelude: hs('json'),
    request: async (scheme) => ({ path: `/client/?hub=chat&access_token=${await w.token(w.origins.classic, { scheme })}` }),
  },
];

for (const scheme of ['http', 'https'] as const) {
  for (const entry of ENTRIES) {
    test(`${scheme}: ${entry.name} × every violation`, async () => {
      for (const v of VIOLATIONS) {
        const { path, headers } = await entry.request(scheme);
        const peer = await handshake(w.origins[entry.resource][scheme], path, {
          headers,
          prefix: v.beforeHandshake ? v.bytes : undefined,
          trailing: v.inHandshakePacket ? v.bytes : undefined,
        });
        if (!v.beforeHandshake && !v.inHandshakePacket) {
          assert.equal(peer.status, entry.status, `${entry.name}: handshake answer`);
          if (entry.prelude) peer.socket.write(entry.prelude);
          if (!peer.socket.destroyed) peer.socket.write(v.bytes);
        }
        // The bad peer is refused or closed by the server, never left hanging.
        assert.equal(await peer.closed(5000), 'closed', `${entry.name} × ${v.name}: the server did not close the peer`);
        peer.destroy();
        // Health of the attacked resource and of `sig` (the witnesses' resource) after each case; all at the end.
        await w.stillServing([...new Set([entry.resource, 'sig' as const])]);
      }
    });
  }
}

test('the process survived the whole table and no connection was left behind', async () => {
  await w.stillServing();
  const health = await fetch(`${w.origins.sig.endpoint}/api/health`);
  assert.equal(health.status, 200);
});
