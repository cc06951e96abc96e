// Access control (IAM) above resources, in headless Chromium as the bootstrap administrator:
// Management groups → Tenant Root Group → IAM → assign Reader to an app; Subscriptions and Resource
// groups show it as "(Inherited)" with the scope it comes from, and the app (ClientSecretCredential)
// can now read a resource in the group through ARM. Roles tab: a built-in role's DataActions; a custom
// role made from scratch (DataActions, assignable scopes, JSON tab), assigned through the wizard,
// lets the app send to a group with WebPubSubServiceClient but not to everyone; it cannot be deleted
// while assigned, then is. axe-core on each page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ClientSecretCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { appToken, call } from '../access/arm-harness.ts';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const T = 'a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9ca1';
const S = 'a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9ca2';
const RG = 'rg-scopes';
const WPS = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/webPubSub/chat-scopes`;
const APP = { displayName: 'scoped-app', appId: 'a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9ca3', secret: 'Scoped-app-secret-0123456789' };
const GROUP_SEND = 'Microsoft.SignalRService/WebPubSub/group/send/action';

const w = portalWorld(() => ({
  config: {
    tenantId: T, subscriptionId: S,
    applications: [{ displayName: APP.displayName, appId: APP.appId, passwordCredentials: [{ secretText: APP.secret }] }],
    resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat-scopes', resourceGroup: RG }],
  },
}));

const credential = () => new ClientSecretCredential(T, APP.appId, APP.secret, { authorityHost: w.lapis.ready.authorityHost, disableInstanceDiscovery: true });
const readResource = async () => call(w.lapis.ready.managementEndpoint, 'GET', `${WPS}?api-version=2024-03-01`, await appToken(credential()));

/** The wizard: a role, then a user/app member picked from the list, then Review + assign. */
async function assign(page: Page, role: string, member: string): Promise<void> {
  await page.getByRole('button', { name: 'Add role assignment' }).click();
  await page.getByTestId('role-select').selectOption({ label: role });
  await page.getByRole('button', { name: 'Next' }).click();
  const select = page.getByTestId('member-select');
  await select.locator('option', { hasText: member }).waitFor({ state: 'attached' });
  await select.selectOption({ label: `${member} (app ${APP.appId})` });
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Review + assign' }).click();
}

test('IAM on the tenant root group, the subscription and a resource group: This resource vs (Inherited), and the assignment takes effect', { skip: PORTAL_SKIP, timeout: 150_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const nav = page.getByRole('navigation', { name: 'Portal navigation' });
  try {
    assert.equal((await readResource()).status, 403, 'no role yet');
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await nav.getByRole('link', { name: 'Management groups' }).click();
    await page.getByTestId('management-group-row').filter({ hasText: 'Tenant Root Group' }).waitFor();
    await assertAccessible(page, 'Management groups');
    await page.getByRole('link', { name: 'Tenant Root Group: Access control (IAM)' }).click();
    assert.match(await page.getByTestId('scope').innerText(), new RegExp(`/providers/Microsoft.Management/managementGroups/${T}`));
    await assign(page, 'Reader', APP.displayName);
    await page.getByTestId('assignment-row').filter({ hasText: APP.displayName }).filter({ hasText: 'This resource' }).waitFor();
    await shot(page, '84-iam-tenant-root-group');
    await assertAccessible(page, 'Tenant Root Group IAM');

    await nav.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByTestId('subscription-row').filter({ hasText: S }).waitFor();
    await assertAccessible(page, 'Subscriptions');
    await page.getByTestId('subscription-row').filter({ hasText: S }).getByRole('link').click();
    await page.getByTestId('assignment-row').filter({ hasText: APP.displayName }).filter({ hasText: 'Management group: Tenant Root Group (Inherited)' }).waitFor();
    await page.getByTestId('assignment-row').filter({ hasText: 'Root (/) (Inherited)' }).first().waitFor();

    await nav.getByRole('link', { name: 'Resource groups' }).click();
    await page.getByTestId('resource-group-row').filter({ hasText: RG }).waitFor();
    await assertAccessible(page, 'Resource groups');
    await page.getByRole('link', { name: `${RG}: Access control (IAM)` }).click();
    await page.getByTestId('assignment-row').filter({ hasText: APP.displayName }).filter({ hasText: '(Inherited)' }).waitFor();
    // An inherited assignment is removed where it was made, not here.
    assert.equal(await page.getByTestId('assignment-row').filter({ hasText: APP.displayName }).getByRole('button', { name: /Remove/ }).count(), 0);
    await shot(page, '85-iam-resource-group-inherited');
    await assertAccessible(page, 'Resource group IAM');

    assert.equal((await readResource()).status, 200, 'Reader inherited from the tenant root group reads the resource');
  } finally {
    await context.close();
  }
});

test('Roles: a built-in role\'s DataActions; a custom role from scratch is created, assigned, effective, and deleted once unassigned', { skip: PORTAL_SKIP, timeout: 150_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const sub = `/subscriptions/${S}`;
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.goto(`${portalUrl}#/iam/${encodeURIComponent(sub)}`);
    await page.getByRole('tab', { name: 'Roles' }).click();
    await page.getByTestId('roles-search').fill('Web PubSub Service Owner');
    await page.getByRole('button', { name: 'View Web PubSub Service Owner' }).click();
    assert.match(await page.getByTestId('role-dataActions').innerText(), /Microsoft\.SignalRService\/WebPubSub\/\*/);
    await assertAccessible(page, 'Roles with details');

    await page.getByRole('button', { name: 'Add custom role' }).click();
    await page.getByTestId('custom-role-name').fill('Portal Group Sender');
    await page.getByRole('tab', { name: 'Permissions' }).click();
    await page.getByTestId('custom-role-dataActions').fill(GROUP_SEND);
    await page.getByRole('tab', { name: 'Assignable scopes' }).click();
    assert.equal(await page.getByTestId('custom-role-scopes').inputValue(), sub);
    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = JSON.parse(await page.getByTestId('custom-role-json').inputValue());
    assert.deepEqual(json.properties.permissions[0].dataActions, [GROUP_SEND]);
    assert.deepEqual(json.properties.assignableScopes, [sub]);
    await shot(page, '86-custom-role-json');
    await assertAccessible(page, 'Create a custom role');
    await page.getByRole('region', { name: 'Create a custom role' }).getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('roles-search').fill('Portal Group Sender');
    await page.getByTestId('role-row').filter({ hasText: 'CustomRole' }).waitFor();

    await page.getByRole('tab', { name: 'Role assignments' }).click();
    await assign(page, 'Portal Group Sender', APP.displayName);
    await page.getByTestId('assignment-row').filter({ hasText: 'Portal Group Sender' }).waitFor();

    const endpoint = w.lapis.ready.resources!.find((r) => r.name === 'chat-scopes')!.endpoint!;
    const service = new WebPubSubServiceClient(endpoint, credential(), 'chat');
    await service.group('team').sendToAll('to the team', { contentType: 'text/plain' });
    await assert.rejects(service.sendToAll('to everyone', { contentType: 'text/plain' }), (e: { statusCode?: number }) => e.statusCode === 403);

    // Delete while assigned is refused with ARM's reason; after removing the assignment it goes.
    await page.getByRole('tab', { name: 'Roles' }).click();
    await page.getByTestId('roles-search').fill('Portal Group Sender');
    await page.getByRole('button', { name: 'View Portal Group Sender' }).click();
    page.on('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete custom role' }).click();
    await page.getByTestId('error-bar').filter({ hasText: 'RoleDefinitionHasAssignments' }).waitFor();
    await page.getByRole('tab', { name: 'Role assignments' }).click();
    await page.getByRole('button', { name: `Remove Portal Group Sender for ${APP.displayName}` }).click();
    await page.getByTestId('assignment-row').filter({ hasText: 'Portal Group Sender' }).waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'Roles' }).click();
    await page.getByTestId('roles-search').fill('Portal Group Sender');
    await page.getByRole('button', { name: 'View Portal Group Sender' }).click();
    await page.getByRole('button', { name: 'Delete custom role' }).click();
    await page.getByTestId('role-row').filter({ hasText: 'Portal Group Sender' }).waitFor({ state: 'detached' });
    assert.equal(w.lapis.node.access.roleDefinitions().some((d) => d.roleName === 'Portal Group Sender'), false);
  } finally {
    await context.close();
  }
});
