// The Key vault blades, seed 004's way: "grant secret read permissions for the managed identity by
// using access policies". The administrator signs in, gives themself Key Vault Secrets Officer in the
// vault's Access control (IAM), creates a secret and a new version in Secrets, shows its value, deletes,
// recovers and purges another; switches Access configuration to Vault access policy; gives the Web
// PubSub resource's managed identity Get on secrets with the access-policy wizard; and puts a
// `{@Microsoft.KeyVault(SecretUri=…)}` reference into a hub's event handler URL. An SDK client's
// connect then reaches the handler at the URL resolved from the secret; once the policy is deleted in
// the portal, delivery fails with KeyVaultReferenceFailed. A Reader (with Key Vault Reader) sees
// and cannot create, show, delete or change access. axe-core on every page.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { createLogger } from '../../src/log/index.ts';
import { startExpressApp, until, within, type ExpressApp } from '../upstream/support.ts';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const T = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e';
const S = 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f';
const DOMAIN = 'contoso-kv.onmicrosoft.com';
const RG = `/subscriptions/${S}/resourceGroups/rg-kv`;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-portal`;
const READ_VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-read`;
const WPS = `${RG}/providers/Microsoft.SignalRService/webPubSub/chat-kv`;
const RITA = { userPrincipalName: `rita@${DOMAIN}`, displayName: 'Rita Reader', password: 'Rita-password-kv-91!', id: 'd3e4f5a6-b7c8-4d9e-8f1a-2b3c4d5e6f70' };
const CHECKER = { displayName: 'kv-checker', secret: 'kv-checker-secret-0123456789abcdef' };

let app: ExpressApp;
const logs: string[] = [];
const connects: { code?: string }[] = [];

const w = portalWorld(() => ({
  log: createLogger({ level: 'warn', destination: { write: (line: string) => { logs.push(line); } } }),
  config: {
    tenantId: T, subscriptionId: S, domains: [DOMAIN], users: [RITA],
    applications: [{ displayName: CHECKER.displayName, passwordCredentials: [{ secretText: CHECKER.secret }] }],
    resources: [
      { type: 'Microsoft.SignalRService/webPubSub', name: 'chat-kv', resourceGroup: 'rg-kv', identity: { type: 'SystemAssigned' } },
      { type: 'Microsoft.KeyVault/vaults', name: 'kv-portal', resourceGroup: 'rg-kv', properties: { enableRbacAuthorization: true } },
      { type: 'Microsoft.KeyVault/vaults', name: 'kv-read', resourceGroup: 'rg-kv', secrets: [{ name: 'visible', value: 'reader-cannot-see-this' }] },
    ],
    roleAssignments: [
      { principal: CHECKER.displayName, roleDefinitionName: 'Key Vault Secrets Officer', scope: RG },
      { principal: RITA.id, roleDefinitionName: 'Reader', scope: `/subscriptions/${S}` },
      { principal: RITA.id, roleDefinitionName: 'Key Vault Reader', scope: READ_VAULT },
    ],
  },
}), async () => {
  app = await startExpressApp('chat', {
    handleConnect: (req, res) => { res.success({ userId: req.context.userId }); },
  }, (req, _res, next) => {
    if (req.method === 'POST' && req.headers['ce-eventname'] === 'connect') connects.push({ code: String(req.query.code ?? '') });
    next();
  });
});

after(async () => {
  await app?.close();
});

const vaultUri = (name: string) => w.lapis.ready.resources.find((r) => r.name === name)!.vaultUri!;
const checker = (name: string) => {
  const appId = w.lapis.node.identity.directory.findApplication(CHECKER.displayName)!.appId;
  const credential = new ClientSecretCredential(T, appId, CHECKER.secret, { authorityHost: w.lapis.ready.authorityHost, disableInstanceDiscovery: true });
  return new SecretClient(vaultUri(name), credential, { disableChallengeResourceVerification: true });
};
const menu = (page: Page) => page.getByRole('tablist', { name: 'Resource menu' });

/** Fills Azure's "Create a secret" form and submits it. */
async function createSecret(page: Page, value: string, name?: string, contentType?: string): Promise<void> {
  if (name) await page.getByTestId('secret-name').fill(name);
  await page.getByTestId('secret-value').fill(value);
  if (contentType) await page.getByTestId('secret-content-type').fill(contentType);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
}

async function connectOnce(): Promise<void> {
  const service = new WebPubSubServiceClient(w.lapis.ready.resources.find((r) => r.name === 'chat-kv')!.connectionString!, 'chat');
  const client = new WebPubSubClient((await service.getClientAccessToken({ userId: 'kv-user' })).url, { autoReconnect: false } as never);
  try {
    await within(client.start(), 10_000, 'client start');
  } finally {
    client.stop();
  }
}

test('Key vault blades: secrets, versions, show value, delete/recover/purge; access policies give the Web PubSub identity Get for a Key Vault reference; deleting the policy stops delivery', { skip: PORTAL_SKIP, timeout: 240_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const admin = w.lapis.node.bootstrapUser!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const mi = w.lapis.node.identity.directory.getManagedIdentityOf(WPS)!;
  try {
    await signIn(page, portalUrl, admin);
    // Key vaults → kv-portal → Overview: the Vault URI.
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'Key vaults' }).click();
    await page.getByRole('table', { name: 'Key vaults' }).waitFor();
    assert.match(await page.getByRole('table', { name: 'Key vaults' }).innerText(), /kv-portal[\s\S]*Azure role-based access control[\s\S]*kv-read/);
    await assertAccessible(page, 'Key vaults');
    await page.getByRole('link', { name: 'kv-portal', exact: true }).click();
    await page.getByTestId('vault-uri').waitFor();
    assert.equal(await page.getByTestId('vault-uri').inputValue(), vaultUri('kv-portal'));
    await shot(page, '50-keyvault-overview');
    await assertAccessible(page, 'Key vault Overview');

    // Owner has no data actions: Secrets answers the vault's 403 until a Key Vault role is assigned.
    await menu(page).getByRole('tab', { name: 'Secrets' }).click();
    await page.getByTestId('error-bar').waitFor();
    assert.match(await page.getByTestId('error-bar').innerText(), /403 Forbidden[\s\S]*Caller is not authorized/);
    // Access control (IAM) → Add role assignment → Key Vault Secrets Officer for myself.
    await menu(page).getByRole('tab', { name: 'Access control (IAM)' }).click();
    await page.getByRole('button', { name: 'Add role assignment' }).click();
    await page.getByTestId('role-search').fill('Key Vault Secrets');
    await page.getByTestId('role-select').selectOption({ label: 'Key Vault Secrets Officer' });
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    const me = await page.locator('[data-testid=member-select] option', { hasText: admin.userPrincipalName }).getAttribute('value');
    await page.getByTestId('member-select').selectOption(me!);
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('button', { name: 'Review + assign' }).click();
    await page.getByTestId('assignment-row').filter({ hasText: 'Key Vault Secrets Officer' }).filter({ hasText: admin.userPrincipalName }).waitFor();
    await page.getByRole('link', { name: 'kv-portal' }).click();

    // Secrets → + Generate/Import → Create; then the secret's versions → + New version.
    await menu(page).getByRole('tab', { name: 'Secrets' }).click();
    await page.getByRole('table', { name: 'Secrets' }).waitFor();
    await page.getByRole('button', { name: '+ Generate/Import' }).click();
    await page.getByTestId('secret-name').fill('upstream-code');
    await page.getByTestId('secret-value').fill('code-v1');
    await page.getByTestId('secret-content-type').fill('text/plain');
    await page.getByTestId('secret-set-exp').check();
    await page.getByTestId('secret-exp').fill('2099-12-31T23:00');
    await shot(page, '51-keyvault-create-secret');
    await assertAccessible(page, 'Create a secret');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const row = page.getByTestId('secret-row').filter({ hasText: 'upstream-code' });
    await row.waitFor();
    assert.match(await row.innerText(), /text\/plain[\s\S]*Enabled[\s\S]*2099/);
    await assertAccessible(page, 'Key vault Secrets');
    const v1 = await checker('kv-portal').getSecret('upstream-code');
    assert.equal(v1.value, 'code-v1');
    assert.equal(v1.properties.contentType, 'text/plain');
    assert.equal(v1.properties.expiresOn?.getUTCFullYear(), 2099);

    await row.getByRole('link', { name: 'upstream-code' }).click();
    await page.getByRole('table', { name: 'Current version' }).waitFor();
    await page.getByRole('button', { name: '+ New version' }).click();
    await createSecret(page, 'code-v2');
    await until(async () => (await page.getByTestId('version-row').count()) === 2, 10_000, 'two versions');
    await shot(page, '52-keyvault-secret-versions');
    await assertAccessible(page, 'Secret versions');
    const current = await checker('kv-portal').getSecret('upstream-code');
    assert.equal(current.value, 'code-v2', 'the new version is the current one');
    assert.match(await page.getByRole('table', { name: 'Current version' }).innerText(), new RegExp(current.properties.version!));

    // The current version → Show Secret Value (a data-plane GET from the w.browser, with the user's vault token).
    await page.getByRole('table', { name: 'Current version' }).getByRole('link').click();
    await page.getByTestId('secret-identifier').waitFor();
    assert.equal(await page.getByTestId('secret-identifier').inputValue(), `${vaultUri('kv-portal')}secrets/upstream-code/${current.properties.version}`);
    assert.notEqual(await page.getByTestId('secret-shown-value').inputValue(), 'code-v2', 'not shown until asked');
    const vaultGets: string[] = [];
    page.on('request', (r) => { if (r.url().startsWith(vaultUri('kv-portal')) && r.method() === 'GET') vaultGets.push(r.url()); });
    await page.getByRole('button', { name: 'Show Secret Value' }).click();
    await until(async () => (await page.getByTestId('secret-shown-value').inputValue()) === 'code-v2', 10_000, 'the value shown');
    assert.ok(vaultGets.some((u) => u.includes(`/secrets/upstream-code/${current.properties.version}?`)), 'the value came from the vault\'s own origin');
    await shot(page, '53-keyvault-show-secret-value');
    await assertAccessible(page, 'Secret version');

    // Another secret: Delete → Manage deleted secrets → Recover; Delete again → Purge.
    await menu(page).getByRole('tab', { name: 'Secrets' }).click();
    await page.getByRole('button', { name: '+ Generate/Import' }).click();
    await createSecret(page, 'short-lived', 'temp-secret');
    await page.getByTestId('secret-row').filter({ hasText: 'temp-secret' }).waitFor();
    await page.getByRole('button', { name: 'Delete temp-secret' }).click();
    await page.getByTestId('confirm-delete').getByRole('button', { name: 'Yes' }).click();
    await page.getByTestId('secret-row').filter({ hasText: 'temp-secret' }).waitFor({ state: 'detached' });
    assert.equal((await checker('kv-portal').getDeletedSecret('temp-secret')).name, 'temp-secret');
    await page.getByRole('button', { name: 'Manage deleted secrets' }).click();
    await page.getByTestId('deleted-row').filter({ hasText: 'temp-secret' }).waitFor();
    await shot(page, '54-keyvault-deleted-secrets');
    await assertAccessible(page, 'Manage deleted secrets');
    await page.getByRole('button', { name: 'Recover temp-secret' }).click();
    await page.getByTestId('deleted-row').filter({ hasText: 'temp-secret' }).waitFor({ state: 'detached' });
    await until(async () => (await checker('kv-portal').getSecret('temp-secret').then((s) => s.value, () => undefined)) === 'short-lived', 10_000, 'recovered');
    await page.getByRole('link', { name: 'Back to Secrets' }).click();
    await page.getByRole('button', { name: 'Delete temp-secret' }).click();
    await page.getByTestId('confirm-delete').getByRole('button', { name: 'Yes' }).click();
    await page.getByTestId('secret-row').filter({ hasText: 'temp-secret' }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Manage deleted secrets' }).click();
    await page.getByRole('button', { name: 'Purge temp-secret' }).click();
    await page.getByTestId('confirm-purge').getByRole('button', { name: 'Yes' }).click();
    await page.getByTestId('deleted-row').filter({ hasText: 'temp-secret' }).waitFor({ state: 'detached' });
    await assert.rejects(checker('kv-portal').getDeletedSecret('temp-secret'), (e: { statusCode?: number }) => e.statusCode === 404);
    await assert.rejects(checker('kv-portal').getSecret('temp-secret'), (e: { statusCode?: number }) => e.statusCode === 404);

    // Access configuration → Vault access policy → Apply: roles stop counting at once.
    await menu(page).getByRole('tab', { name: 'Access configuration' }).click();
    await page.getByRole('radio', { name: 'Vault access policy' }).check();
    await shot(page, '55-keyvault-access-configuration');
    await assertAccessible(page, 'Access configuration');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('The permission model is now Vault access policy.').waitFor();
    await assert.rejects(checker('kv-portal').getSecret('upstream-code'), (e: { statusCode?: number; details?: { error?: { innerError?: { code?: string } } } }) =>
      e.statusCode === 403 && e.details?.error?.innerError?.code === 'ForbiddenByPolicy');

    // Access policies → + Create: Permissions (Secret: Get) → Principal (the Web PubSub identity) → Review + create.
    await menu(page).getByRole('tab', { name: 'Access policies' }).click();
    await page.getByRole('table', { name: 'Access policies' }).waitFor();
    await page.getByRole('button', { name: '+ Create' }).click();
    await page.getByRole('checkbox', { name: 'Secret permissions: Get' }).check();
    await shot(page, '56-keyvault-policy-permissions');
    await assertAccessible(page, 'Create an access policy: Permissions');
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByTestId('policy-principal-search').fill(mi.principalId);
    await page.getByTestId('principal-row').filter({ hasText: mi.principalId }).getByRole('button').click();
    await assertAccessible(page, 'Create an access policy: Principal');
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByTestId('policy-review').waitFor();
    assert.match(await page.getByTestId('policy-review').innerText(), new RegExp(`Secret permissions: Get[\\s\\S]*${mi.principalId}`));
    await assertAccessible(page, 'Create an access policy: Review + create');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const policy = page.getByTestId('policy-row').filter({ hasText: 'chat-kv' });
    await policy.waitFor();
    assert.match(await policy.innerText(), /chat-kv[\s\S]*Get/);
    // Edit: add List; the row shows both.
    await page.getByRole('button', { name: /^Edit the access policy of chat-kv/ }).click();
    await page.getByRole('checkbox', { name: 'Secret permissions: List' }).check();
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await until(async () => /Get, List/.test(await policy.innerText()), 10_000, 'edited policy');
    await shot(page, '57-keyvault-access-policies');
    await assertAccessible(page, 'Access policies');
    const stored = w.lapis.node.resources.getVault('kv-portal')!.properties!;
    assert.equal(stored.enableRbacAuthorization, false);
    assert.deepEqual(stored.accessPolicies.map((p) => [p.objectId, p.permissions.secrets]), [[mi.principalId, ['get', 'list']]]);

    // The Web PubSub resource → Settings → Add hub with a Key Vault reference in the handler URL.
    await page.goto(`${portalUrl}#/resource/${encodeURIComponent(WPS)}/settings`);
    await page.getByRole('table', { name: 'Hubs' }).waitFor();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByTestId('hub-name').fill('chat');
    await page.getByTestId('handler-0-url').fill(`${app.url}/eventhandler/{event}?code={@Microsoft.KeyVault(SecretUri=${vaultUri('kv-portal')}secrets/upstream-code)}`);
    await page.getByTestId('handler-0-connect').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('hub-row').filter({ hasText: 'chat' }).waitFor();
  } catch (err) {
    await shot(page, '59-keyvault-failure').catch(() => {});
    await context.close();
    throw err;
  }

  // An SDK client connects: the handler gets `connect` at the URL resolved from the secret.
  await connectOnce();
  await until(() => connects.length > 0, 5000, 'connect event');
  assert.equal(connects[0]!.code, 'code-v2');

  // Delete the policy in the portal: the next connect fails, the log names KeyVaultReferenceFailed.
  try {
    await page.goto(`${portalUrl}#/resource/${encodeURIComponent(VAULT)}/access-policies`);
    await page.getByRole('button', { name: /^Delete the access policy of chat-kv/ }).click();
    await page.getByTestId('confirm-remove-policy').getByRole('button', { name: 'Yes' }).click();
    await page.getByTestId('policy-row').waitFor({ state: 'detached' });
  } finally {
    await context.close();
  }
  const before = connects.length;
  logs.length = 0;
  await assert.rejects(connectOnce());
  assert.equal(connects.length, before, 'no request reached a half-resolved URL');
  const failure = logs.map((l) => JSON.parse(l) as { msg?: string; code?: string; reason?: string }).find((l) => l.msg === 'event delivery failed');
  assert.equal(failure?.code, 'KeyVaultReferenceFailed');
  assert.match(failure!.reason!, /403/);
  assert.ok(!logs.some((l) => l.includes('code-v2')), 'the secret is never logged');
});

test('a Reader (with Key Vault Reader) sees the vault and its secrets\' metadata, and cannot show a value, create, delete or change access', { skip: PORTAL_SKIP, timeout: 120_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const bar = page.getByTestId('error-bar');
  try {
    await signIn(page, portalUrl, RITA);
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'All resources' }).click();
    await page.getByRole('link', { name: 'kv-read', exact: true }).click();
    await page.getByTestId('vault-uri').waitFor();
    await menu(page).getByRole('tab', { name: 'Secrets' }).click();
    await page.getByTestId('secret-row').filter({ hasText: 'visible' }).getByRole('link').click();
    await page.getByTestId('version-row').first().getByRole('link').click();
    await page.getByRole('button', { name: 'Show Secret Value' }).click();
    await bar.waitFor();
    assert.match(await bar.innerText(), /403 Forbidden[\s\S]*getSecret/);
    assert.notEqual(await page.getByTestId('secret-shown-value').inputValue(), 'reader-cannot-see-this');
    await shot(page, '58-keyvault-reader-show-denied');
    await assertAccessible(page, 'Secret version (Reader)');

    await menu(page).getByRole('tab', { name: 'Secrets' }).click();
    await page.getByRole('button', { name: '+ Generate/Import' }).click();
    await createSecret(page, 'nope', 'rita-was-here');
    await bar.waitFor();
    assert.match(await bar.innerText(), /403 Forbidden[\s\S]*setSecret/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Delete visible' }).click();
    await page.getByTestId('confirm-delete').getByRole('button', { name: 'Yes' }).click();
    await until(async () => /secrets\/delete/.test(await bar.innerText().catch(() => '')), 10_000, 'delete refused');
    await assertAccessible(page, 'Key vault Secrets (Reader)');

    await menu(page).getByRole('tab', { name: 'Access configuration' }).click();
    await page.getByRole('radio', { name: 'Vault access policy' }).check();
    await page.getByRole('button', { name: 'Apply' }).click();
    await bar.waitFor();
    assert.match(await bar.innerText(), /403 AuthorizationFailed[\s\S]*Microsoft\.KeyVault\/vaults\/write/);
    assert.ok(await bar.getByRole('link', { name: /Why\?/ }).isVisible(), 'the 403 offers Why?');
    await menu(page).getByRole('tab', { name: 'Access policies' }).click();
    await page.getByRole('button', { name: '+ Create' }).click();
    await page.getByRole('checkbox', { name: 'Secret permissions: Get' }).check();
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByTestId('policy-object-id').fill(RITA.id);
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await bar.waitFor();
    assert.match(await bar.innerText(), /403 AuthorizationFailed[\s\S]*accessPolicies\/write/);
    await assertAccessible(page, 'Access policies (Reader)');
  } catch (err) {
    await shot(page, '59-keyvault-reader-failure').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
  // Nothing changed: the secret is there, nothing was created, the vault still uses RBAC with no policies.
  assert.equal((await checker('kv-read').getSecret('visible')).value, 'reader-cannot-see-this');
  await assert.rejects(checker('kv-read').getSecret('rita-was-here'), (e: { statusCode?: number }) => e.statusCode === 404);
  const v = w.lapis.node.resources.getVault('kv-read')!.properties;
  assert.equal(v?.enableRbacAuthorization ?? true, true);
  assert.equal(v?.accessPolicies?.length ?? 0, 0);
});
