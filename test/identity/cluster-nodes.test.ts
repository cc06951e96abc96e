// Identity across nodes (issue 13): what one node writes or decides, the other node honours at
// once: apps and secrets, deleted secrets, the signing keys (JWKS) before and after a rotation,
// client-assertion replay detection and smart-lockout counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createClientCert, removeCertFiles } from '../helpers/certs.ts';
import { assertionClaims, signJwt } from './support.ts';
import { TENANT, entraError, secretGrant, startCluster, tokenRequest, tokenUrl, WEBPUBSUB_SCOPE } from './cluster-support.ts';

const WEBPUBSUB = 'https://webpubsub.azure.com';

test('an app and secret created on node A authenticate on node B; a secret deleted on A fails on B right after', async () => {
  const c = await startCluster();
  try {
    const app = await c.a.directory.upsertApplication(TENANT, { displayName: 'made-on-a' });
    const { credential, secretText } = await c.a.directory.addPassword(app.appId);
    assert.ok(c.b.directory.getApplication(TENANT, app.appId), 'B knows the app');
    assert.ok(c.b.directory.servicePrincipal(app.appId), 'and its service principal');
    const res = await tokenRequest(c.b, secretGrant(app.appId, secretText));
    assert.equal(typeof res.access_token, 'string');

    assert.equal(await c.a.directory.removePassword(app.appId, credential.keyId), true);
    const err = await entraError(tokenRequest(c.b, secretGrant(app.appId, secretText)));
    assert.equal(err.aadsts, 7000215, err.message);

    assert.equal(await c.a.directory.deleteApplication(app.appId), true);
    assert.equal(c.b.directory.getApplication(TENANT, app.appId), undefined, 'a deleted app is gone on B');
    assert.equal(c.b.directory.servicePrincipal(app.appId), undefined);
  } finally {
    await c.stop();
  }
});

test('users, tenants, managed identities and directory admins written on A are seen on B', async () => {
  const c = await startCluster();
  try {
    const user = await c.a.directory.upsertUser(TENANT, { userPrincipalName: 'Ann@cluster.example', password: 'Ann-password-1!' });
    assert.equal(c.b.directory.getUser('ann@cluster.example')?.id, user.id);
    await c.a.directory.upsertTenant({ id: '5e7a9c1e-3d4f-4a6b-8c0d-2e4f6a8b0c15', domains: ['other.example'], isDefault: false });
    assert.equal((c.b.directory.resolveTenant('other.example') as { id: string }).id, '5e7a9c1e-3d4f-4a6b-8c0d-2e4f6a8b0c15');
    const mi = await c.a.directory.ensureManagedIdentity({ type: 'UserAssigned', resourceId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x', name: 'x', tenantId: TENANT });
    assert.equal(c.b.directory.findManagedIdentity({ clientId: mi.clientId })?.principalId, mi.principalId);
    assert.equal(c.b.directory.servicePrincipal(mi.clientId)?.id, mi.principalId);
    await c.a.directory.grantDirectoryAdmin(mi.principalId);
    assert.equal(c.b.directory.isDirectoryAdmin(mi.principalId), true);
    assert.equal(await c.a.directory.deleteManagedIdentity(mi.resourceId), true);
    assert.equal(c.b.directory.findManagedIdentity({ clientId: mi.clientId }), undefined);
    assert.equal(c.b.directory.servicePrincipal(mi.clientId), undefined, 'its service principal went with it');
  } finally {
    await c.stop();
  }
});

test('a token issued by A verifies on B (one JWKS), also after a rotation on A', async () => {
  const c = await startCluster();
  try {
    assert.deepEqual(c.b.keys.jwks().keys.map((k) => k.kid), c.a.keys.jwks().keys.map((k) => k.kid), 'one key ring');
    assert.equal(c.a.keys.jwks().keys.length, 1, 'two nodes starting at once on a new store make one key, not two');
    const app = await c.a.directory.upsertApplication(TENANT, { displayName: 'rotating', passwordCredentials: [{ secretText: 'Rotating-secret-1!' }] });
    const before = String((await tokenRequest(c.a, secretGrant(app.appId, 'Rotating-secret-1!'))).access_token);
    const verified = await c.b.verifier.verify(before, { audiences: [WEBPUBSUB] });
    assert.equal(verified.tenantId, TENANT);

    const newKid = await c.a.keys.rotate(0);
    assert.ok(c.b.keys.jwks().keys.some((k) => k.kid === newKid), 'the new key is in B\'s JWKS');
    assert.equal(c.b.keys.current().kid, newKid, 'and signs on B too');
    const after = String((await tokenRequest(c.a, secretGrant(app.appId, 'Rotating-secret-1!'))).access_token);
    assert.equal(decodeProtectedHeader(after).kid, newKid);
    await c.b.verifier.verify(after, { audiences: [WEBPUBSUB] });
    await c.b.verifier.verify(before, { audiences: [WEBPUBSUB] });
    // What a validator does with B's published JWKS.
    await jwtVerify(after, createLocalJWKSet(c.b.keys.jwks() as never), { algorithms: ['RS256'] });
  } finally {
    await c.stop();
  }
});

test('a client assertion A accepted is refused as a replay on B (AADSTS50013)', async () => {
  const c = await startCluster({ lockout: { threshold: 100 } });
  const cert = await createClientCert('cluster-assertion');
  try {
    const app = await c.a.directory.upsertApplication(TENANT, { displayName: 'asserting', keyCredentials: [{ key: cert.certPem }] });
    const assertion = signJwt({ alg: 'PS256', typ: 'JWT', 'x5t#S256': cert.x5tS256 }, assertionClaims(app.appId, tokenUrl), cert.privateKey);
    const form = {
      grant_type: 'client_credentials', client_id: app.appId, scope: WEBPUBSUB_SCOPE,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
    };
    assert.equal(typeof (await tokenRequest(c.a, form)).access_token, 'string');
    const err = await entraError(tokenRequest(c.b, form));
    assert.equal(err.aadsts, 50013);
    assert.match(err.message, /already been used/);

    // Sent to both nodes at once, a fresh assertion is accepted exactly once.
    const twice = signJwt({ alg: 'PS256', typ: 'JWT', 'x5t#S256': cert.x5tS256 }, assertionClaims(app.appId, tokenUrl), cert.privateKey);
    const results = await Promise.allSettled([c.a, c.b].map((n) => tokenRequest(n, { ...form, client_assertion: twice })));
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  } finally {
    await c.stop();
    removeCertFiles();
  }
});

test('failed sign-ins split across A and B add up and lock the user on both (AADSTS50053)', async () => {
  const c = await startCluster({ lockout: { threshold: 4, durationSeconds: 60 } });
  try {
    const cli = await c.a.directory.upsertApplication(TENANT, { displayName: 'cli', isFallbackPublicClient: true });
    await c.a.directory.upsertUser(TENANT, { userPrincipalName: 'bob@cluster.example', password: 'Bob-password-2!' });
    const grant = (password: string) => ({ grant_type: 'password', client_id: cli.appId, scope: WEBPUBSUB_SCOPE, username: 'bob@cluster.example', password });

    for (const node of [c.a, c.b, c.a]) assert.equal((await entraError(tokenRequest(node, grant('wrong')))).aadsts, 50126);
    const locking = await entraError(tokenRequest(c.b, grant('wrong')));
    assert.equal(locking.aadsts, 50053, 'the fourth failure, on B, locks: the counter is shared');
    for (const node of [c.a, c.b]) {
      const err = await entraError(tokenRequest(node, grant('Bob-password-2!')));
      assert.equal(err.aadsts, 50053, 'locked on both nodes, even with the right password');
      assert.ok(err.retryAfter && err.retryAfter > 0);
    }
  } finally {
    await c.stop();
  }
});

test('a success clears the shared counter: failures before it do not count on the other node', async () => {
  const c = await startCluster({ lockout: { threshold: 3, durationSeconds: 60 } });
  try {
    const app = await c.a.directory.upsertApplication(TENANT, { displayName: 'clears', passwordCredentials: [{ secretText: 'Clears-secret-3!' }] });
    for (const node of [c.a, c.b]) assert.equal((await entraError(tokenRequest(node, secretGrant(app.appId, 'nope')))).aadsts, 7000215);
    await tokenRequest(c.a, secretGrant(app.appId, 'Clears-secret-3!'));
    for (const node of [c.b, c.a]) assert.equal((await entraError(tokenRequest(node, secretGrant(app.appId, 'nope')))).aadsts, 7000215, 'counting starts over');
    assert.equal((await entraError(tokenRequest(c.b, secretGrant(app.appId, 'nope')))).aadsts, 50053);
  } finally {
    await c.stop();
  }
});
