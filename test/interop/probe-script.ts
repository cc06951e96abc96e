// Exploratory probe of the real .NET app-server SDK against the recording stand-in; prints a
// transcript. Usage: node test/interop/probe-script.ts <scenario>   (see the switch below)
import { buildDotnetApp } from './dotnet-app.ts';
import { startProbeWorld, startStandin, entraEnv, startApp, openClient, invoke, SECRET_APP, CERT_APP, TENANT } from './default-mode-probe.ts';
import { describe } from './service-standin.ts';
import type { StandinOptions } from './service-standin.ts';
import { decodeJwt, decodeProtectedHeader } from 'jose';

const scenario = process.argv[2] ?? 'basic';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const short = (m: unknown[]) => describe(m.map((x) => (typeof x === 'string' && x.length > 120 ? `<${x.length} chars: ${JSON.stringify(decodeJwtSafe(x))}>` : x)));
function decodeJwtSafe(t: string) { try { return { h: decodeProtectedHeader(t), p: decodeJwt(t) }; } catch { return t.slice(0, 40); } }

const build = await buildDotnetApp();
if (!build.ok) { console.log('SKIP', build.reason); process.exit(0); }
const world = await startProbeWorld();
const opts: StandinOptions & { plain?: boolean } = {};
if (scenario === 'http' || scenario === 'cs-http') opts.plain = true;
if (scenario === 'key403') opts.accessKey = () => ({ status: 403, body: '{"error":{"code":"Forbidden","message":"no role"}}' });
if (scenario === 'key401') opts.accessKey = () => ({ status: 401, body: '' });
if (scenario === 'noping') opts.pingIntervalMs = 0;
if (scenario === 'finack' || scenario === 'more' || scenario === 'secondary' || scenario === 'servicepings') opts.answerFinack = true;
if (scenario === 'reject401') opts.rejectUpgrade = 401;
if (scenario === 'nohandshake') { opts.handshakeResponse = null; opts.pingIntervalMs = 0; }
if (scenario === 'hserror') opts.handshakeResponse = [2, 'refused by probe'];
const standin = await startStandin(world, opts);
const standin2 = scenario === 'secondary' ? await startStandin(world, { answerFinack: true }) : scenario === 'two' ? await startStandin(world, { ackStatus: 2 }) : undefined;
let env = entraEnv(world, standin.origin, standin2?.origin);
if (scenario.startsWith('cs')) env = { LAPIS_APP_MODE: 'connection-string', LAPIS_CONNECTION_STRING: `Endpoint=${standin.origin};AccessKey=probe-access-key-0123456789abcdef0123;Version=1.0;` };
if (scenario === 'cs-app' || scenario === 'cs-cert' || scenario === 'cs-msi') {
  // Identity-based connection strings: no option can set an authority host, only AZURE_AUTHORITY_HOST.
  const auth = scenario === 'cs-app' ? `AuthType=azure.app;ClientId=${SECRET_APP.appId};ClientSecret=${SECRET_APP.secret};TenantId=${TENANT};`
    : scenario === 'cs-cert' ? `AuthType=azure.app;ClientId=${CERT_APP.appId};ClientCert=${world.cert.pemPath};TenantId=${TENANT};`
    : 'AuthType=azure.msi;';
  env.LAPIS_CONNECTION_STRING = `Endpoint=${standin.origin};${auth}Version=1.0;`;
  env.AZURE_AUTHORITY_HOST = world.lapis.ready.authorityHost;
  if (scenario === 'cs-msi') {
    env.IDENTITY_ENDPOINT = world.lapis.ready.managedIdentity.identityEndpoint;
    env.IDENTITY_HEADER = world.lapis.ready.managedIdentity.identityHeader;
  }
  env.LAPIS_SERVER_CONNECTION_COUNT = '1';
}
if (scenario === 'two' || scenario === 'secondary') env.LAPIS_SERVER_CONNECTION_COUNT = '2';
if (scenario === 'secondary') env.LAPIS_ENDPOINT_2_TYPE = 'Secondary';
const app = await startApp(world, build.dllPath, env);
const t0 = Date.now();
try {
  await sleep(Number(process.env.WAIT ?? 3000));
  for (const s of [standin, standin2]) {
    if (!s) continue;
    console.log('standin', s.origin, 'connections', s.connections.length);
    for (const c of s.connections) console.log(' ', c.id, c.url, JSON.stringify({ ...c.headers, authorization: undefined }), JSON.stringify(c.tokenHeader), JSON.stringify(c.tokenClaims), 'first frame', c.firstFrameHex);
  }
  if (scenario === 'inband-first') {
    for (const c of standin.connections) c.send([29, 'inband-kid', 'inband-key-0123456789abcdef0123456789', null, null, {}]);
    await sleep(500);
  }
  const neg = await fetch(`${app.url}/chat/negotiate?negotiateVersion=1&user=alice&name=Alice&role=admin`, { method: 'POST' });
  const text = await neg.text();
  console.log('negotiate', neg.status, JSON.stringify(text));
  try { const t = JSON.parse(text).accessToken; console.log('  client token', JSON.stringify(decodeProtectedHeader(t)), JSON.stringify(decodeJwt(t))); } catch {}
  for (const s of [standin, standin2]) if (s) console.log('rejected upgrades', JSON.stringify(s.rejectedUpgrades));
  for (const s of [standin, standin2]) if (s) console.log('accessKey requests', JSON.stringify(s.accessKeyRequests.map((a) => ({ at: a.at, url: a.url, appid: a.tokenClaims?.appid, aud: a.tokenClaims?.aud }))));
  if (scenario === 'mixed') {
    const conn = standin.connections[0]!;
    openClient(conn, 'cj', { 'asrs.s.uid': 'u1' }, 'json');
    openClient(conn, 'cm', { 'asrs.s.uid': 'u2' }, 'messagepack');
    await sleep(800);
    invoke(conn, 'cj', 'Broadcast', ['to-all']);
    invoke(conn, 'cj', 'Echo', ['x'.repeat(30_000)]);
    await sleep(1500);
    for (const c of standin.connections) console.log('frameLog', c.id, JSON.stringify(c.frameLog.filter((f) => f.size > 1000 || f.completed !== 1)));
  }
  if (scenario === 'more') {
    const conn = standin.connections[0]!;
    openClient(conn, 'm1', { 'asrs.s.uid': 'u1' });
    openClient(conn, 'm2', { 'asrs.s.uid': 'u2' });
    await sleep(800);
    invoke(conn, 'm1', 'SendToOthers', ['o']);
    invoke(conn, 'm1', 'JoinGroup', ['g1']);
    await sleep(300);
    invoke(conn, 'm1', 'SendToOthersInGroup', ['g1', 'oig']);
    invoke(conn, 'm1', 'SendToGroups', [['g1', 'g2'], 'gs']);
    invoke(conn, 'm1', 'SendToUsers', [['u1', 'u2'], 'us']);
    await sleep(500);
    const ask = fetch(`${app.url}/api/ask/m2?question=q1`, { method: 'POST' });
    const inv = await standin.waitFor('ClientInvocation', () => standin.allMessages().find((m) => m.type === 34));
    console.log('client invocation seen on conn', inv.conn);
    const [, invocationId, connectionId, callerServerId] = inv.msg as [number, string, string, string];
    const frame = new TextEncoder().encode(`${JSON.stringify({ type: 3, invocationId: JSON.parse(new TextDecoder().decode((inv.msg[4] as Record<string, Uint8Array>).json).split('\x1e')[0] ?? '{}').invocationId, result: 'a1' })}\x1e`);
    standin.connections[inv.conn - 1]!.send([35, invocationId, connectionId, callerServerId, 'json', frame, {}]);
    const answer = await ask;
    console.log('ask answered', answer.status, await answer.text());
    invoke(conn, 'm2', 'Abort', []);
    await sleep(1000);
  }
  if (scenario === 'serviceerror' || scenario === 'drop') {
    const conn = standin.connections[0]!;
    openClient(conn, 'd1', { 'asrs.s.uid': 'u1' });
    await sleep(800);
    if (scenario === 'serviceerror') conn.send([15, 'probe service error']);
    else conn.close(1000);
    await sleep(3000);
    invoke(conn, 'd1', 'Echo', ['after']);
    await sleep(1000);
    console.log('connections now', standin.connections.length, standin.connections.map((c) => `${c.id}:${c.closed ? 'closed ' + c.closed.code : 'open'}`).join(' '));
  }
  if (scenario === 'servicepings') {
    const conn = standin.connections[0]!;
    conn.send([99, 'unknown type', {}]);
    conn.send([20, 12345, 1, '', {}]); // an Ack nobody waits for
    conn.send([3, 'echo', 'hello']);
    conn.send([3, 'servers', '']);
    conn.send([3, 'target', 'probe-target']);
    await sleep(2000);
    openClient(conn, 'e1', { 'asrs.s.uid': 'u1' });
    await sleep(500);
    invoke(conn, 'e1', 'Echo', ['still alive']);
    await sleep(1000);
    console.log('connections now', standin.connections.length, standin.connections.map((c) => `${c.id}:${c.url.replace(/cid=[^&]*/, 'cid=…')}:${c.closed ? 'closed' : 'open'}`).join(' '));
  }
  if (scenario === 'inband') {
    for (const c of standin.connections) c.send([29, 'inband-kid', 'inband-key-0123456789abcdef0123456789', null, null, {}]);
    await sleep(500);
    const n2 = await fetch(`${app.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    const t2 = JSON.parse(await n2.text()).accessToken;
    console.log('negotiate after [29]', n2.status, JSON.stringify(decodeProtectedHeader(t2)));
  }
  if (standin.connections.length && (scenario === 'basic' || scenario === 'finack' || scenario === 'claims' || scenario === 'two' || scenario.startsWith('cs'))) {
    const conn = standin.connections[0]!;
    const claims: Record<string, string> = scenario === 'claims'
      ? { 'asrs.s.uid': 'alice', 'asrs.s.aut': 'LapisTest', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier': 'alice', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'Alice', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': 'admin', custom: 'x' }
      : { 'asrs.s.uid': 'alice', nameid: 'alice', unique_name: 'Alice', role: 'admin' };
    openClient(conn, 'c1', claims);
    await sleep(800);
    invoke(conn, 'c1', 'Echo', ['hi']);
    invoke(conn, 'c1', 'WhoAmI', []);
    invoke(conn, 'c1', 'IsInRole', ['admin']);
    invoke(conn, 'c1', 'Broadcast', ['b']);
    invoke(conn, 'c1', 'JoinGroup', ['g1']);
    await sleep(800);
    invoke(conn, 'c1', 'SendToGroup', ['g1', 'm']);
    invoke(conn, 'c1', 'SendToUser', ['alice', 'u']);
    invoke(conn, 'c1', 'SendToCaller', ['c']);
    invoke(conn, 'c1', 'SendToConnection', ['c1', 'x']);
    invoke(conn, 'c1', 'LeaveGroup', ['g1']);
    await sleep(1000);
    await fetch(`${app.url}/api/broadcast?message=srv`, { method: 'POST' });
    await fetch(`${app.url}/api/users/alice?message=srvuser`, { method: 'POST' });
    await fetch(`${app.url}/api/groups/g1?message=srvgroup`, { method: 'POST' });
    await sleep(800);
    conn.send([5, 'c1', '', {}, {}]);
    await sleep(1000);
  }
  await sleep(Number(process.env.TAIL ?? 0));
} finally {
  console.log('stopping app at', Date.now() - t0);
  await app.stop(Number(process.env.KILL_AFTER ?? 10_000));
  console.log('app stopped at', Date.now() - t0);
  await sleep(300);
  for (const s of [standin, standin2]) {
    if (!s) continue;
    console.log('=== transcript', s.origin);
    for (const m of s.allMessages()) console.log(m.conn, m.at, m.dir, short(m.msg));
    for (const c of s.connections) console.log('closed', c.id, JSON.stringify(c.closed), 'frames', c.frames);
  }
  console.log('--- app output');
  console.log(app.output.filter((l) => !/Hosting.Diagnostics|EndpointMiddleware|ContentResult|OkObjectResult/.test(l)).join('\n'));
  await standin.stop();
  await standin2?.stop();
  await world.stop();
}
