// A Reader (Reader on the subscription, no directory role) across the blades this portal adds for
// Microsoft Entra ID and Access control: sees managed identities, role assignments and roles, and can
// change nothing — Add role assignment, Remove, Add custom role, Delete custom role and Delete identity
// are disabled (ARM's permissions API), a Create of an identity is refused with the 403 and its "Why?"
// link, and the directory blades (users, app credentials) show Graph's refusal. Nothing changed, as ARM
// and the directory confirm. axe-core on each page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const T = 'b8c9d0e1-f2a3-4b4c-9d5e-6f7a8b9c0db1';
const S = 'b8c9d0e1-f2a3-4b4c-9d5e-6f7a8b9c0db2';
const DOMAIN = 'contoso-reader.onmicrosoft.com';
const RG = 'rg-read';
const READER = { userPrincipalName: `rita@${DOMAIN}`, displayName: 'Rita Reader', password: 'Rita-password-42!', id: 'b8c9d0e1-f2a3-4b4c-9d5e-6f7a8b9c0db3' };
const APP = { displayName: 'read-only-app', appId: 'b8c9d0e1-f2a3-4b4c-9d5e-6f7a8b9c0db4' };
const UAMI = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-read`;
const CUSTOM = { roleName: 'Reader Test Custom', permissions: [{ actions: ['Microsoft.SignalRService/*/read'] }], assignableScopes: [`/subscriptions/${S}`] };

const w = portalWorld(() => ({
  config: {
    tenantId: T, subscriptionId: S, domains: [DOMAIN], users: [READER],
    applications: [{ displayName: APP.displayName, appId: APP.appId }],
    userAssignedIdentities: [{ name: 'uami-read', resourceGroup: RG }],
    resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat-read', resourceGroup: RG }],
    roleDefinitions: [CUSTOM],
    roleAssignments: [{ principal: READER.id, roleDefinitionName: 'Reader', scope: `/subscriptions/${S}` }],
  },
}));

test('a Reader sees managed identities, role assignments and roles but cannot change them; the directory blades refuse', { skip: PORTAL_SKIP, timeout: 150_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const nav = page.getByRole('navigation', { name: 'Portal navigation' });
  const assignmentsBefore = w.lapis.node.access.listRoleAssignments({ scope: '/' }).length;
  try {
    await signIn(page, portalUrl, READER);

    // Managed Identities: listed and readable; Delete disabled; Create refused with the 403 and "Why?".
    await nav.getByRole('link', { name: 'Managed Identities' }).click();
    await page.getByRole('link', { name: 'uami-read' }).click();
    await page.getByTestId('identity-client-id').waitFor();
    assert.equal(await page.getByTestId('identity-resource-id').inputValue(), UAMI);
    await page.getByRole('button', { name: 'Delete' }).and(page.locator('[disabled]')).waitFor();
    await assertAccessible(page, 'Managed identity Overview (Reader)');
    await page.goto(`${portalUrl}#/identities/new`);
    await page.getByTestId('identity-rg').fill(RG);
    await page.getByTestId('identity-name').fill('not-allowed');
    await page.getByRole('button', { name: 'Review + create' }).click();
    const bar = page.getByTestId('error-bar');
    await bar.filter({ hasText: 'AuthorizationFailed' }).waitFor();
    assert.match(await bar.innerText(), /userAssignedIdentities\/write/);
    await bar.getByRole('link', { name: /Why\?/ }).waitFor();
    await shot(page, '87-reader-create-identity-denied');
    await assertAccessible(page, 'Create identity refused (Reader)');
    assert.equal(w.lapis.node.identity.directory.findManagedIdentity({ resourceId: UAMI.replace('uami-read', 'not-allowed') }), undefined);

    // Access control on the subscription: assignments and roles visible, every change disabled.
    await nav.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByTestId('subscription-row').filter({ hasText: S }).getByRole('link').click();
    await page.getByTestId('assignment-row').filter({ hasText: 'Reader' }).filter({ hasText: 'This resource' }).waitFor();
    // Assigning and removing are refused by ARM with the 403 and "Why?" (seed-000's Reader test drives them).
    await assertAccessible(page, 'Subscription IAM (Reader)');
    await page.getByRole('tab', { name: 'Roles' }).click();
    await page.getByRole('button', { name: 'Add custom role' }).and(page.locator('[disabled]')).waitFor();
    await page.getByTestId('roles-search').fill(CUSTOM.roleName);
    await page.getByRole('button', { name: `View ${CUSTOM.roleName}` }).click();
    assert.match(await page.getByTestId('role-actions').innerText(), /Microsoft\.SignalRService\/\*\/read/);
    await page.getByRole('button', { name: 'Delete custom role' }).and(page.locator('[disabled]')).waitFor();
    await assertAccessible(page, 'Roles (Reader)');

    // Resource group IAM through the Resource groups blade: the same.
    await nav.getByRole('link', { name: 'Resource groups' }).click();
    await page.getByRole('link', { name: `${RG}: Access control (IAM)` }).click();
    await page.getByTestId('assignment-row').filter({ hasText: '(Inherited)' }).first().waitFor();

    // The directory: a Reader has no directory role, so Graph refuses and the blades say so.
    await nav.getByRole('link', { name: 'Users' }).click();
    await page.getByTestId('error-bar').waitFor();
    await assertAccessible(page, 'Users refused (Reader)');
    const app = w.lapis.node.identity.directory.applications().find((a) => a.appId === APP.appId)!;
    await page.goto(`${portalUrl}#/entra/apps/${app.id}/secrets`);
    await page.getByTestId('error-bar').waitFor();
    await page.getByRole('tab', { name: /^Certificates \(/ }).click();
    await page.getByRole('button', { name: 'Upload certificate' }).and(page.locator('[disabled]')).waitFor();
    await page.goto(`${portalUrl}#/entra/users/${READER.id}`);
    await page.getByRole('button', { name: 'Reset password' }).and(page.locator('[disabled]')).waitFor();

    assert.equal(w.lapis.node.access.listRoleAssignments({ scope: '/' }).length, assignmentsBefore, 'no assignment changed');
    assert.ok(w.lapis.node.access.roleDefinitions().some((d) => d.roleName === CUSTOM.roleName), 'the custom role is still there');
  } finally {
    await context.close();
  }
});
