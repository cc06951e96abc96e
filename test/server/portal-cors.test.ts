// The portal's Explorer calls each Web PubSub / SignalR resource's own origin: those origins allow
// the portal's origin (CORS preflight without a token, answers readable), no other origin; the
// portal's CSP names them in connect-src.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

let lapis: TestLapis;
before(async () => {
  lapis = await startTestLapis({
    config: {
      resources: [
        { type: 'Microsoft.SignalRService/webPubSub', name: 'cors-wps', resourceGroup: 'rg-cors' },
        { type: 'Microsoft.SignalRService/signalR', name: 'cors-sig', resourceGroup: 'rg-cors', properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }] } },
      ],
    },
  });
});
after(async () => { await lapis?.stop(); });

test('resource origins answer the portal\'s preflight and expose answers to it, and nothing to other origins', async () => {
  const portal = new URL(lapis.ready.portalUrl!).origin;
  for (const name of ['cors-wps', 'cors-sig']) {
    const endpoint = lapis.ready.resources!.find((r) => r.name === name)!.endpoint!;
    const url = `${endpoint}/api/hubs/chat/:connections?api-version=2024-12-01`;
    const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: portal, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    assert.equal(pre.status, 204, name);
    assert.equal(pre.headers.get('access-control-allow-origin'), portal);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /DELETE/);
    const anonymous = await fetch(url, { headers: { origin: portal } });
    assert.equal(anonymous.status, 401, 'a real request still needs a token');
    assert.equal(anonymous.headers.get('access-control-allow-origin'), portal, 'the refusal is readable by the portal');

    const evil = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    assert.equal(evil.headers.get('access-control-allow-origin'), null, name);
    assert.notEqual(evil.status, 204);
  }
  const page = await fetch(lapis.ready.portalUrl!);
  const csp = page.headers.get('content-security-policy') ?? '';
  for (const r of lapis.ready.resources!.filter((x) => x.name.startsWith('cors-'))) assert.ok(csp.includes(new URL(r.endpoint!).origin), `CSP names ${r.endpoint}`);
});
