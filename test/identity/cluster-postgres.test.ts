// Identity across nodes (issue 13) on the real shared store: two IdentityService nodes, each on
// its own PostgresStore connection to one throwaway database, so changes travel by LISTEN/NOTIFY
// as between real nodes. Waits are bounded; they assert that a change arrives, not how fast.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { IdentityService } from '../../src/identity/index.ts';
import { createSealer, PostgresStore } from '../../src/store/index.ts';
import { createThrowawayDatabase, postgresUnavailable, type ThrowawayDatabase } from '../helpers/services.ts';
import { createClientCert, removeCertFiles } from '../helpers/certs.ts';
import { assertionClaims, signJwt } from './support.ts';
import { AUTHORITY, TENANT, WEBPUBSUB_SCOPE, entraError, secretGrant, tokenRequest, tokenUrl } from './cluster-support.ts';

const skip = (await postgresUnavailable()) ?? false;
let db: ThrowawayDatabase | undefined;
const stores: PostgresStore[] = [];
let a: IdentityService;
let b: IdentityService;

before(async () => {
  if (skip) return;
  db = await createThrowawayDatabase();
  const sealer = createSealer(randomBytes(32));
  for (const name of ['lapis-a', 'lapis-b']) stores.push(await PostgresStore.open(db.url, { applicationName: name }));
  [a, b] = stores.map((store) => new IdentityService({ store, sealer, authorityHost: AUTHORITY, lockout: { threshold: 4, durationSeconds: 60 } })) as [IdentityService, IdentityService];
  await Promise.all([a.start(), b.start()]);
  await a.directory.upsertTenant({ id: TENANT, isDefault: true, domains: ['cluster.example'] });
  await until('B knows the tenant', () => b.directory.getTenant(TENANT) !== undefined);
});

after(async () => {
  a?.stop();
  b?.stop();
  for (const s of stores) await s.close();
  await db?.drop();
  removeCertFiles();
});

/** Waits for another node's change to arrive (bounded: 5 s, then the test fails naming it). */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), `not seen within 5 s: ${what}`);
}

test('two nodes starting at once on a new PostgreSQL store make one signing key, published by both', { skip }, async () => {
  const rows = await stores[0]!.list<{ kid: string; privateKeyPem: string }>('identity.signingKey');
  assert.equal(rows.length, 1);
  assert.ok(rows[0]!.privateKeyPem.startsWith('lapis-sealed:v1:'), 'sealed in PostgreSQL');
  assert.deepEqual(b.keys.jwks().keys.map((k) => k.kid), [rows[0]!.kid]);
  assert.equal(a.keys.current().kid, b.keys.current().kid);
});

test('PostgreSQL: a secret added on A works on B; removed on A, it fails on B; a token from A verifies on B, also after a rotation', { skip }, async () => {
  const app = await a.directory.upsertApplication(TENANT, { displayName: 'pg-app' });
  const { credential, secretText } = await a.directory.addPassword(app.appId);
  await until('B has the secret', () => b.directory.getApplication(TENANT, app.appId)?.passwordCredentials.length === 1);
  const token = String((await tokenRequest(b, secretGrant(app.appId, secretText))).access_token);
  await a.verifier.verify(token, { audiences: ['https://webpubsub.azure.com'] });

  await a.directory.removePassword(app.appId, credential.keyId);
  await until('B dropped the secret', () => b.directory.getApplication(TENANT, app.appId)?.passwordCredentials.length === 0);
  assert.equal((await entraError(tokenRequest(b, secretGrant(app.appId, secretText)))).aadsts, 7000215);

  const kid = await a.keys.rotate(0);
  await until('B publishes and signs with the new key', () => b.keys.current().kid === kid);
  const fresh = await a.directory.addPassword(app.appId);
  await until('B has the new secret', () => b.directory.getApplication(TENANT, app.appId)?.passwordCredentials.length === 1);
  const after = String((await tokenRequest(a, secretGrant(app.appId, fresh.secretText))).access_token);
  await b.verifier.verify(after, { audiences: ['https://webpubsub.azure.com'] });
  await b.verifier.verify(token, { audiences: ['https://webpubsub.azure.com'] });
});

test('PostgreSQL: a client assertion is accepted once across both nodes, even sent to both at once', { skip }, async () => {
  const cert = await createClientCert('pg-assertion');
  const app = await a.directory.upsertApplication(TENANT, { displayName: 'pg-asserting', keyCredentials: [{ key: cert.certPem }] });
  await until('B has the app', () => b.directory.servicePrincipal(app.appId) !== undefined);
  const form = (assertion: string) => ({
    grant_type: 'client_credentials', client_id: app.appId, scope: WEBPUBSUB_SCOPE,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
  });
  const sign = () => signJwt({ alg: 'PS256', typ: 'JWT', 'x5t#S256': cert.x5tS256 }, assertionClaims(app.appId, tokenUrl), cert.privateKey);
  const once = sign();
  await tokenRequest(a, form(once));
  assert.equal((await entraError(tokenRequest(b, form(once)))).aadsts, 50013, 'no feed wait needed: the store decides');
  for (let i = 0; i < 5; i++) {
    const both = sign();
    const results = await Promise.allSettled([tokenRequest(a, form(both)), tokenRequest(b, form(both))]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'], `round ${i}`);
  }
});

test('PostgreSQL: failed sign-ins on A and B add up to a lockout that both nodes enforce', { skip }, async () => {
  const cli = await a.directory.upsertApplication(TENANT, { displayName: 'pg-cli', isFallbackPublicClient: true });
  await a.directory.upsertUser(TENANT, { userPrincipalName: 'pat@cluster.example', password: 'Pat-password-1!' });
  await until('B has the user and app', () => b.directory.getUser('pat@cluster.example') !== undefined && b.directory.getApplication(TENANT, cli.appId) !== undefined);
  const grant = (password: string) => ({ grant_type: 'password', client_id: cli.appId, scope: WEBPUBSUB_SCOPE, username: 'pat@cluster.example', password });
  for (const node of [a, b, a]) assert.equal((await entraError(tokenRequest(node, grant('wrong')))).aadsts, 50126);
  assert.equal((await entraError(tokenRequest(b, grant('wrong')))).aadsts, 50053, 'the fourth failure locks, wherever it lands');
  await until('A has the lockout', () => a.tokens.lockout.lockedFor(`${TENANT}|pat@cluster.example`) > 0);
  assert.equal((await entraError(tokenRequest(a, grant('Pat-password-1!')))).aadsts, 50053);
});

test('PostgreSQL: the same app or user declared on both nodes at once is created once', { skip }, async () => {
  const apps = await Promise.all([a, b].map((n) => n.directory.upsertApplication(TENANT, { displayName: 'pg-declared' })));
  assert.equal(apps[0]!.appId, apps[1]!.appId);
  const users = await Promise.all([a, b].map((n) => n.directory.upsertUser(TENANT, { userPrincipalName: 'kim@cluster.example', password: 'Kim-password-1!' })));
  assert.equal(users[0]!.id, users[1]!.id);
  const secrets = await Promise.all([a, b].map((n) => n.directory.addPassword(apps[0]!.appId)));
  await until('both secrets on both nodes', () => [a, b].every((n) => n.directory.getApplication(TENANT, apps[0]!.appId)?.passwordCredentials.length === 2));
  for (const s of secrets) await tokenRequest(b, secretGrant(apps[0]!.appId, s.secretText));
});
