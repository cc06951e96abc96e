/**
 * SignalR default mode in the metrics: an app server (a raw service-protocol peer, as the
 * Microsoft.Azure.SignalR SDK connects) and a relayed @microsoft/signalr client show as
 * `signalr_server` and `signalr` connections; the app server's broadcast counts one message in
 * and one delivery.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { handshaken, serverKeyToken, startClient, until, type RawApp } from '../dataplane/signalr/raw-app-peer.ts';
import { parseExposition } from './exposition.ts';

const KEYS = { primaryKey: 'metrics-default-primary-0123456789abcdefghij', secondaryKey: 'metrics-default-secondary-0123456789abcdefgh' };

let lapis: TestLapis;
let app: RawApp | undefined;
let client: HubConnection | undefined;
before(async () => {
  lapis = await startTestLapis({ config: { resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'sr-dm', resourceGroup: 'rg-dm', accessKeys: KEYS }] } });
});
after(async () => {
  await client?.stop();
  app?.close();
  await lapis?.stop();
});

async function scrape() {
  return parseExposition(await (await fetch(`${lapis.ready.httpUrl}/metrics`)).text());
}

test('an app server and its relayed client are counted; the app server\'s broadcast is one message in, one delivery', async () => {
  const endpoint = /Endpoint=([^;]+)/.exec(lapis.ready.resources.find((r) => r.name === 'sr-dm')!.connectionString!)![1]!;
  app = await handshaken(endpoint, 'chat', await serverKeyToken(endpoint, 'chat', KEYS.primaryKey));
  app.answerClients();
  app.keepAlive();
  client = await startClient(endpoint, 'chat', KEYS.primaryKey);
  let got = 0;
  client.on('notify', () => { got++; });
  let e = await scrape();
  assert.equal(e.sum('lapis_connections', { resource: 'sr-dm', kind: 'signalr_server' }), 1);
  assert.equal(e.sum('lapis_connections', { resource: 'sr-dm', kind: 'signalr' }), 1);

  const invocation = Buffer.from(`${JSON.stringify({ type: 1, target: 'notify', arguments: ['hi'] })}\u001e`);
  app.send({ kind: 'Broadcast', excludedConnectionIds: [], payloads: new Map([['json', invocation]]), ext: {} });
  await until(() => got === 1, 'the relayed client got the broadcast');
  e = await scrape();
  assert.equal(e.sum('lapis_messages_received_total', { resource: 'sr-dm', kind: 'signalr' }), 1);
  assert.equal(e.sum('lapis_messages_sent_total', { resource: 'sr-dm', kind: 'signalr' }), 1);
});
