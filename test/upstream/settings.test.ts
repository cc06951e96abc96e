/** Event handler settings and Key Vault resource config: what is refused at configuration time, with the path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventHandlerSettingsSchema, parseKeyVaultReference } from '../../src/upstream/index.ts';
import { keyVaultResourceSchema } from '../../src/vault/index.ts';

function issues(value: unknown): { path: string; message: string }[] {
  const r = eventHandlerSettingsSchema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

test('valid handler lists parse', () => {
  assert.deepEqual(issues([
    { urlTemplate: 'http://127.0.0.1:3000/api/webpubsub/hubs/{hub}/{event}', userEventPattern: '*', systemEvents: ['connect', 'connected', 'disconnected'] },
    { urlTemplate: 'https://app.example.com/x?hub={HUB}&e={Event}', userEventPattern: 'a, b,c', auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } } },
    { urlTemplate: 'https://app.example.com/runtime/webhooks?code={@Microsoft.KeyVault(SecretUri=https://kv-1.vault.azure.net/secrets/code)}', userEventPattern: 'message' },
    { urlTemplate: '{@Microsoft.KeyVault(SecretUri=https://localhost:9005/secrets/whole-url/0123456789abcdef0123456789abcdef)}', systemEvents: [] },
    { urlTemplate: 'http://localhost/{event}', auth: { type: 'None' } },
  ]), []);
});

test('bad templates, patterns, events and auth are refused with the path and a reason', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ urlTemplate: 'http://{hub}.example.com/x' }, '0.urlTemplate', /not allowed in the host/],
    [{ urlTemplate: 'http://app/{connectionId}' }, '0.urlTemplate', /unknown placeholder '\{connectionId\}'/],
    [{ urlTemplate: 'ftp://app/{event}' }, '0.urlTemplate', /http:\/\/ or https:\/\//],
    [{ urlTemplate: 'app/{event}' }, '0.urlTemplate', /not an absolute URL/],
    [{ urlTemplate: 'http://app/{event' }, '0.urlTemplate', /unbalanced/],
    [{ urlTemplate: 'http://app/x#frag' }, '0.urlTemplate', /fragment/],
    [{ urlTemplate: 'http://app/?c={@Microsoft.KeyVault(VaultName=kv;SecretName=x)}' }, '0.urlTemplate', /SecretUri=https/],
    [{ urlTemplate: 'http://app/?c={@Microsoft.KeyVault(SecretUri=http://kv/secrets/x)}' }, '0.urlTemplate', /must be an https/],
    [{ urlTemplate: 'http://app/?c={@Microsoft.KeyVault(SecretUri=https://kv/keys/x)}' }, '0.urlTemplate', /secrets\/<name>/],
    [{ urlTemplate: 'http://app/?c={@Microsoft.KeyVault(SecretUri=https://kv/secrets/bad_name)}' }, '0.urlTemplate', /not a Key Vault secret name/],
    [{ urlTemplate: 'http://app/?c={@Microsoft.KeyVault(SecretUri=https://kv/secrets/ok/v1)}' }, '0.urlTemplate', /not a Key Vault secret version/],
    [{ urlTemplate: 'http://app/', userEventPattern: 'a,,b' }, '0.userEventPattern', /empty event name/],
    [{ urlTemplate: 'http://app/', userEventPattern: 'chat*' }, '0.userEventPattern', /only allowed alone/],
    [{ urlTemplate: 'http://app/', systemEvents: ['connect', 'message'] }, '0.systemEvents.1', /connect, connected, disconnected/],
    [{ urlTemplate: 'http://app/', systemEvents: ['connect', 'connect'] }, '0.systemEvents', /twice/],
    [{ urlTemplate: 'http://app/', auth: { type: 'ManagedIdentity', managedIdentity: { resource: '' } } }, '0.auth.managedIdentity.resource', /Microsoft Graph/],
    [{ urlTemplate: 'http://app/', auth: { type: 'ManagedIdentity', managedIdentity: { resource: '   ' } } }, '0.auth.managedIdentity.resource', /Microsoft Graph/],
    [{ urlTemplate: 'http://app/', auth: { type: 'ManagedIdentity' } }, '0.auth.managedIdentity', /.+/],
    [{ urlTemplate: 'http://app/', auth: { type: 'Basic' } }, '0.auth.type', /.+/],
    [{ urlTemplate: 'http://app/', extra: 1 }, '0', /extra/],
  ];
  for (const [handler, path, message] of cases) {
    const found = issues([handler]);
    assert.ok(found.some((i) => i.path === path && message.test(i.message)), `${JSON.stringify(handler)} → ${JSON.stringify(found)}`);
  }
});

test('Key Vault references parse into vault origin, name and version', () => {
  assert.deepEqual(parseKeyVaultReference('SecretUri=https://localhost:9005/secrets/upstream-key/'), {
    secretUri: 'https://localhost:9005/secrets/upstream-key', vaultOrigin: 'https://localhost:9005', name: 'upstream-key', version: undefined,
  });
  assert.equal(parseKeyVaultReference('SecretUri=https://kv.vault.azure.net/secrets/a/0123456789ABCDEF0123456789abcdef').version, '0123456789ABCDEF0123456789abcdef');
});

test('Key Vault resource config: valid names, permissions, unique secrets', () => {
  const ok = keyVaultResourceSchema.safeParse({
    type: 'Microsoft.KeyVault/vaults', name: 'kv-1', resourceGroup: 'rg-1', properties: { enableRbacAuthorization: true },
    secrets: [{ name: 'upstream-key', value: 'text' }],
  });
  assert.equal(ok.success, true);
  const bad = (v: unknown) => {
    const r = keyVaultResourceSchema.safeParse(v);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  // Access-policy vaults are allowed; an unknown permission is not (test/vault/access-policies.test.ts has the rest).
  assert.match(bad({ type: 'Microsoft.KeyVault/vaults', name: 'kv-1', resourceGroup: 'rg', properties: { enableRbacAuthorization: false, accessPolicies: [{ principal: 'app', permissions: { secrets: ['read'] } }] } }).join(), /accessPolicies.0.permissions.secrets.0: 'read' is not a secrets permission/);
  assert.match(bad({ type: 'Microsoft.KeyVault/vaults', name: 'k', resourceGroup: 'rg' }).join(), /name: expected a vault name/);
  assert.match(bad({ type: 'Microsoft.KeyVault/vaults', name: 'kv--1', resourceGroup: 'rg' }).join(), /name: expected a vault name/);
  assert.match(bad({ type: 'Microsoft.KeyVault/vaults', name: 'kv-1', resourceGroup: 'rg', secrets: [{ name: 'a_b', value: '' }] }).join(), /secrets.0.name/);
  assert.match(bad({ type: 'Microsoft.KeyVault/vaults', name: 'kv-1', resourceGroup: 'rg', secrets: [{ name: 'A', value: '' }, { name: 'a', value: '' }] }).join(), /declared twice/);
  assert.match(bad({ type: 'Microsoft.KeyVault/vaults', name: 'kv-1', resourceGroup: 'rg', accessPolicies: [] }).join(), /accessPolicies/);
});
