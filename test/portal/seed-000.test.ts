// Seed 000 done in the portal by clicking, in headless Chromium, as the bootstrap administrator:
// register an app, copy its client and tenant ids from the Overview, create a client secret (shown
// once: gone after leaving the page), assign Web PubSub Service Owner on the Web PubSub resource
// through Access control (IAM). Then the official SDKs use exactly what the portal produced.
// A Reader signed in sees and cannot change. Each page gets an axe-core scan and a screenshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const TENANT = '3b4c5d6e-7f80-4a91-8b2c-3d4e5f607181';
const SUB = '4c5d6e7f-8091-4b2a-9c3d-4e5f60718192';
const DOMAIN = 'fabrikam.onmicrosoft.com';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-portal`;
const WPS = `${RG}/providers/Microsoft.SignalRService/webPubSub/chat`;
const READER = { userPrincipalName: `rita@${DOMAIN}`, displayName: 'Rita Reader', password: 'Rita-password-91!', id: '5d6e7f80-91a2-4b3c-8d4e-5f6071829304' };
const APP_NAME = 'chat-server-portal';

let admin: { userPrincipalName: string; password: string };

const w = portalWorld(() => ({
  config: {
    tenantId: TENANT, subscriptionId: SUB, domains: [DOMAIN], users: [READER],
    resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: 'rg-portal' }],
    roleAssignments: [{ principal: READER.id, roleDefinitionName: 'Reader', scope: `/subscriptions/${SUB}` }],
  },
}), undefined, (lapis) => {
  assert.ok(lapis.node.bootstrapUser, 'the first start created the bootstrap administrator user');
  admin = lapis.node.bootstrapUser;
});

test('seed 000 in the portal: register, copy ids, secret shown once, IAM Web PubSub Service Owner; the SDKs then use what the portal produced', { skip: PORTAL_SKIP, timeout: 180_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  let clientId = '';
  let tenantId = '';
  let secret = '';
  try {
    await signIn(page, portalUrl, admin);
    await shot(page, '01-home');
    await assertAccessible(page, 'Home');

    // Microsoft Entra ID → App registrations → New registration.
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'App registrations' }).click();
    await page.getByRole('table', { name: 'App registrations' }).waitFor();
    await assertAccessible(page, 'App registrations');
    await page.getByRole('button', { name: 'New registration' }).click();
    await page.getByTestId('app-name').fill(APP_NAME);
    await shot(page, '02-new-registration');
    await assertAccessible(page, 'Register an application');
    await page.getByRole('button', { name: 'Register', exact: true }).click();

    // Overview: Application (client) ID and Directory (tenant) ID, copied with their buttons.
    await page.getByTestId('client-id').waitFor();
    await page.getByRole('button', { name: 'Copy Application (client) ID' }).click();
    clientId = await page.evaluate<string>('navigator.clipboard.readText()');
    await page.getByRole('button', { name: 'Copy Directory (tenant) ID' }).click();
    tenantId = await page.evaluate<string>('navigator.clipboard.readText()');
    assert.equal(clientId, await page.getByTestId('client-id').inputValue());
    assert.equal(tenantId, TENANT);
    const registered = w.lapis.node.identity.directory.getApplication(TENANT, clientId);
    assert.equal(registered?.displayName, APP_NAME);
    assert.equal(await page.getByTestId('object-id').inputValue(), registered.id);
    await shot(page, '03-app-overview');
    await assertAccessible(page, 'App overview');

    // Certificates & secrets → New client secret (description, expiry) → the value, once.
    await page.getByRole('tab', { name: 'Certificates & secrets' }).click();
    await page.getByRole('button', { name: 'New client secret' }).click();
    await page.getByTestId('secret-description').fill('portal secret');
    await page.getByLabel('Expires').selectOption({ label: '365 days (12 months)' });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByTestId('secret-value').waitFor();
    secret = await page.getByTestId('secret-value').inputValue();
    assert.ok(secret.length >= 30, 'a secret value is shown');
    await shot(page, '04-client-secret-shown-once');
    await assertAccessible(page, 'Certificates & secrets');
    // Leave and come back: the list keeps the hint, the value is gone.
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByTestId('client-id').waitFor();
    await page.getByRole('tab', { name: 'Certificates & secrets' }).click();
    await page.getByTestId('secret-row').first().waitFor();
    assert.equal(await page.getByTestId('secret-value').count(), 0, 'the value is not shown again');
    assert.match(await page.getByTestId('secret-row').first().innerText(), new RegExp(`${secret.slice(0, 3).replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\*+`));
    assert.doesNotMatch(await page.content(), new RegExp(secret.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')));

    // The Web PubSub resource → Access control (IAM) → Add role assignment: Role → Members → Review + assign.
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'All resources' }).click();
    await page.getByRole('link', { name: 'chat: Access control (IAM)' }).click();
    await page.getByRole('table', { name: 'Role assignments' }).waitFor();
    await assertAccessible(page, 'Access control (IAM)');
    const rows = page.getByTestId('assignment-row');
    await rows.first().waitFor();
    assert.match(await page.getByRole('table', { name: 'Role assignments' }).innerText(), /Owner[\s\S]*\(Inherited\)/, 'the bootstrap administrator\'s Owner at / shows as inherited');
    await page.getByRole('button', { name: 'Add role assignment' }).click();
    await page.getByTestId('role-search').fill('Web PubSub');
    await page.getByTestId('role-select').selectOption({ label: 'Web PubSub Service Owner' });
    await shot(page, '05-add-role-assignment-role');
    await assertAccessible(page, 'Add role assignment: Role');
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByTestId('member-select').selectOption({ label: `${APP_NAME} (app ${clientId})` });
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByTestId('review').waitFor();
    await shot(page, '06-review-assign');
    await page.getByRole('button', { name: 'Review + assign' }).click();
    const mine = rows.filter({ hasText: APP_NAME });
    await mine.waitFor();
    assert.match(await mine.innerText(), /Web PubSub Service Owner[\s\S]*This resource/);
    await shot(page, '07-iam-assigned');
    assert.ok(await page.getByRole('button', { name: 'Add role assignment' }).isEnabled(), 'the wizard can be opened again');
  } finally {
    await context.close();
  }

  // The official SDKs with exactly what the portal produced.
  const credential = new ClientSecretCredential(tenantId, clientId, secret, { authorityHost: w.lapis.ready.authorityHost, disableInstanceDiscovery: true });
  const token = await credential.getToken('https://webpubsub.azure.com/.default');
  assert.ok(token.token.length > 100);
  const endpoint = w.lapis.ready.resources.find((r) => r.name === 'chat')!.endpoint!;
  const service = new WebPubSubServiceClient(endpoint, credential, 'portal');
  await service.sendToAll('hello from the portal\'s app', { contentType: 'text/plain' });
  const { token: clientToken, url } = await service.getClientAccessToken({ userId: 'portal-user' });
  assert.ok(clientToken.length > 50);
  assert.match(url, /^wss:\/\/.*\/client\/hubs\/portal\?access_token=/);
});

test('a Reader signed in to the portal sees and cannot change: the directory answers 403, IAM lists but assigning and removing show the 403', { skip: PORTAL_SKIP, timeout: 120_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const assignmentsBefore = w.lapis.node.access.listRoleAssignments({ scope: WPS }).length;
  try {
    await signIn(page, portalUrl, READER);
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'App registrations' }).click();
    const denied = page.getByTestId('error-bar');
    await denied.waitFor();
    assert.match(await denied.innerText(), /403 Authorization_RequestDenied/);
    await shot(page, '10-reader-app-registrations-403');
    await assertAccessible(page, 'App registrations (denied)');

    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'All resources' }).click();
    await page.getByRole('link', { name: 'chat: Access control (IAM)' }).click();
    await page.getByTestId('assignment-row').first().waitFor();
    assert.match(await page.getByRole('table', { name: 'Role assignments' }).innerText(), /Reader[\s\S]*\(Inherited\)/);
    await page.getByRole('button', { name: 'Add role assignment' }).click();
    await page.getByTestId('role-select').selectOption({ label: 'Web PubSub Service Owner' });
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByTestId('member-object-id').fill(READER.id);
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('button', { name: 'Review + assign' }).click();
    const refused = page.getByRole('region', { name: 'Add role assignment' }).getByTestId('error-bar');
    await refused.waitFor();
    assert.match(await refused.innerText(), /403 AuthorizationFailed[\s\S]*Microsoft\.Authorization\/roleAssignments\/write/);
    await shot(page, '11-reader-assign-403');
    await assertAccessible(page, 'Add role assignment (denied)');
    await page.getByRole('button', { name: 'Cancel' }).click();
    const remove = page.getByTestId('assignment-row').filter({ hasText: APP_NAME }).getByRole('button', { name: /^Remove/ });
    if (await remove.count()) {
      await remove.click();
      const bar = page.getByTestId('error-bar').first();
      await bar.waitFor();
      assert.match(await bar.innerText(), /403 AuthorizationFailed/);
    }
  } finally {
    await context.close();
  }
  assert.equal(w.lapis.node.access.listRoleAssignments({ scope: WPS }).length, assignmentsBefore, 'nothing changed');
});

test('the sign-in survives a reload (sessionStorage); expired tokens renew through the rotating refresh token; Sign out ends it at Lapis and returns to the portal signed out', { skip: PORTAL_SKIP, timeout: 60_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  try {
    await signIn(page, portalUrl, admin);
    await page.reload();
    await page.getByTestId('account').filter({ hasText: admin.userPrincipalName }).waitFor();
    // Expired tokens: the next call renews through the refresh token, which Lapis rotates.
    const KEY = 'lapis.portal.session';
    const stored = () => page.evaluate<{ refreshToken: string; tokens: Record<string, { expiresAt: number }> }>(`JSON.parse(sessionStorage.getItem('${KEY}'))`);
    const before = await stored();
    await page.evaluate(`(() => { const s = JSON.parse(sessionStorage.getItem('${KEY}')); for (const t of Object.values(s.tokens)) t.expiresAt = 0; sessionStorage.setItem('${KEY}', JSON.stringify(s)); })()`);
    await page.reload();
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'All resources' }).click();
    await page.getByRole('table', { name: 'Resources' }).waitFor();
    const after = await stored();
    assert.notEqual(after.refreshToken, before.refreshToken, 'the refresh token rotated');
    assert.ok(Object.values(after.tokens).some((t) => t.expiresAt > Date.now()), 'a fresh token was obtained');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.click('#signout');
    await page.waitForURL((u) => u.href.startsWith(portalUrl));
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await assertAccessible(page, 'signed-out page');
    // Signed out at Lapis too: the next sign-in asks for the password again.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#passwd').waitFor();
  } finally {
    await context.close();
  }
});

test('keyboard only: Tab reaches the left navigation in order, Enter opens a blade, Tab reaches its command and the form\'s labelled field, Enter submits', { skip: PORTAL_SKIP, timeout: 60_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const focused = () => page.evaluate<string>('(document.activeElement?.getAttribute("aria-label") || document.activeElement?.textContent || "").trim()');
  const tabTo = async (name: string) => {
    const seen: string[] = [];
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      const now = await focused();
      seen.push(now);
      if (now === name) return seen;
    }
    assert.fail(`Tab never reached "${name}"; focus went through ${JSON.stringify(seen)}`);
  };
  try {
    await signIn(page, portalUrl, admin);
    const path = await tabTo('App registrations');
    assert.ok(path.indexOf('Sign out') < path.indexOf('Home'), `header before navigation: ${JSON.stringify(path)}`);
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'App registrations' }).waitFor();
    await tabTo('New registration');
    await page.keyboard.press('Enter');
    await page.getByTestId('app-name').waitFor();
    // The first input Tab reaches is the labelled Name field; typing there and Enter registers.
    let field = '';
    for (let i = 0; i < 25 && !field; i++) {
      await page.keyboard.press('Tab');
      field = await page.evaluate<string>('document.activeElement?.tagName === "INPUT" ? (document.querySelector(`label[for="${document.activeElement.id}"]`)?.textContent ?? "?") : ""');
    }
    assert.match(field, /^Name/);
    await page.keyboard.type('keyboard-app');
    await page.keyboard.press('Enter');
    await page.getByTestId('client-id').waitFor();
    assert.ok(w.lapis.node.identity.directory.applications(TENANT).some((a) => a.displayName === 'keyboard-app'));
  } finally {
    await context.close();
  }
});

test('Users: the list, New user (principal name, display name, password); the new user can then sign in to the portal', { skip: PORTAL_SKIP, timeout: 60_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const user = { userPrincipalName: `nora@${DOMAIN}`, password: 'Nora-password-52!' };
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  try {
    const page = await context.newPage();
    await signIn(page, portalUrl, admin);
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('table', { name: 'Users' }).getByText(READER.userPrincipalName).waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByLabel('User principal name').fill(user.userPrincipalName);
    await page.getByLabel('Display name').fill('Nora New');
    await page.getByLabel('Password').fill(user.password);
    await assertAccessible(page, 'Users: New user');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('table', { name: 'Users' }).getByText(user.userPrincipalName).waitFor();
    await shot(page, '12-users');
    const other = await context.browser()!.newContext({ ignoreHTTPSErrors: true });
    try {
      await signIn(await other.newPage(), portalUrl, user);
    } finally {
      await other.close();
    }
  } finally {
    await context.close();
  }
});
