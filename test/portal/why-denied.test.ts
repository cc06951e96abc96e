// "Why was this denied" in headless Chromium: a WebPubSubServiceClient whose Entra app lacks a role
// gets 403; the link in the SDK's error message opens the denial blade (signed in as the bootstrap
// administrator), which names the missing DataAction, the scopes walked and the nearest missing
// assignment; "Assign …" grants it, the blade says "Now allowed", and the same SDK call succeeds
// at once. A wrong-audience token's 401 shows the reason. The resource's Denials list shows both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const TENANT = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
const SUB = '6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c';
const WPS = `/subscriptions/${SUB}/resourceGroups/rg-why/providers/Microsoft.SignalRService/webPubSub/wps-why`;
const SEND = 'Microsoft.SignalRService/WebPubSub/hub/send/action';
const SENDER = { displayName: 'why-sender', appId: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c01', secret: 'why-sender-secret-0123456789ab' };

const w = portalWorld(() => ({
  config: {
    tenantId: TENANT, subscriptionId: SUB,
    applications: [{ displayName: SENDER.displayName, appId: SENDER.appId, passwordCredentials: [{ secretText: SENDER.secret }] }],
    resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'wps-why', resourceGroup: 'rg-why' }],
  },
}));

test('an SDK 403 links to "Why was this denied?": missing DataAction shown, one click assigns it, the same call then succeeds', { skip: PORTAL_SKIP, timeout: 90_000 }, async () => {
  const endpoint = w.lapis.ready.resources.find((r) => r.name === 'wps-why')!.endpoint!;
  const cred = new ClientSecretCredential(TENANT, SENDER.appId, SENDER.secret, { authorityHost: w.lapis.ready.authorityHost, disableInstanceDiscovery: true });
  const client = new WebPubSubServiceClient(endpoint, cred, 'chat');
  const err = await client.sendToAll('hello').then(() => assert.fail('expected 403'), (e: unknown) => e as { statusCode: number; message: string });
  assert.equal(err.statusCode, 403);
  const link = /(https:\/\/\S+#\/denied\/[0-9a-f-]{36})/.exec(err.message)?.[1];
  assert.ok(link, `the SDK's message carries the link: ${err.message}`);

  // A wrong-audience token (a management token sent to the data plane): 401 with its own link.
  const mgmtToken = (await cred.getToken('https://management.azure.com/.default'))!.token;
  const res = await fetch(`${endpoint}/api/hubs/chat/:send?api-version=2024-01-01`, { method: 'POST', headers: { authorization: `Bearer ${mgmtToken}`, 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(res.status, 401);
  const link401 = /(https:\/\/\S+#\/denied\/[0-9a-f-]{36})/.exec((await res.json() as { message: string }).message)?.[1];
  assert.ok(link401);

  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.goto(link);
    const needed = page.getByTestId('denied-needed');
    await needed.waitFor();
    assert.match(await needed.innerText(), new RegExp(`needs DataAction ${SEND.replace(/\//g, '\\/')} at ${WPS.replace(/\//g, '\\/')}/hubs/chat`));
    assert.match(await needed.innerText(), new RegExp(`app ${SENDER.appId}`));
    const walked = await page.getByRole('list', { name: 'Scopes walked' }).locator('li').allInnerTexts();
    assert.deepEqual(walked.slice(0, 3), [`${WPS}/hubs/chat`, WPS, `/subscriptions/${SUB}/resourceGroups/rg-why`]);
    assert.equal(walked[walked.length - 1], '/');
    assert.match(await page.getByTestId('denied-missing').innerText(), /'Web PubSub Service Owner' at '.*wps-why' would grant it/);
    const claims = await page.getByRole('table', { name: 'Claims' }).innerText();
    assert.match(claims, /aud\s+https:\/\/webpubsub\.azure\.com/);
    assert.match(claims, new RegExp(`appid\\s+${SENDER.appId}`));
    await shot(page, '50-why-denied-403');
    await assertAccessible(page, 'Why was this denied (403)');

    await page.getByRole('button', { name: `Assign Web PubSub Service Owner to app ${SENDER.appId} at wps-why` }).click();
    const nowBar = page.getByTestId('denied-now');
    await nowBar.getByText('Now allowed').waitFor();
    assert.match(await nowBar.innerText(), /Web PubSub Service Owner/);
    await shot(page, '51-why-denied-assigned');
    await assertAccessible(page, 'Why was this denied, after assigning');
    // The same SDK client, same credential: allowed at once.
    await client.sendToAll('hello');

    await page.goto(link401);
    const failure = page.getByTestId('denied-failure');
    await failure.waitFor();
    assert.match(await failure.innerText(), /^audience: /);
    assert.match(await page.getByRole('region', { name: 'Token claims' }).innerText(), /not verified/);
    await shot(page, '52-why-denied-401');
    await assertAccessible(page, 'Why was this denied (401)');

    await page.goto(`${portalUrl}#/resource/${encodeURIComponent(WPS)}/denials`);
    const rows = page.getByRole('table', { name: 'Recent denials' }).getByRole('row');
    await rows.nth(2).waitFor();
    const text = await page.getByRole('table', { name: 'Recent denials' }).innerText();
    assert.match(text, /401 Unauthorized/);
    assert.match(text, new RegExp(`403 Forbidden[\\s\\S]*${SEND.replace(/\//g, '\\/')}`));
    await assertAccessible(page, 'Denials list');
    await rows.nth(1).getByRole('link').click();
    await page.getByTestId('denial').waitFor();
  } finally {
    await context.close();
  }
});
