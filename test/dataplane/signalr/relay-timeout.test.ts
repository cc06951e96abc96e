/**
 * A relayed (default-mode) client that sends nothing — not even the pings every client sends each
 * 15 s — is closed after the 30 s client timeout, and its app server is told (CloseConnection).
 * Takes ~35 s: the timeout is the real one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { encodeServiceMessage, ServiceMessageReader, type ServiceMessage } from '../../../src/protocols/signalr-service/index.ts';
import { startTestLapis } from '../../helpers/lapis.ts';

const KEY = 'silent-check-primary-key-0123456789abcdef';
test('a silent relayed client is closed after the client timeout', { timeout: 60_000 }, async () => {
  const lapis = await startTestLapis({ config: { tenantId: '5e1a7c2b-0000-4000-8000-00000000cc99', subscriptionId: '5e1a7c2b-0000-4000-8000-00000000dd99',
    resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'silent', resourceGroup: 'rg-1', accessKeys: { primaryKey: KEY, secondaryKey: 'silent-check-secondary-key-0123456789abcde' } }] } });
  try {
    const endpoint = /Endpoint=([^;]+)/.exec(lapis.ready.resources[0]!.connectionString!)![1]!;
    const host = new URL(endpoint).hostname;
    const sign = (aud: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience(aud).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(KEY));
    const app = new WebSocket(`${endpoint.replace(/^http/, 'ws')}/server/?hub=h&cid=1`, { headers: { authorization: `Bearer ${await sign(`https://${host}/server/?hub=h`)}` } });
    await new Promise((r) => app.once('open', r));
    const reader = new ServiceMessageReader();
    const msgs: ServiceMessage[] = [];
    app.on('message', (d: Buffer) => {
      for (const m of reader.push(d).messages) {
        msgs.push(m);
        if (m.kind === 'OpenConnection') app.send(encodeServiceMessage({ kind: 'ConnectionData', connectionId: m.connectionId, payload: Buffer.from('{}\u001e'), ext: {} }));
      }
    });
    app.send(encodeServiceMessage({ kind: 'HandshakeRequest', version: 1, connectionType: 0, target: '', migrationLevel: 0, ext: {}, allowStatefulReconnects: false }));
    await new Promise((r) => setTimeout(r, 200));
    const client = new WebSocket(`${endpoint.replace(/^http/, 'ws')}/client/?hub=h&access_token=${await sign(`https://${host}/client/?hub=h`)}`);
    await new Promise((r) => client.once('open', r));
    client.send('{"protocol":"json","version":1}\u001e');
    const t0 = Date.now();
    await new Promise((r) => client.once('close', r));
    const waited = Date.now() - t0;
    assert.ok(waited >= 29_000, `closed after ${waited} ms`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(msgs.filter((m) => m.kind === 'CloseConnection').length, 1);
    app.close();
  } finally { await lapis.stop(); }
});
