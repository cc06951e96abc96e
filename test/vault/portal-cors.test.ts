/**
 * The portal calls each vault's own origin from the browser (as Azure's portal calls
 * `https://<vault>.vault.azure.net`): the vault answers CORS for the portal's origin only, and the
 * portal's CSP lets its scripts connect to the vaults' origins and nowhere else.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { portalCsp, PORTAL_CSP } from '../../src/portal/index.ts';

const T = '5c0b7c55-0000-4000-8000-0000000000a1';
const S = '5c0b7c55-0000-4000-8000-0000000000b1';
const RG = 'rg-cors';
const VAULT = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/kv-cors`;
const SECRET = 'kv-cors-secret-0123456789abcdefgh';

let lapis: TestLapis;
before(async () => {
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: [{ displayName: 'kv-cors-app', passwordCredentials: [{ secretText: SECRET }] }],
      resources: [{ type: 'Microsoft.KeyVault/vaults', name: 'kv-cors', resourceGroup: RG, secrets: [{ name: 'shown', value: 'v-1' }] }],
      roleAssignments: [{ principal: 'kv-cors-app', roleDefinitionName: 'Key Vault Secrets Officer', scope: VAULT }],
    },
  });
});
after(async () => { await lapis?.stop(); });

const vault = () => lapis.ready.resources.find((r) => r.name === 'kv-cors')!.vaultUri!.replace(/\/$/, '');
const portalOrigin = () => new URL(lapis.ready.portalUrl!).origin;
async function token(): Promise<string> {
  const app = lapis.node.identity.directory.findApplication('kv-cors-app')!;
  const c = new ClientSecretCredential(T, app.appId, SECRET, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
  return (await c.getToken('https://vault.azure.net/.default'))!.token;
}

test('a preflight from the portal origin is answered 204 without a token, naming what the portal sends', async () => {
  const res = await fetch(`${vault()}/secrets/shown?api-version=7.4`, {
    method: 'OPTIONS', headers: { origin: portalOrigin(), 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), portalOrigin());
  assert.match(res.headers.get('access-control-allow-methods')!, /PUT/);
  assert.match(res.headers.get('access-control-allow-headers')!, /authorization/);
  assert.match(res.headers.get('access-control-allow-headers')!, /content-type/);
  assert.match(res.headers.get('vary')!, /Origin/);
});

test('any other origin gets no CORS headers: its preflight is the vault\'s 405, its calls carry no allow-origin', async () => {
  for (const origin of ['https://evil.example', 'https://localhost:1', 'null']) {
    const res = await fetch(`${vault()}/secrets?api-version=7.4`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    assert.equal(res.status, 405, origin);
    assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'BadParameter');
  }
  const res = await fetch(`${vault()}/secrets?api-version=7.4`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${await token()}` } });
  assert.equal(res.status, 200, 'the call itself is authorised as usual; the browser withholds the answer');
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  // An OPTIONS that is no preflight (no Access-Control-Request-Method) is refused too.
  const plain = await fetch(`${vault()}/secrets?api-version=7.4`, { method: 'OPTIONS', headers: { origin: portalOrigin() } });
  assert.equal(plain.status, 405);
});

test('calls from the portal origin: answers, errors and the 401 challenge carry the allow-origin (the challenge header exposed)', async () => {
  const bearer = await token();
  const ok = await fetch(`${vault()}/secrets/shown?api-version=7.4`, { headers: { origin: portalOrigin(), authorization: `Bearer ${bearer}` } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), portalOrigin());
  assert.equal(((await ok.json()) as { value: string }).value, 'v-1');
  const missing = await fetch(`${vault()}/secrets/nope?api-version=7.4`, { headers: { origin: portalOrigin(), authorization: `Bearer ${bearer}` } });
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('access-control-allow-origin'), portalOrigin());
  const anon = await fetch(`${vault()}/secrets?api-version=7.4`, { headers: { origin: portalOrigin() } });
  assert.equal(anon.status, 401);
  assert.equal(anon.headers.get('access-control-allow-origin'), portalOrigin());
  assert.match(anon.headers.get('access-control-expose-headers')!, /WWW-Authenticate/);
});

test('the portal pages\' CSP lets scripts connect to this node\'s vault origins only', async () => {
  const res = await fetch(lapis.ready.portalUrl!);
  const csp = res.headers.get('content-security-policy')!;
  const connect = /connect-src ([^;]+)/.exec(csp)![1]!.split(' ');
  assert.deepEqual(connect, ["'self'", vault()]);
  assert.equal(portalCsp([]), PORTAL_CSP);
  assert.equal(portalCsp(['javascript:alert(1)', "https://x 'unsafe-eval'"]), PORTAL_CSP, 'only plain https origins are added');
});
