// Seed 004 in the portal: on a Web PubSub resource, Identity → System assigned → On → Save; Settings →
// add the hub with an event handler that uses the managed identity with an audience (an app of the
// test's world with an Application ID URI, chosen from the list after the service refused a typed
// one that is no app's). A real event handler server (unmodified @azure/web-pubsub-express) then gets
// the `connect` event of a WebPubSubClient with a token of that identity for that audience. Keys:
// Regenerate the primary key (with confirmation) and the old connection string is refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { startExpressApp, until, within, type ExpressApp } from '../upstream/support.ts';
import { RG, verifyUpstreamToken, world } from '../control/support.ts';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const T = '91a2b3c4-d5e6-4f70-8182-930415263748';
const S = 'a2b3c4d5-e6f7-4081-9293-041526374859';
const WPS = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/webPubSub/chat4`;
const AUDIENCE = 'api://seed4-events';

let app: ExpressApp;
const connects: { userId?: string; auth?: string }[] = [];

const base = world(T, S, [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat4', resourceGroup: RG }]) as { applications: object[] };
const w = portalWorld(() => ({ config: { ...base, applications: [...base.applications, { displayName: 'seed4-events', identifierUris: [AUDIENCE] }] } }), async () => {
  app = await startExpressApp('chat', {
    handleConnect: (req, res) => { res.success({ userId: req.context.userId }); },
  }, (req, _res, next) => {
    if (req.method === 'POST' && req.headers['ce-eventname'] === 'connect') connects.push({ userId: String(req.headers['ce-userid'] ?? ''), auth: req.headers.authorization });
    next();
  });
});

after(async () => {
  await app?.close();
});

test('seed 004 in the portal: system identity On, hub event handler with Use Managed Identity and an audience; the handler gets connect with that token; a regenerated key refuses the old connection string', { skip: PORTAL_SKIP, timeout: 120_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const menu = page.getByRole('tablist', { name: 'Resource menu' });
  let oldConnection = '';
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'All resources' }).click();
    await page.getByRole('link', { name: 'chat4', exact: true }).click();
    await page.getByTestId('resource-id').waitFor();
    assert.equal(await page.getByTestId('resource-id').inputValue(), WPS);
    await shot(page, '30-webpubsub-overview');
    await assertAccessible(page, 'Web PubSub Overview');

    // Identity → System assigned → Status On → Save: the object (principal) id appears.
    await menu.getByRole('tab', { name: 'Identity' }).click();
    await page.getByRole('switch').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('principal-id').waitFor();
    const sys = w.lapis.node.identity.directory.getManagedIdentityOf(WPS)!;
    assert.equal(await page.getByTestId('principal-id').inputValue(), sys.principalId);
    await shot(page, '31-webpubsub-identity-on');
    await assertAccessible(page, 'Web PubSub Identity');
    await page.getByRole('tab', { name: 'User assigned' }).click();
    await page.getByRole('button', { name: 'Add' }).waitFor();
    await assertAccessible(page, 'Web PubSub Identity (user assigned)');

    // Settings → Add hub with an event handler: a typed audience that is no app is refused with the service's words.
    await menu.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('table', { name: 'Hubs' }).waitFor();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByTestId('hub-name').fill('chat');
    await page.getByTestId('handler-0-url').fill(`${app.url}/eventhandler/{event}`);
    await page.getByTestId('handler-0-connect').check();
    await page.getByTestId('handler-0-use-mi').check();
    await page.getByTestId('handler-0-audience').fill('api://nobody-declared-this');
    await page.getByRole('button', { name: 'Save' }).click();
    const refused = page.getByRole('form', { name: 'Add hub' }).getByTestId('error-bar');
    await refused.waitFor();
    assert.match(await refused.innerText(), /400 InvalidRequestContent[\s\S]*eventHandlers\[0\]\.auth\.managedIdentity\.resource[\s\S]*api:\/\/nobody-declared-this/);
    await shot(page, '32-webpubsub-hub-refused');
    await page.getByTestId('handler-0-audience-app').selectOption({ label: `seed4-events: ${AUDIENCE}` });
    assert.equal(await page.getByTestId('handler-0-audience').inputValue(), AUDIENCE);
    await shot(page, '33-webpubsub-hub-editor');
    await assertAccessible(page, 'Web PubSub Settings: hub editor');
    await page.getByRole('button', { name: 'Save' }).click();
    const row = page.getByTestId('hub-row').filter({ hasText: 'chat' });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`Managed identity: ${AUDIENCE}`));
    await shot(page, '34-webpubsub-hubs');
    await assertAccessible(page, 'Web PubSub Settings');

    // Keys: the connection string, shown.
    await menu.getByRole('tab', { name: 'Keys' }).click();
    await page.getByRole('button', { name: 'Show Primary connection string' }).click();
    oldConnection = await page.getByTestId('primary-connection-string').inputValue();
    assert.match(oldConnection, /^Endpoint=https:\/\/.*;AccessKey=.+;Version=1\.0;$/);
  } catch (err) {
    await shot(page, '39-webpubsub-failure').catch(() => {});
    await context.close();
    throw err;
  }

  // A client connects: the event handler gets connect with the system identity's token for the audience.
  const service = new WebPubSubServiceClient(oldConnection, 'chat');
  const client = new WebPubSubClient((await service.getClientAccessToken({ userId: 'seed4-user' })).url, { autoReconnect: false } as never);
  try {
    await within(client.start(), 10_000, 'client start');
    await until(() => connects.length > 0, 5000, 'connect event');
  } finally {
    client.stop();
  }
  assert.equal(connects[0]!.userId, 'seed4-user');
  const claims = await verifyUpstreamToken(w.lapis.ready.authorityHost, T, String(connects[0]!.auth).replace(/^Bearer /, ''), AUDIENCE);
  assert.equal(claims.aud, AUDIENCE);
  assert.equal(claims.oid, w.lapis.node.identity.directory.getManagedIdentityOf(WPS)!.principalId);

  // Regenerate the primary key in the portal: the old connection string is refused, the new one works.
  let newConnection = '';
  try {
    await page.getByRole('button', { name: 'Regenerate Primary Key' }).click();
    await page.getByRole('dialog').waitFor();
    // Fluent's dialog fades in: let the animation end so axe measures the colours as shown.
    await until(() => page.evaluate<boolean>('(() => { const d = document.querySelector("[role=dialog]"); return !!d && getComputedStyle(d).opacity === "1" && document.getAnimations().filter((a) => a.playState === "running" && a.effect?.getTiming().iterations !== Infinity).length === 0; })()'), 5000, 'the dialog shown');
    await shot(page, '35-webpubsub-regenerate-confirm');
    await assertAccessible(page, 'Regenerate key confirmation');
    await page.getByRole('button', { name: 'Yes' }).click();
    // The page is inert (aria-hidden) until the dialog has faded out.
    await until(() => page.evaluate<boolean>('!document.querySelector("[role=dialog]") && !document.getElementById("root")?.hasAttribute("aria-hidden")'), 5000, 'the dialog closed');
    await until(async () => (await page.getByTestId('primary-connection-string').inputValue()) !== oldConnection, 5000, 'new connection string');
    newConnection = await page.getByTestId('primary-connection-string').inputValue();
    await shot(page, '36-webpubsub-keys-regenerated');
    await assertAccessible(page, 'Web PubSub Keys');
  } finally {
    await context.close();
  }
  await assert.rejects(new WebPubSubServiceClient(oldConnection, 'chat').sendToAll('old key', { contentType: 'text/plain' }), (e: { statusCode?: number }) => e.statusCode === 401);
  await new WebPubSubServiceClient(newConnection, 'chat').sendToAll('new key', { contentType: 'text/plain' });
});

test('Identity → User assigned: Add one identity (replacing the system one), Add is then unavailable; Remove leaves none', { skip: PORTAL_SKIP, timeout: 60_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const uami = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-1`;
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.goto(`${portalUrl}#/resource/${encodeURIComponent(WPS)}/identity`);
    await page.getByRole('tab', { name: 'User assigned' }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByTestId('user-identity-id').fill(uami);
    await page.getByRole('form', { name: 'Add user assigned managed identity' }).getByRole('button', { name: 'Add', exact: true }).click();
    const row = page.getByTestId('user-identity-row');
    await row.waitFor();
    const found = w.lapis.node.identity.directory.findManagedIdentity({ resourceId: uami })!;
    assert.match(await row.innerText(), new RegExp(`uami-1[\\s\\S]*${found.clientId}[\\s\\S]*${found.principalId}`));
    assert.equal(await page.getByRole('button', { name: 'Add', exact: true }).isDisabled(), true, 'one user-assigned identity at a time');
    await shot(page, '37-webpubsub-user-assigned');
    await assertAccessible(page, 'Web PubSub Identity: user assigned added');
    await page.getByRole('tab', { name: 'System assigned' }).click();
    assert.equal(await page.getByRole('switch').isChecked(), false, 'the system identity was replaced');
    await page.getByRole('tab', { name: 'User assigned' }).click();
    await page.getByRole('button', { name: 'Remove uami-1' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(w.lapis.node.identity.directory.getManagedIdentityOf(WPS), undefined);
  } finally {
    await context.close();
  }
});
