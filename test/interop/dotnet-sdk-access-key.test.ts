// How Microsoft.Azure.SignalR 1.34.0 obtains the key it signs client tokens with, when its endpoint
// has a TokenCredential: GET /api/v1/auth/accessKey on the first negotiate (403 → three attempts, then
// the app's negotiate answers 500), or the in-band AccessKeyResponse [29] that makes the HTTP call
// unnecessary. Recorded against the stand-in; Lapis's /server/ endpoint must meet the same facts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { buildDotnetApp } from './dotnet-app.ts';
import { entraEnv, startApp, startProbeWorld, startStandin } from './default-mode-probe.ts';
import type { ProbeWorld } from './default-mode-probe.ts';
import { removeCertFiles } from '../helpers/certs.ts';

const build = await buildDotnetApp();
const skip = build.ok ? false : build.reason;
let world: ProbeWorld;

before(async () => {
  if (build.ok) world = await startProbeWorld();
}, { timeout: 60_000 });

after(async () => {
  await world?.stop();
  removeCertFiles();
});

test('accessKey 403: three GETs 3 s apart, then the app\'s negotiate is a 500 with an empty body and a log naming the credential and the status', { skip, timeout: 60_000 }, async () => {
  if (!build.ok) return;
  const body = '{"error":{"code":"Forbidden","message":"no SignalR App Server role"}}';
  const standin = await startStandin(world, { answerFinack: true, accessKey: () => ({ status: 403, body }) });
  const app = await startApp(world, build.dllPath, { ...entraEnv(world, standin.origin), LAPIS_SERVER_CONNECTION_COUNT: '1' });
  try {
    await standin.waitFor('a server connection', () => standin.connections.some((c) => c.messages.some((m) => m.type === 1)));
    const res = await fetch(`${app.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST', signal: AbortSignal.timeout(40_000) });
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '');
    const at = standin.accessKeyRequests.map((r) => r.at);
    assert.equal(at.length, 3);
    assert.ok(at[1]! - at[0]! >= 2_500 && at[2]! - at[1]! >= 2_500, `retries about 3 s apart: ${at.join(', ')}`);
    const line = await app.waitForOutput(/Client negotiate failed/);
    assert.match(line, /ClientSecretCredential is not available for signing client tokens, 403 Forbidden, .*no SignalR App Server role/);
    assert.ok(standin.connections.every((c) => !c.closed), 'server connections stay up');
  } finally {
    await app.stop();
    await standin.stop();
  }
});

test('in-band AccessKeyResponse [29, kid, key, null, null, {}] before the first negotiate: no HTTP key fetch, tokens signed with that kid', { skip, timeout: 60_000 }, async () => {
  if (!build.ok) return;
  const standin = await startStandin(world, { answerFinack: true });
  const app = await startApp(world, build.dllPath, { ...entraEnv(world, standin.origin), LAPIS_SERVER_CONNECTION_COUNT: '1' });
  try {
    const conn = await standin.waitFor('AccessKeyRequest', () => standin.connections.find((c) => c.messages.some((m) => m.type === 28)));
    conn.send([29, 'inband-kid', 'inband-key-0123456789abcdef0123456789', null, null, {}]);
    await new Promise((r) => setTimeout(r, 500)); // the SDK reads it on its own loop
    const res = await fetch(`${app.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(res.status, 200);
    const token = ((await res.json()) as { accessToken: string }).accessToken;
    assert.equal(decodeProtectedHeader(token).kid, 'inband-kid');
    assert.equal(decodeJwt(token).aud, 'https://localhost/client/?hub=chathub');
    assert.equal(standin.accessKeyRequests.length, 0);
  } finally {
    await app.stop();
    await standin.stop();
  }
});

test('connection string (AccessKey, no KeyId): server connections carry an HS256 token with aud …/server/?hub=<hub> (no port), nameid = server id, kid differs per process', { skip, timeout: 60_000 }, async () => {
  if (!build.ok) return;
  const standin = await startStandin(world, { answerFinack: true });
  const kids: string[] = [];
  for (let run = 0; run < 2; run++) {
    const app = await startApp(world, build.dllPath, {
      LAPIS_APP_MODE: 'connection-string',
      LAPIS_CONNECTION_STRING: `Endpoint=${standin.origin};AccessKey=probe-access-key-0123456789abcdef0123;Version=1.0;`,
      LAPIS_SERVER_CONNECTION_COUNT: '1',
    });
    try {
      const conn = await standin.waitFor('a server connection', () => standin.connections.filter((c) => c.messages.some((m) => m.type === 1))[run]);
      assert.equal(conn.tokenHeader?.alg, 'HS256');
      kids.push(String(conn.tokenHeader?.kid));
      assert.equal(conn.tokenClaims?.aud, 'https://localhost/server/?hub=chathub');
      assert.equal(conn.tokenClaims?.iss, 'azure-signalr');
      assert.equal(conn.tokenClaims?.nameid, conn.headers['x-asrs-server-id']);
      await standin.waitFor('handshake', () => conn.messages.some((m) => m.type === 2));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(conn.messages.filter((m) => m.type === 28).length, 0, 'no AccessKeyRequest with an access key');
    } finally {
      await app.stop();
    }
  }
  assert.match(kids[0]!, /^-?\d+$/);
  assert.notEqual(kids[0], kids[1], 'kid is a per-process string hash of the key, so the service cannot look the key up by it');
  await standin.stop();
});

test('connection string AuthType=azure.msi with the App Service variables Lapis prints: server connections carry Lapis\'s managed-identity token', { skip, timeout: 60_000 }, async () => {
  if (!build.ok) return;
  const standin = await startStandin(world, { answerFinack: true });
  const mi = world.lapis.ready.managedIdentity;
  const app = await startApp(world, build.dllPath, {
    LAPIS_APP_MODE: 'connection-string',
    LAPIS_CONNECTION_STRING: `Endpoint=${standin.origin};AuthType=azure.msi;Version=1.0;`,
    LAPIS_SERVER_CONNECTION_COUNT: '1',
    IDENTITY_ENDPOINT: mi.identityEndpoint,
    IDENTITY_HEADER: mi.identityHeader,
  });
  try {
    const conn = await standin.waitFor('a server connection', () => standin.connections.find((c) => c.messages.some((m) => m.type === 1)), 30_000);
    assert.equal(conn.tokenClaims?.aud, 'https://signalr.azure.com');
    assert.equal(conn.tokenClaims?.appid, mi.systemAssigned.clientId);
    assert.equal(conn.tokenClaims?.oid, mi.systemAssigned.objectId);
    const res = await fetch(`${app.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.equal(standin.accessKeyRequests[0]?.tokenClaims?.appid, mi.systemAssigned.clientId);
  } finally {
    await app.stop();
    await standin.stop();
  }
});
