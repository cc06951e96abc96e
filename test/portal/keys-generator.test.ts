// Keys → Client URL Generator and Settings → "Allow anonymous clients", in headless Chromium as the
// bootstrap administrator, proven with the official clients: a WebPubSubClient connects with the
// generated URL as the chosen user, is in the chosen group at once, may send to the group its role
// names and is refused another group and joining; a hub switched to allow anonymous clients
// accepts a WebSocket without a token, and refuses it again once switched off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import WebSocket from 'ws';
import { until, within } from '../upstream/support.ts';
import { PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const TENANT = '8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e';
const SUB = '9c0d1e2f-3a4b-4c5d-9e6f-7a8b9c0d1e2f';
const WPS = `/subscriptions/${SUB}/resourceGroups/rg-gen/providers/Microsoft.SignalRService/webPubSub/wps-gen`;

const w = portalWorld(() => ({ config: { tenantId: TENANT, subscriptionId: SUB, resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'wps-gen', resourceGroup: 'rg-gen' }] } }));

const resource = () => w.lapis.ready.resources.find((r) => r.name === 'wps-gen')!;

async function signedIn(): Promise<{ page: Page; close(): Promise<void> }> {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
  return { page, close: () => context.close() };
}

test('Client URL Generator: the URL connects a WebPubSubClient as the user, in the group, with exactly the chosen role', { skip: PORTAL_SKIP, timeout: 90_000 }, async () => {
  const { page, close } = await signedIn();
  let url = '';
  try {
    await page.goto(`${w.lapis.ready.portalUrl}#/resource/${encodeURIComponent(WPS)}/keys`);
    const gen = page.getByRole('region', { name: 'Client URL Generator' });
    await gen.waitFor();
    await page.getByTestId('gen-hub').fill('genhub');
    await page.getByTestId('gen-user').fill('gen-user');
    await page.getByTestId('gen-roles').fill('webpubsub.sendToGroup.g1');
    await page.getByTestId('gen-groups').fill('g1');
    await page.getByTestId('gen-minutes').fill('5');
    await until(async () => /access_token=/.test(await page.getByTestId('gen-url').inputValue()), 5000, 'the URL');
    url = await page.getByTestId('gen-url').inputValue();
    assert.match(url, new RegExp(`^wss://localhost:\\d+/client/hubs/genhub\\?access_token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const claims = JSON.parse(Buffer.from(url.split('access_token=')[1]!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.sub, 'gen-user');
    assert.deepEqual(claims.role, ['webpubsub.sendToGroup.g1']);
    assert.deepEqual(claims['webpubsub.group'], ['g1']);
    assert.equal(Number(claims.exp) - Number(claims.iat), 300);
    await shot(page, '53-client-url-generator');
    await assertAccessible(page, 'Keys with the Client URL Generator');
    // An invalid hub name shows why and gives no URL.
    await page.getByTestId('gen-hub').fill('1bad');
    await until(async () => (await page.getByTestId('gen-url').inputValue()) === '', 5000, 'no URL for a bad hub');
  } finally {
    await close();
  }

  const service = new WebPubSubServiceClient(resource().connectionString!, 'genhub');
  const client = new WebPubSubClient(url, { autoReconnect: false, messageRetryOptions: { maxRetries: 0 } });
  const received: unknown[] = [];
  client.on('group-message', (e) => received.push(e.message.data));
  try {
    await within(client.start(), 10_000, 'client start');
    assert.equal(await service.userExists('gen-user'), true, 'connected as the chosen user');
    await service.group('g1').sendToAll('to g1', { contentType: 'text/plain' });
    await until(() => received.includes('to g1'), 5000, 'in group g1 from the start');
    await client.sendToGroup('g1', 'hi', 'text'); // the role allows it: acked
    await assert.rejects(client.sendToGroup('g2', 'hi', 'text'), 'no role for g2');
    await assert.rejects(client.joinGroup('g2'), 'no joinLeaveGroup role');
  } finally {
    client.stop();
  }
});

function openAnonymous(): Promise<number> {
  const ws = new WebSocket(`${resource().endpoint!.replace(/^https/, 'wss')}/client/hubs/anon`);
  return new Promise((resolve) => {
    ws.once('open', () => { ws.close(); resolve(101); });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('error', () => resolve(-1));
  });
}

test('Settings → hub → "Allow anonymous clients" on lets a client connect without a token; off refuses it', { skip: PORTAL_SKIP, timeout: 90_000 }, async () => {
  assert.equal(await openAnonymous(), 401, 'denied by default');
  const { page, close } = await signedIn();
  try {
    await page.goto(`${w.lapis.ready.portalUrl}#/resource/${encodeURIComponent(WPS)}/settings`);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByTestId('hub-name').fill('anon');
    await page.getByRole('button', { name: 'Remove event handler' }).click();
    const toggle = page.getByRole('switch', { name: 'Allow anonymous clients' });
    assert.equal(await toggle.isChecked(), false);
    await toggle.check();
    await shot(page, '54-hub-anonymous-on');
    await assertAccessible(page, 'Hub editor with the anonymous switch');
    await page.getByRole('button', { name: 'Save' }).click();
    const row = page.getByTestId('hub-row').filter({ hasText: 'anon' });
    await row.getByText('Allowed').waitFor();
    assert.equal(await openAnonymous(), 101, 'anonymous client accepted');

    await page.getByRole('button', { name: 'Edit hub anon' }).click();
    await page.getByRole('switch', { name: 'Allow anonymous clients' }).uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await row.getByText('Denied').waitFor();
    assert.equal(await openAnonymous(), 401, 'refused again');
  } finally {
    await close();
  }
});
