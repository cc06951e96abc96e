// Live trace and the Upstream inspector in the portal, driven by clicking: a Web PubSub client
// (official @azure/web-pubsub-client) connects and sends a group message → the Live trace tab shows
// the connection and the message (filters, pause, export); it sends a user event to a hub handler
// (official @azure/web-pubsub-express) → the Upstream tab shows the call with its decoded token;
// Replay → the handler receives the event again.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { startExpressApp, until, within, type ExpressApp } from '../upstream/support.ts';
import { RG, world } from '../control/support.ts';
import { ARTIFACTS, PORTAL_SKIP, assertAccessible, newContext, shot, signIn, portalWorld } from './browser.ts';

const T = '7d1e2f30-4152-4637-8849-5a6b7c8d9e01';
const S = '8e2f3041-5263-4748-995a-6b7c8d9e0f12';

let app: ExpressApp;
const received: string[] = [];

const w = portalWorld(() => ({
  config: world(T, S, [{
    type: 'Microsoft.SignalRService/webPubSub', name: 'tracechat', resourceGroup: RG, identity: { type: 'SystemAssigned' },
    hubs: [{ name: 'chat', properties: { eventHandlers: [{
      urlTemplate: `${app.url}/eventhandler`, userEventPattern: 'inspect',
      auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } },
    }] } }],
  }]),
}), async () => {
  app = await startExpressApp('chat', {
    handleUserEvent: (req, res) => {
      received.push(String(req.data));
      res.success(`got ${String(req.data)}`, 'text');
    },
  });
});

after(async () => {
  await app?.close();
});

test('Live trace shows an SDK client\'s connection and group message; Upstream shows the handler call and Replay sends it again', { skip: PORTAL_SKIP, timeout: 150_000 }, async () => {
  const portalUrl = w.lapis.ready.portalUrl!;
  const context = await newContext(w.browser, new URL(portalUrl).origin);
  const page = await context.newPage();
  const menu = page.getByRole('tablist', { name: 'Resource menu' });
  const service = new WebPubSubServiceClient(w.lapis.ready.resources.find((r) => r.name === 'tracechat')!.connectionString!, 'chat');
  const { url } = await service.getClientAccessToken({ userId: 'alice', roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'] });
  const client = new WebPubSubClient(url);
  try {
    await signIn(page, portalUrl, w.lapis.node.bootstrapUser!);
    await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'All resources' }).click();
    await page.getByRole('link', { name: 'tracechat', exact: true }).click();
    await menu.getByRole('tab', { name: 'Live trace' }).click();
    await page.getByTestId('trace-state').filter({ hasText: 'Live on node' }).waitFor();

    await within(client.start(), 10_000, 'client start');
    await client.joinGroup('room');
    await client.sendToGroup('room', 'hello portal trace', 'text');
    const rows = page.getByTestId('trace-row');
    await rows.filter({ hasText: 'connected' }).filter({ hasText: 'alice' }).first().waitFor();
    await rows.filter({ hasText: 'messageIn' }).filter({ hasText: 'hello portal trace' }).first().waitFor();
    await rows.filter({ hasText: 'messageOut' }).filter({ hasText: 'room' }).first().waitFor();
    await shot(page, '60-live-trace');
    await assertAccessible(page, 'Live trace');

    // Structured filters: only messages; then only what user alice did.
    await page.getByLabel('Category').selectOption('message');
    assert.equal(await rows.filter({ hasText: 'connected' }).count(), 0, 'connections filtered out');
    assert.ok(await rows.filter({ hasText: 'hello portal trace' }).count() >= 1);
    await page.getByRole('button', { name: 'Reset filters' }).click();
    await page.getByLabel('User ID').fill('alice');
    assert.ok(await rows.filter({ hasText: 'connected' }).count() >= 1);
    await page.getByRole('button', { name: 'Reset filters' }).click();

    // Pause holds new events back; Resume shows them.
    await page.getByRole('button', { name: 'Pause' }).click();
    await client.sendToGroup('room', 'sent while paused', 'text');
    await page.getByRole('button', { name: /Resume \([1-9]\d* new\)/ }).waitFor();
    assert.equal(await rows.filter({ hasText: 'sent while paused' }).count(), 0);
    await page.getByRole('button', { name: /Resume/ }).click();
    await rows.filter({ hasText: 'sent while paused' }).first().waitFor();

    // Export as CSV and JSON (downloads).
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const csvText = readFileSync((await csv.path())!, 'utf8');
    assert.match(csvText, /^id,time,node,category,event,hub/);
    assert.match(csvText, /hello portal trace/);
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    const exported = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { event: string }[];
    assert.ok(exported.some((e) => e.event === 'connected'));

    // A user event reaches the hub's handler; the trace links to the captured call.
    await client.sendEvent('inspect', 'look at me', 'text', { fireAndForget: false });
    await until(() => received.includes('look at me'), 10_000, 'the handler got the event');
    await rows.filter({ hasText: 'upstreamCall' }).first().waitFor();

    // Clear empties the list.
    await page.getByRole('button', { name: 'Clear' }).click();
    assert.equal(await rows.count(), 0);

    // Upstream: the call with request, decoded token and response; Replay → the handler gets it again.
    await menu.getByRole('tab', { name: 'Upstream' }).click();
    const call = page.getByTestId('upstream-row').filter({ hasText: 'inspect' }).first();
    await call.waitFor();
    await call.getByRole('button', { name: /^Inspect/ }).click();
    const details = page.getByTestId('call-details');
    await details.waitFor();
    assert.match(await details.getByLabel('Request body').innerText(), /look at me/);
    assert.match(await details.getByLabel('Token claims').innerText(), /"aud": "api:\/\/upstream"/);
    assert.match(await details.getByLabel('Response body, attempt 1').innerText(), /got look at me/);
    assert.match(await details.innerText(), /2 × sha256 <redacted>/);
    assert.doesNotMatch(await details.innerText(), /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/, 'no raw token');
    await shot(page, '61-upstream-inspector-full');
    // The top of the call (request, token) for docs/portal.md, kept small.
    await page.screenshot({ path: join(ARTIFACTS, '61-upstream-inspector.png') });
    await assertAccessible(page, 'Upstream inspector');
    const before = received.filter((r) => r === 'look at me').length;
    await details.getByRole('button', { name: 'Replay' }).click();
    await page.getByTestId('call-details').filter({ hasText: 'Replay of' }).waitFor();
    await until(() => received.filter((r) => r === 'look at me').length === before + 1, 10_000, 'the handler got the replayed event');
    await page.getByTestId('upstream-row').filter({ hasText: '(replay)' }).first().waitFor();
    await shot(page, '62-upstream-replayed');
  } finally {
    client.stop();
    await context.close();
  }
});
