// Seed 002 in the portal: a SignalR resource's blade (Overview, Keys, Settings), then Access control
// (IAM) → Add role assignment "SignalR App Server" to an app. It takes effect at once: the app's Entra
// token gets a temporary access key from the resource's data plane (GET /api/v1/auth/accessKey: 403
// before, 200 after). axe-core on each new page, screenshots in test-artifacts/portal/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const TENANT = '6e7f8091-a2b3-4c4d-9e5f-607182930415';
const SUB = '7f8091a2-b3c4-4d5e-8f60-718293041526';
const SR = `/subscriptions/${SUB}/resourceGroups/rg-seed2/providers/Microsoft.SignalRService/signalR/sr-seed2`;
const APP = { displayName: 'seed2-app-server', appId: '8091a2b3-c4d5-4e6f-8071-829304152637', secret: 'seed2-app-server-secret-0123456789' };

const w = portalWorld(() => ({
  config: {
    tenantId: TENANT, subscriptionId: SUB,
    applications: [{ displayName: APP.displayName, appId: APP.appId, passwordCredentials: [{ displayName: 'ci', secretText: APP.secret }] }],
    resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'sr-seed2', resourceGroup: 'rg-seed2' }],
  },
}));

/** What the app server SDK does with Entra: its token asks the resource for a temporary access key. */
async function accessKeyStatus(): Promise<number> {
  const credential = new ClientSecretCredential(TENANT, APP.appId, APP.secret, { authorityHost: w.lapis.ready.authorityHost, disableInstanceDiscovery: true });
  const token = (await credential.getToken('https://signalr.azure.com/.default'))!.token;
  const endpoint = w.lapis.ready.resources.find((r) => r.name === 'sr-seed2')!.endpoint!;
  const res = await fetch(new URL('/api/v1/auth/accessKey', endpoint), { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

test('seed 002 in the portal: the SignalR blade, then IAM "SignalR App Server" for an app; its Entra token then gets an access key (403 before, 200 after)', { skip: PORTAL_SKIP, timeout: 120_000 }, async () => {
  assert.equal(await accessKeyStatus(), 403, 'no role yet: the data plane refuses');
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'All resources' }).click();
    await page.getByRole('link', { name: 'sr-seed2', exact: true }).click();
    await page.getByTestId('resource-id').waitFor();
    assert.equal(await page.getByTestId('resource-id').inputValue(), SR);
    assert.equal(await page.getByTestId('endpoint').inputValue(), w.lapis.ready.resources.find((r) => r.name === 'sr-seed2')!.endpoint!.replace(/\/$/, ''));
    await shot(page, '20-signalr-overview');
    await assertAccessible(page, 'SignalR Overview');

    const menu = page.getByRole('tablist', { name: 'Resource menu' });
    await menu.getByRole('tab', { name: 'Keys' }).click();
    await page.getByTestId('primary-connection-string').waitFor();
    assert.equal(await page.getByTestId('primary-key').getAttribute('type'), 'password', 'hidden until Show');
    await page.getByRole('button', { name: 'Show Primary connection string' }).click();
    assert.match(await page.getByTestId('primary-connection-string').inputValue(), /^Endpoint=https:\/\/.*;AccessKey=.+;Version=1\.0;$/);
    assert.equal(await page.getByTestId('primary-connection-string').getAttribute('type'), 'text');
    await shot(page, '21-signalr-keys');
    await assertAccessible(page, 'SignalR Keys');

    await menu.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('form', { name: 'SignalR settings' }).waitFor();
    await page.getByRole('radio', { name: 'Serverless' }).check();
    await page.getByRole('button', { name: 'Add upstream template' }).click();
    await page.getByTestId('upstream-0-url').fill('https://upstream.example/api/{hub}/{category}/{event}');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await shot(page, '22-signalr-settings');
    await assertAccessible(page, 'SignalR Settings');
    // Back to Default mode for the app server seed 002 describes.
    await page.getByRole('radio', { name: 'Default' }).check();
    await page.getByRole('button', { name: 'Remove template' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    await menu.getByRole('tab', { name: 'Access control (IAM)' }).click();
    await page.getByRole('table', { name: 'Role assignments' }).waitFor();
    await page.getByRole('button', { name: 'Add role assignment' }).click();
    await page.getByTestId('role-search').fill('SignalR App');
    await page.getByTestId('role-select').selectOption({ label: 'SignalR App Server' });
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByTestId('member-select').selectOption({ label: `${APP.displayName} (app ${APP.appId})` });
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByTestId('review').waitFor();
    await page.getByRole('button', { name: 'Review + assign' }).click();
    const mine = page.getByTestId('assignment-row').filter({ hasText: APP.displayName });
    await mine.waitFor();
    assert.match(await mine.innerText(), /SignalR App Server[\s\S]*This resource/);
    await shot(page, '23-signalr-iam-app-server');
  } finally {
    await context.close();
  }
  const saved = w.lapis.node.access.listRoleAssignments({ scope: SR });
  assert.ok(saved.length >= 1);
  assert.equal(await accessKeyStatus(), 200, 'the role assigned in the portal took effect');
});
