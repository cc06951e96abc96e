// The interactive flows' state on two identity nodes sharing one store: a code issued by one node
// is redeemed on the other exactly once, a refresh token rotated on one is spent on both, and a
// device code approved through one is answered to a device polling the other.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { TENANT, WEBPUBSUB_SCOPE, entraError, startCluster, tokenRequest, type Cluster } from './cluster-support.ts';

const APP = '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9ca1';
const REDIRECT = 'http://localhost:41000/';
let cluster: Cluster;
let userId: string;

before(async () => {
  cluster = await startCluster();
  await cluster.a.directory.upsertApplication(TENANT, { displayName: 'desktop', appId: APP, isFallbackPublicClient: true, publicClient: { redirectUris: ['http://localhost'] } });
  userId = (await cluster.a.directory.upsertUser(TENANT, { userPrincipalName: 'kim@cluster.example', password: 'Kim-password-a2!' })).id;
});

after(async () => {
  await cluster?.stop();
});

const grant = () => ({ tenantId: TENANT, clientId: APP, userId, scope: `${WEBPUBSUB_SCOPE} openid offline_access`, authTime: Math.floor(Date.now() / 1000), publicClient: true });

async function codeOnA(): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const code = await cluster.a.interactiveState.issueCode(grant(), { redirectUri: REDIRECT, codeChallenge: challenge });
  return { code, verifier };
}

const redeem = (node: Cluster['a'], c: { code: string; verifier: string }) => tokenRequest(node, {
  grant_type: 'authorization_code', client_id: APP, code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT, scope: WEBPUBSUB_SCOPE,
});

test('a code issued on A is redeemed on B; redeemed on A and B at once, exactly one gets tokens (AADSTS54005 for the other)', async () => {
  const first = await redeem(cluster.b, await codeOnA());
  assert.equal(typeof first.access_token, 'string');
  const c = await codeOnA();
  const results = await Promise.allSettled([redeem(cluster.a, c), redeem(cluster.b, c)]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one redemption wins');
  const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.equal(lost.reason.aadsts, 54005);
});

test('a refresh token rotated on B is spent on A too; reusing it there revokes the family on both (AADSTS50173)', async () => {
  const rt1 = String((await redeem(cluster.a, await codeOnA())).refresh_token);
  const refresh = (node: Cluster['a'], token: string) => tokenRequest(node, { grant_type: 'refresh_token', client_id: APP, refresh_token: token, scope: WEBPUBSUB_SCOPE });
  const rt2 = String((await refresh(cluster.b, rt1)).refresh_token);
  assert.equal((await entraError(refresh(cluster.a, rt1))).aadsts, 50173);
  assert.equal((await entraError(refresh(cluster.b, rt2))).aadsts, 50173);
});

test('a device code started on A and approved through B is answered to the device polling A, once', async () => {
  const { deviceCode, record } = await cluster.a.interactiveState.startDevice({ tenantId: TENANT, clientId: APP, scope: `${WEBPUBSUB_SCOPE} openid offline_access`, publicClient: true });
  const poll = (node: Cluster['a']) => tokenRequest(node, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: APP, device_code: deviceCode });
  assert.equal((await entraError(poll(cluster.a))).error, 'authorization_pending');
  const found = await cluster.b.interactiveState.deviceByUserCode(record.userCode.toLowerCase());
  assert.equal(found?.id, record.id, 'the user code is found on B, in any case');
  assert.equal(await cluster.b.interactiveState.decideDevice(record.id, { approve: true, userId, authTime: Math.floor(Date.now() / 1000) }), true);
  cluster.a.interactiveState.now = () => Date.now() + 10_000; // past the polling interval
  try {
    const ok = await poll(cluster.a);
    assert.equal(typeof ok.access_token, 'string');
    assert.equal((await entraError(poll(cluster.b))).aadsts, 54005);
  } finally {
    cluster.a.interactiveState.now = Date.now;
  }
});
