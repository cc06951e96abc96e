// The resource blade's Explorer and the Activity log, in headless Chromium. An operator (Web PubSub
// Service Owner on the resource, Reader on the subscription) sees a live @azure/web-pubsub-client
// connection with its user and group; "Remove from group" takes it out of the group (the server SDK
// proves it) and "Close connection" closes it (the client SDK sees its connection end); the Users
// tab removes a user from a group and the Groups tab closes every connection of a group. A Web
// PubSub Service Reader sees connections but Close is refused (403 shown, the connection lives).
// A key regenerated in the portal appears in the resource's and the subscription's Activity log
// with the operator as caller. axe-core on each blade.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const TENANT = 'e7a10000-0000-4000-8000-000000000001';
const SUB = 'e7a10000-0000-4000-8000-000000000002';
const DOMAIN = 'contoso-explorer.onmicrosoft.com';
const WPS = `/subscriptions/${SUB}/resourceGroups/rg-explorer/providers/Microsoft.SignalRService/webPubSub/wps-explorer`;
const OPERATOR = { userPrincipalName: `olga@${DOMAIN}`, displayName: 'Olga Operator', password: 'Olga-password-42!', id: 'e7a10000-0000-4000-8000-0000000000a1' };
const WATCHER = { userPrincipalName: `walt@${DOMAIN}`, displayName: 'Walt Watcher', password: 'Walt-password-42!', id: 'e7a10000-0000-4000-8000-0000000000a2' };
const HUB = 'chat';

let service: WebPubSubServiceClient;

const w = portalWorld(() => ({
  config: {
    tenantId: TENANT, subscriptionId: SUB, domains: [DOMAIN], users: [OPERATOR, WATCHER],
    resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'wps-explorer', resourceGroup: 'rg-explorer' }],
    roleAssignments: [
      { principal: OPERATOR.id, roleDefinitionName: 'Reader', scope: `/subscriptions/${SUB}` },
      { principal: OPERATOR.id, roleDefinitionName: 'Contributor', scope: WPS },
      { principal: OPERATOR.id, roleDefinitionName: 'Web PubSub Service Owner', scope: WPS },
      { principal: WATCHER.id, roleDefinitionName: 'Reader', scope: `/subscriptions/${SUB}` },
      { principal: WATCHER.id, roleDefinitionName: 'Web PubSub Service Reader', scope: WPS },
    ],
  },
}), undefined, (lapis) => {
  const conn = lapis.ready.resources!.find((r) => r.name === 'wps-explorer')!.connectionString!;
  service = new WebPubSubServiceClient(conn, HUB);
});

/** A live client of the official SDK in a group; resolves with it once connected. */
async function connectClient(userId: string, group: string) {
  const { url } = await service.getClientAccessToken({ userId, roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'] });
  const client = new WebPubSubClient(url, { autoReconnect: false });
  let connectionId = '';
  const ended = new Promise<void>((resolve) => client.on('stopped', () => resolve()));
  client.on('connected', (e) => { connectionId = e.connectionId; });
  await client.start();
  await client.joinGroup(group);
  return { client, connectionId: () => connectionId, ended };
}

async function openExplorer(page: Page) {
  await page.goto(`${w.lapis.ready.portalUrl!}#/resource/${encodeURIComponent(WPS)}/explorer`);
  await page.getByLabel('Hub name').fill(HUB);
  await page.getByRole('button', { name: 'Show hub' }).click();
  await page.getByTestId('explorer-hub').filter({ hasText: `Hub: ${HUB}` }).waitFor();
}

test('Explorer: a live SDK connection with its user and group; Remove from group, then Close connection', { skip: PORTAL_SKIP, timeout: 120_000 }, async () => {
  const alice = await connectClient('alice', 'room1');
  const id = alice.connectionId();
  assert.ok(id);
  const context = await newContext(w.browser, new URL(w.lapis.ready.portalUrl!).origin);
  const page = await context.newPage();
  try {
    await signIn(page, w.lapis.ready.portalUrl!, OPERATOR);
    await openExplorer(page);
    const row = page.getByTestId(`connection-${id}`);
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /alice/);
    assert.match(text, /room1/);
    assert.match(text, /webpubsub\.joinLeaveGroup/);
    assert.match(text, /json\.reliable\.webpubsub\.azure\.v1/);
    await shot(page, '70-explorer-connections');
    await assertAccessible(page, 'Explorer, connections');

    await page.getByRole('tab', { name: /Groups/ }).click();
    await page.getByRole('row').filter({ hasText: 'room1' }).filter({ hasText: 'alice' }).waitFor();
    await page.getByRole('tab', { name: /Users/ }).click();
    await page.getByRole('row').filter({ hasText: 'alice' }).waitFor();
    await assertAccessible(page, 'Explorer, users');
    await page.getByRole('tab', { name: /Connections/ }).click();

    await page.getByRole('button', { name: `Remove connection ${id} from group room1` }).click();
    await page.getByRole('status').filter({ hasText: `Removed ${id} from room1.` }).waitFor();
    assert.equal(await service.groupExists('room1'), false, 'the server SDK sees the group empty');
    assert.equal(await service.connectionExists(id), true);

    await page.getByRole('button', { name: `Close connection ${id}` }).click();
    await page.getByRole('status').filter({ hasText: `Closed ${id}.` }).waitFor();
    await alice.ended; // the client SDK saw its connection end
    assert.equal(await service.connectionExists(id), false);
    await page.getByTestId(`connection-${id}`).waitFor({ state: 'detached' });

    // Users tab: remove a user from a group; Groups tab: close every connection of a group.
    const carol = await connectClient('carol', 'room3');
    const dave = await connectClient('dave', 'room4');
    try {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.getByTestId(`connection-${dave.connectionId()}`).waitFor();
      await page.getByRole('tab', { name: /Users/ }).click();
      await page.getByRole('button', { name: 'Remove user carol from group room3' }).click();
      await page.getByRole('status').filter({ hasText: 'Removed user carol from room3.' }).waitFor();
      assert.equal(await service.groupExists('room3'), false, 'the server SDK sees carol out of room3');
      await page.getByRole('tab', { name: /Groups/ }).click();
      await page.getByRole('button', { name: 'Close all connections in group room4' }).click();
      await page.getByRole('status').filter({ hasText: 'Closed the connections of room4.' }).waitFor();
      await dave.ended;
      assert.equal(await service.connectionExists(carol.connectionId()), true, 'only the group was closed');
    } finally {
      carol.client.stop();
      dave.client.stop();
    }
  } finally {
    await context.close();
    alice.client.stop();
  }
});

test('Explorer: a Web PubSub Service Reader sees connections but cannot close them', { skip: PORTAL_SKIP, timeout: 120_000 }, async () => {
  const bob = await connectClient('bob', 'room2');
  const id = bob.connectionId();
  const context = await newContext(w.browser, new URL(w.lapis.ready.portalUrl!).origin);
  const page = await context.newPage();
  try {
    await signIn(page, w.lapis.ready.portalUrl!, WATCHER);
    await openExplorer(page);
    await page.getByTestId(`connection-${id}`).filter({ hasText: 'bob' }).waitFor();
    await page.getByRole('button', { name: `Close connection ${id}` }).click();
    const bar = page.getByTestId('error-bar');
    await bar.waitFor();
    assert.match(await bar.innerText(), /403/);
    assert.match(await bar.innerText(), /clientConnection\/write/);
    assert.equal(await service.connectionExists(id), true, 'the connection lives');
    await shot(page, '71-explorer-reader-refused');
    await assertAccessible(page, 'Explorer, reader refused');
  } finally {
    await context.close();
    bob.client.stop();
  }
});

test('Activity log: a key regenerated in the portal is on record with the user as caller, per resource and per subscription', { skip: PORTAL_SKIP, timeout: 120_000 }, async () => {
  const context = await newContext(w.browser, new URL(w.lapis.ready.portalUrl!).origin);
  const page = await context.newPage();
  try {
    await signIn(page, w.lapis.ready.portalUrl!, OPERATOR);
    await page.goto(`${w.lapis.ready.portalUrl!}#/resource/${encodeURIComponent(WPS)}/keys`);
    await page.getByRole('button', { name: 'Regenerate Primary Key' }).click();
    await page.getByRole('button', { name: 'Yes' }).click();
    await page.getByTestId('primary-key').waitFor();

    await page.getByRole('tab', { name: 'Activity log' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Regenerate Web PubSub key' });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(OPERATOR.userPrincipalName.replace(/\./g, '\\.')));
    assert.match(await row.innerText(), /Succeeded/);
    await row.getByRole('button').click();
    const details = page.getByRole('region', { name: 'Event details' });
    await details.waitFor();
    assert.match(await details.innerText(), /Microsoft\.SignalRService\/webPubSub\/regenerateKey\/action/);
    await shot(page, '72-activity-log-resource');
    await assertAccessible(page, 'Activity log, resource');

    // Subscription level, filtered to failures: the regeneration is not among them.
    await page.getByRole('link', { name: 'Activity log' }).click();
    await page.getByRole('row').filter({ hasText: 'Regenerate Web PubSub key' }).waitFor();
    await page.getByRole('combobox', { name: 'Event severity / status' }).click();
    await page.getByRole('option', { name: 'Failed' }).click();
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No events in this timespan match the filters.').waitFor();
    await page.getByLabel('Event initiated by').fill(OPERATOR.userPrincipalName);
    await page.getByRole('combobox', { name: 'Event severity / status' }).click();
    await page.getByRole('option', { name: 'Succeeded' }).click();
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('row').filter({ hasText: 'Regenerate Web PubSub key' }).waitFor();
    await assertAccessible(page, 'Activity log, subscription');
  } finally {
    await context.close();
  }
});
