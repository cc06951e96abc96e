/**
 * Key Vault references in an event handler URL template, resolved with the resource's managed
 * identity through the vault's RBAC: no event reaches the app until the identity may read the
 * secret; a changed secret is picked up; the resolved URL is never logged nor shown in status.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR_SECRET, VAULT_ID, principalOf, secretClient, sleep, startExpressApp, startHarness, startUpstreamResource, within } from './support.ts';
import type { Harness } from './support.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
  h.rbac.grant(principalOf(h, 'kv-operator'), 'Key Vault Secrets Officer', VAULT_ID);
});
after(async () => { await h.close(); });

test('a handler URL holding a Key Vault reference reaches the app only when the identity may read the secret', async () => {
  const operator = secretClient(h, OPERATOR_SECRET, 'kv-operator');
  let expected = 'code-AAA-7f3c9e1b';
  await operator.setSecret('upstream-code', expected);

  const codes: string[] = [];
  const app = await startExpressApp('chat', { handleConnect: (_req, res) => res.success() }, (req, res, next) => {
    const code = String(req.query.code ?? '');
    codes.push(code);
    if (code !== expected) { res.status(401).end('bad code'); return; }
    next();
  });
  const r = await startUpstreamResource(h, 'chat', {
    timing: { requestTimeoutMs: 3000, retryDelaysMs: [], validationTimeoutMs: 1000, keyVaultRetryFailedMs: 50, keyVaultRefreshMs: 60_000 },
  });
  const record = h.lapis.node.resources.get('chat')!;
  const mi = h.lapis.node.identity.directory.getManagedIdentityOf(record.id)!;
  try {
    r.handlers.chat = [{
      urlTemplate: `${app.url}/eventhandler/{event}?code={@Microsoft.KeyVault(SecretUri=${h.vaultUri}/secrets/upstream-code)}`,
      systemEvents: ['connect'],
    }];

    // Not authorised yet: the connection is refused and nothing is sent to a half-resolved URL.
    await assert.rejects(within(r.client('chat').start()));
    assert.equal(app.requests.length, 0);
    const [failed] = r.upstream.status('chat');
    assert.equal(failed!.status, 'Failed');
    assert.match(failed!.reason!, /not authorized to read secret 'upstream-code'.*403 ForbiddenByRbac.*Key Vault Secrets User/);
    const denied = h.rbac.checks.find((c) => c.principalId === mi.principalId)!;
    assert.deepEqual(denied, { principalId: mi.principalId, action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', scope: `${VAULT_ID}/secrets/upstream-code`, allowed: false });

    // Grant the system identity "Key Vault Secrets User" on that secret: events flow.
    h.rbac.grant(mi.principalId, 'Key Vault Secrets User', `${VAULT_ID}/secrets/upstream-code`);
    await sleep(100);
    const c1 = r.client('chat');
    await within(c1.start());
    c1.stop();
    assert.deepEqual(app.requests.map((q) => `${q.method} ${q.path}`), ['OPTIONS /eventhandler/validate', 'POST /eventhandler/connect']);
    assert.deepEqual(codes, [expected, expected]);
    assert.equal(r.upstream.status('chat')[0]!.status, 'Validated');

    // The secret changes: the vault tells the dispatcher, the next event uses (and validates) the new URL.
    const reads = r.upstream.keyVault.reads;
    expected = 'code-BBB-2d8a6f40';
    await operator.setSecret('upstream-code', expected);
    const c2 = r.client('chat');
    await within(c2.start());
    c2.stop();
    assert.equal(r.upstream.keyVault.reads, reads + 1);
    assert.deepEqual(codes.slice(2), [expected, expected], 'validation and connect with the new code');

    // Nothing secret in logs or status.
    const status = JSON.stringify(r.upstream.status('chat'));
    assert.match(status, /\{@Microsoft\.KeyVault\(SecretUri=/);
    for (const secret of ['code-AAA-7f3c9e1b', 'code-BBB-2d8a6f40']) {
      assert.equal(status.includes(secret), false);
      assert.equal(h.logs.some((l) => l.includes(secret)), false, `${secret} appears in a log line`);
    }
  } finally {
    await r.close();
    await app.close();
  }
});

test('references to a vault this Lapis does not serve, or to a missing secret, fail without sending the token', async () => {
  const r = await startUpstreamResource(h, 'chat-ua');
  const app = await startExpressApp('chat', { handleConnect: (_req, res) => res.success() });
  try {
    r.handlers.foreign = [{ urlTemplate: `${app.url}/eventhandler/{event}?code={@Microsoft.KeyVault(SecretUri=https://kv-1.vault.azure.net/secrets/x)}`, systemEvents: ['connect'] }];
    await assert.rejects(within(r.client('foreign').start()));
    assert.match(r.upstream.status('foreign')[0]!.reason!, /not a vault served by this Lapis/);

    const ua = h.lapis.node.identity.directory.findManagedIdentity({ resourceId: h.lapis.node.resources.get('chat-ua')!.identity.userAssignedIdentity! })!;
    h.rbac.grant(ua.principalId, 'Key Vault Secrets User', VAULT_ID);
    r.handlers.missing = [{ urlTemplate: `${app.url}/eventhandler/{event}?code={@Microsoft.KeyVault(SecretUri=${h.vaultUri}/secrets/no-such-secret)}`, systemEvents: ['connect'] }];
    await assert.rejects(within(r.client('missing').start()));
    assert.match(r.upstream.status('missing')[0]!.reason!, /does not exist \(404 SecretNotFound\)/);
    assert.equal(app.requests.length, 0);
  } finally {
    await r.close();
    await app.close();
  }
});
