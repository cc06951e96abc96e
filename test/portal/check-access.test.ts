// The IAM blade's Check access tab, in headless Chromium as the bootstrap administrator: an app with
// no role on the Web PubSub resource is denied the DataAction hub/send (the answer names the action
// and the scopes walked); the one-click "Assign Web PubSub Service Owner" grants it and a second
// check says allowed. Then a Reader's 403 in the error bar offers "Why?", which opens Check access
// prefilled with the caller and the action the error names. axe-core on each state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const TENANT = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f90a1b2c3';
const SUB = 'a0b1c2d3-e4f5-4a6b-9c7d-8e9f0a1b2c3d';
const DOMAIN = 'contoso-check.onmicrosoft.com';
const WPS = `/subscriptions/${SUB}/resourceGroups/rg-check/providers/Microsoft.SignalRService/webPubSub/wps-check`;
const APP = { displayName: 'check-app', appId: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e' };
const READER = { userPrincipalName: `rhea@${DOMAIN}`, displayName: 'Rhea Reader', password: 'Rhea-password-42!', id: 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f' };
const SEND = 'Microsoft.SignalRService/WebPubSub/hub/send/action';

const w = portalWorld(() => ({
  config: {
    tenantId: TENANT, subscriptionId: SUB, domains: [DOMAIN], users: [READER],
    applications: [{ displayName: APP.displayName, appId: APP.appId }],
    resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'wps-check', resourceGroup: 'rg-check' }],
    roleAssignments: [{ principal: READER.id, roleDefinitionName: 'Reader', scope: `/subscriptions/${SUB}` }],
  },
}));

test('Check access: denied with the action and scopes named, one-click "Assign Web PubSub Service Owner", then allowed', { skip: PORTAL_SKIP, timeout: 60_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.goto(`${portalUrl}#/iam/${encodeURIComponent(WPS)}`);
    await page.getByRole('tab', { name: 'Check access' }).click();
    const select = page.getByTestId('check-principal-select');
    await select.locator('option', { hasText: APP.appId }).waitFor({ state: 'attached' });
    await select.selectOption({ label: `${APP.displayName} (app ${APP.appId})` });
    assert.match(await page.getByTestId('check-principal-id').inputValue(), /^[0-9a-f-]{36}$/, 'picking from the list fills the object id');
    await page.getByTestId('check-common').selectOption({ label: `DataAction: ${SEND}` });
    assert.equal(await page.getByTestId('check-operation').inputValue(), SEND);
    await page.getByRole('button', { name: 'Check', exact: true }).click();

    const result = page.getByTestId('check-result');
    await result.getByText('Denied', { exact: true }).waitFor();
    assert.match(await result.innerText(), new RegExp(`Needed: DataAction '${SEND}'`));
    const walked = await page.getByRole('list', { name: 'Scopes checked' }).locator('li').allInnerTexts();
    assert.deepEqual(walked, [WPS, `/subscriptions/${SUB}/resourceGroups/rg-check`, `/subscriptions/${SUB}`, `/providers/Microsoft.Management/managementGroups/${TENANT}`, '/'], 'target first, the tenant root group, then /');
    assert.match(await page.getByTestId('check-missing').innerText(), /Nearest missing assignment: 'Web PubSub Service Owner'/);
    await shot(page, '40-check-access-denied');
    await assertAccessible(page, 'Check access, denied');

    await page.getByRole('button', { name: 'Assign Web PubSub Service Owner' }).click();
    await result.getByText('Allowed', { exact: true }).waitFor();
    assert.match(await result.innerText(), /Web PubSub Service Owner at \/subscriptions\/.*wps-check, pattern Microsoft\.SignalRService\/WebPubSub\/\*/);
    // Checking again from scratch gives the same answer: the assignment is real, not a view state.
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await result.getByText('Allowed', { exact: true }).waitFor();
    await shot(page, '41-check-access-allowed');
    await assertAccessible(page, 'Check access, allowed');

    await page.getByRole('tab', { name: 'Role assignments' }).click();
    await page.getByRole('row').filter({ hasText: APP.displayName }).filter({ hasText: 'Web PubSub Service Owner' }).waitFor();
  } finally {
    await context.close();
  }
});

test('a 403 in the error bar offers "Why?", opening Check access prefilled with the caller and the action', { skip: PORTAL_SKIP, timeout: 60_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  try {
    await signIn(page, portalUrl, READER);
    await page.goto(`${portalUrl}#/resource/${encodeURIComponent(WPS)}/keys`);
    const bar = page.getByTestId('error-bar');
    await bar.waitFor();
    assert.match(await bar.innerText(), /AuthorizationFailed/);
    await bar.getByRole('link', { name: /Why\?/ }).click();
    await page.getByRole('tab', { name: 'Check access', selected: true }).waitFor();
    assert.equal(await page.getByTestId('check-principal-id').inputValue(), READER.id);
    const action = await page.getByTestId('check-operation').inputValue();
    assert.match(action, /^Microsoft\.SignalRService\/WebPubSub\/listKeys\/action$/i);
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByTestId('check-result').getByText('Denied', { exact: true }).waitFor();
    assert.match(await page.getByTestId('check-result').innerText(), /Reader/, 'the Reader assignment is listed as considered');
    await assertAccessible(page, 'Check access from Why?');
  } finally {
    await context.close();
  }
});
