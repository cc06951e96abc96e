/**
 * SignalR upstream templates with ManagedIdentity auth and Key Vault references, through the
 * shared transport: the app receives a bearer token for the configured audience that `jose`
 * verifies against Lapis's discovery document and JWKS; a `{@Microsoft.KeyVault(…)}` reference in
 * the URL is resolved with the resource's identity only when vault RBAC allows it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR_SECRET, VAULT_ID, principalOf, secretClient, sleep, startHarness, until, verifyUpstreamToken } from './support.ts';
import type { Harness } from './support.ts';
import { startSignalRServerless, startUpstreamApp } from './signalr-support.ts';
import type { UpstreamApp } from './signalr-support.ts';

let h: Harness;
let app: UpstreamApp;
before(async () => {
  h = await startHarness();
  h.rbac.grant(principalOf(h, 'kv-operator'), 'Key Vault Secrets Officer', VAULT_ID);
  app = await startUpstreamApp();
});
after(async () => {
  await app.close();
  await h.close();
});

/** The SignalR resource under test borrows the system-assigned identity of the world's 'chat' resource. */
const identityOf = () => h.lapis.node.identity.directory.getManagedIdentityOf(h.lapis.node.resources.get('chat')!.id)!;

test('ManagedIdentity auth: every request carries a bearer token for the audience that jose verifies', async (t) => {
  app.requests.length = 0;
  const mi = identityOf();
  const s = await startSignalRServerless(h, { getManagedIdentity: () => mi });
  t.after(() => s.stop());
  s.templates.push({ urlTemplate: `${app.url}/{hub}/api/{category}/{event}`, auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } } });
  const c = await s.connect('gina');
  assert.equal(await c.invoke('echo', 1), undefined);
  await c.stop();
  await until(() => app.requests.length >= 3, 5000, 'three requests');
  const auths = new Set(app.requests.map((q) => q.headers.authorization));
  assert.equal(auths.size, 1, 'one cached token serves every request');
  const bearer = String([...auths][0]);
  assert.match(bearer, /^Bearer /);
  const claims = await verifyUpstreamToken(h.lapis.ready.authorityHost, bearer.slice(7), 'api://upstream');
  assert.equal(claims.oid, mi.principalId);
  assert.equal(claims.appid, mi.clientId);
  assert.equal(String(claims.xms_mirid).toLowerCase(), h.lapis.node.resources.get('chat')!.id.toLowerCase());
  assert.deepEqual(s.upstream.status().map((x) => [x.index, x.status]), [[0, 'Resolved']]);
});

test('ManagedIdentity auth without an identity: nothing is sent, the waiting client gets an error, status says why', async (t) => {
  app.requests.length = 0;
  const s = await startSignalRServerless(h, { getManagedIdentity: () => undefined });
  t.after(() => s.stop());
  s.templates.push({ urlTemplate: `${app.url}/{event}`, auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } } });
  const c = await s.connect('hana');
  await assert.rejects(c.invoke('echo'), /Invocation failed, the upstream is not available\./);
  await sleep(50);
  assert.equal(app.requests.length, 0);
  const [st] = s.upstream.status();
  assert.equal(st!.status, 'Failed');
  assert.equal(st!.code, 'ManagedIdentityUnavailable');
});

test('a Key Vault reference in the URL reaches the app only once the identity may read the secret', async (t) => {
  app.requests.length = 0;
  const operator = secretClient(h, OPERATOR_SECRET, 'kv-operator');
  await operator.setSecret('signalr-code', 'code-SR-1');
  const mi = identityOf();
  const s = await startSignalRServerless(h, { getManagedIdentity: () => mi });
  t.after(() => s.stop());
  s.templates.push({ urlTemplate: `${app.url}/runtime/webhooks/signalr?code={@Microsoft.KeyVault(SecretUri=${h.vaultUri}/secrets/signalr-code)}` });
  const c = await s.connect('ida');

  await assert.rejects(c.invoke('echo'), /Invocation failed, the upstream is not available\./);
  assert.equal(app.requests.length, 0, 'nothing reached a half-resolved URL');
  const [denied] = s.upstream.status();
  assert.equal(denied!.code, 'KeyVaultReferenceFailed');
  assert.match(denied!.reason!, /403/);

  h.rbac.grant(mi.principalId, 'Key Vault Secrets User', `${VAULT_ID}/secrets/signalr-code`);
  await sleep(100); // past keyVaultRetryFailedMs
  assert.equal(await c.invoke('echo'), undefined);
  const q = app.requests.at(-1)!;
  assert.equal(q.path, '/runtime/webhooks/signalr');
  assert.equal(q.search, '?code=code-SR-1');
  assert.equal(q.headers['x-asrs-event'], 'echo');
  assert.equal(s.upstream.status()[0]!.status, 'Resolved');
  assert.ok(!h.logs.some((l) => l.includes('code-SR-1')), 'the secret is never logged');

  // The secret changes: the vault tells the upstream, the next request uses the new value.
  await operator.setSecret('signalr-code', 'code-SR-2');
  s.upstream.keyVaultChanged(h.vaultUri);
  assert.equal(await c.invoke('echo'), undefined);
  assert.equal(app.requests.at(-1)!.search, '?code=code-SR-2');
});
