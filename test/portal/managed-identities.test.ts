// Managed Identities in the portal (headless Chromium, as the bootstrap administrator): Create a
// user-assigned identity (resource group, region, name) → its Overview shows Client ID, Object
// (principal) ID and resource ID; the resource Identity blade's User assigned → Add lists it; the IAM
// wizard's Members step offers it under "Managed identity"; then, with unmodified SDKs, the identity
// (ManagedIdentityCredential with its client id) sends through WebPubSubServiceClient, which the
// assignment made in the portal allows. axe-core on each page.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagedIdentityCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { scrubAzureEnv } from '../identity/support.ts';
import { RG, world } from '../control/support.ts';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const T = 'e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a81';
const S = 'e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a82';
const WPS = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/webPubSub/chat-mi`;
const NEW_ID = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/portal-identity`;


const w = portalWorld(() => ({ config: world(T, S, [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat-mi', resourceGroup: RG }]) }), undefined, (lapis) => {
  process.env.IDENTITY_ENDPOINT = lapis.ready.managedIdentity.identityEndpoint;
  process.env.IDENTITY_HEADER = lapis.ready.managedIdentity.identityHeader;
});

after(async () => {
  scrubAzureEnv();
});

test('Managed Identities: Create, Overview ids, attach to a resource, assign a role through the wizard; the identity then sends with the SDK', { skip: PORTAL_SKIP, timeout: 150_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'Managed Identities' }).click();
    await page.getByRole('table', { name: 'Managed identities' }).getByRole('link', { name: 'uami-1' }).waitFor();
    await assertAccessible(page, 'Managed Identities');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('identity-rg').fill(RG);
    await page.getByLabel('Region').selectOption('westeurope');
    await page.getByTestId('identity-name').fill('portal-identity');
    await assertAccessible(page, 'Create User Assigned Managed Identity');
    await page.getByRole('button', { name: 'Review + create' }).click();

    await page.getByTestId('identity-client-id').waitFor();
    const clientId = await page.getByTestId('identity-client-id').inputValue();
    const principalId = await page.getByTestId('identity-principal-id').inputValue();
    assert.equal(await page.getByTestId('identity-resource-id').inputValue(), NEW_ID);
    const mi = w.lapis.node.identity.directory.findManagedIdentity({ resourceId: NEW_ID })!;
    assert.equal(mi.clientId, clientId);
    assert.equal(mi.principalId, principalId);
    assert.equal(mi.location, 'westeurope');
    await shot(page, '80-managed-identity-overview');
    await assertAccessible(page, 'Managed identity Overview');

    // The resource's Identity blade → User assigned → Add lists the new identity.
    await page.goto(`${portalUrl}#/resource/${encodeURIComponent(WPS)}/identity`);
    await page.getByRole('tab', { name: 'User assigned' }).click();
    await page.getByRole('button', { name: 'Add' }).click();
    const pick = page.getByTestId('user-identity-select');
    await pick.locator('option', { hasText: 'portal-identity' }).waitFor({ state: 'attached' });
    await pick.selectOption({ label: `portal-identity (${RG})` });
    await page.getByRole('form', { name: 'Add user assigned managed identity' }).getByRole('button', { name: 'Add' }).click();
    await page.getByTestId('user-identity-row').filter({ hasText: clientId }).waitFor();
    const record = w.lapis.node.resources.get('chat-mi');
    assert.equal(record?.identity.userAssignedIdentity?.toLowerCase(), NEW_ID.toLowerCase());

    // IAM on the resource → Add role assignment → Web PubSub Service Owner → Managed identity → User-assigned → the new one.
    await page.goto(`${portalUrl}#/iam/${encodeURIComponent(WPS)}`);
    await page.getByRole('button', { name: 'Add role assignment' }).click();
    await page.getByTestId('role-select').selectOption({ label: 'Web PubSub Service Owner' });
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('radio', { name: 'Managed identity' }).check();
    await page.getByTestId('mi-kind').selectOption('mi-user');
    const member = page.getByTestId('member-select');
    await member.locator('option', { hasText: 'portal-identity' }).waitFor({ state: 'attached' });
    await member.selectOption(principalId);
    await assertAccessible(page, 'Add role assignment: Members (managed identity)');
    await shot(page, '81-add-role-assignment-managed-identity');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Review + assign' }).click();
    await page.getByTestId('assignment-row').filter({ hasText: 'portal-identity' }).waitFor();

    const endpoint = w.lapis.ready.resources!.find((r) => r.name === 'chat-mi')!.endpoint!;
    const client = new WebPubSubServiceClient(endpoint, new ManagedIdentityCredential({ clientId }), 'chat');
    await client.sendToAll('hello from a portal-made identity', { contentType: 'text/plain' });
  } finally {
    await context.close();
  }
});
