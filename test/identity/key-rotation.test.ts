// Signing-key rotation with overlap (issue 3: "JWKS with key rotation and overlap"): the next key
// is published before it signs, the replaced key stays published while its tokens live, and
// tokens of both keys verify with jose against the JWKS. Lapis has no public rotation API yet, so
// the rotation is triggered through the in-process node the harness exposes
// (`lapis.node.identity.keys.rotate`); everything observed is over HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import { WEBPUBSUB, discovery, getJson, host, peek, postForm, scrubAzureEnv } from './support.ts';

const TENANT = 'a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9cc1';
const APP = { appId: 'b8c9d0e1-f2a3-4b4c-9d5e-6f7a8b9c0dc2', secret: 'rotation-app-secret-text-c2' };

let lapis: TestLapis;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({ config: { tenantId: TENANT, applications: [{ displayName: 'rotation-app', appId: APP.appId, passwordCredentials: [{ secretText: APP.secret }] }] } });
});

after(async () => {
  await lapis?.stop();
});

async function token(): Promise<string> {
  const res = await postForm(`${host(lapis.ready)}/${TENANT}/oauth2/token`, { grant_type: 'client_credentials', client_id: APP.appId, client_secret: APP.secret, resource: WEBPUBSUB });
  assert.equal(res.status, 200, res.text);
  return res.json.access_token as string;
}

async function jwks(): Promise<{ kid: string; n: string; e: string; x5t?: string; x5c?: string[] }[]> {
  const doc = await discovery(lapis.ready, TENANT, '1.0');
  const res = await getJson(doc.jwks_uri);
  assert.equal(res.status, 200);
  return res.json.keys;
}

/**
 * Verifies against a JWKS fetched now. The issuer names the authority host the token was issued
 * under (a restart with port 0 may move it), so it is taken from the token's own era.
 */
async function verifyFresh(t: string, issuer?: string): Promise<void> {
  const doc = await discovery(lapis.ready, TENANT, '1.0');
  await jwtVerify(t, createRemoteJWKSet(new URL(doc.jwks_uri)), { issuer: issuer ?? doc.issuer, audience: WEBPUBSUB, algorithms: ['RS256'], clockTolerance: 300 });
}

test('JWKS entries: kid = x5t = base64url SHA-1 of the x5c certificate, whose key is the published n/e', { timeout: 30_000 }, async () => {
  for (const k of await jwks()) {
    if (!k.x5c) continue;
    const der = Buffer.from(k.x5c[0]!, 'base64');
    const jwk = new X509Certificate(der).publicKey.export({ format: 'jwk' });
    assert.equal(jwk.n, k.n, 'x5c certificate key matches n');
    assert.equal(jwk.e, k.e, 'x5c certificate key matches e');
    const sha1 = createHash('sha1').update(der).digest('base64url');
    if (k.x5t !== undefined) assert.equal(k.x5t, sha1, 'x5t is the SHA-1 thumbprint');
    assert.equal(k.kid, sha1, 'kid equals the thumbprint, as Entra');
  }
});

test('a rotation publishes the next key ahead, switches signing, and keeps the old key published', { timeout: 60_000 }, async () => {
  const before1 = await token();
  const kid1 = String(peek(before1).header.kid);

  // Planned rotation: the next key appears in the JWKS now but does not sign yet.
  const kid2 = await lapis.node.identity.keys.rotate(10 * 60_000);
  assert.notEqual(kid2, kid1);
  let kids = (await jwks()).map((k) => k.kid);
  assert.ok(kids.includes(kid1) && kids.includes(kid2), `both keys published ahead of the switch: ${kids.join(', ')}`);
  assert.equal(peek(await token()).header.kid, kid1, 'the current key still signs during the lead time');

  // Immediate rotation: a new key signs at once; earlier keys stay published.
  const kid3 = await lapis.node.identity.keys.rotate(0);
  const after1 = await token();
  assert.equal(peek(after1).header.kid, kid3, 'the new key signs');
  kids = (await jwks()).map((k) => k.kid);
  assert.ok(kids.includes(kid1), `the replaced key stays published while its tokens live: ${kids.join(', ')}`);
  await verifyFresh(before1);
  await verifyFresh(after1);

  // The rotation survives a restart.
  const issuerBefore = String(peek(before1).payload.iss);
  await lapis.restart();
  const afterRestart = await token();
  assert.equal(peek(afterRestart).header.kid, kid3);
  await verifyFresh(before1, issuerBefore);
  await verifyFresh(afterRestart);
});
