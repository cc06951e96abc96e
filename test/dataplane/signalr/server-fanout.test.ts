/**
 * An app server's multi-target sends with many names (raw service-protocol messages, official
 * clients): Azure delivers once per connection however many of the named groups or users it
 * matches, and honours every excluded user. Past ~50 names an OData filter no longer fits, which
 * is where duplicates used to appear. And GroupMemberQuery, the SDK's group listing, page by page.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { decode } from '@msgpack/msgpack';
import { startTestLapis, type TestLapis } from '../../helpers/lapis.ts';
import { handshaken, serverKeyToken, startClient, until, type RawApp } from './raw-app-peer.ts';

const KEY = 'fanout-primary-key-0123456789abcdefgh';
let lapis: TestLapis;
let endpoint = '';
let app: RawApp;
const clients = new Map<string, { c: HubConnection; id: string; got: string[] }>();

before(async () => {
  lapis = await startTestLapis({
    config: { resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'fanout', resourceGroup: 'rg-fan', accessKeys: { primaryKey: KEY, secondaryKey: 'fanout-secondary-key-0123456789abcdef' } }] },
  });
  endpoint = /Endpoint=([^;]+)/.exec(lapis.ready.resources.find((r) => r.name === 'fanout')!.connectionString!)![1]!;
  app = await handshaken(endpoint, 'many', await serverKeyToken(endpoint, 'many', KEY));
  app.answerClients();
  app.keepAlive(1000);
  for (const user of ['u-many', 'u-one', 'u-none']) {
    const c = await startClient(endpoint, 'many', KEY, { 'asrs.s.uid': user });
    const open = app.messages.filter((m) => m.kind === 'OpenConnection').at(-1) as { connectionId: string };
    const entry = { c, id: open.connectionId, got: [] as string[] };
    c.on('m', (x: string) => entry.got.push(x));
    clients.set(user, entry);
  }
  // u-many is in 120 groups, u-one in one of them (g-7), u-none in none.
  let ackId = 0;
  const join = async (id: string, group: string) => {
    app.send({ kind: 'JoinGroupWithAck', connectionId: id, groupName: group, ackId: ++ackId, ext: {} });
    assert.equal((await app.next('Ack')).status, 1);
  };
  for (let i = 0; i < 120; i++) await join(clients.get('u-many')!.id, `g-${i}`);
  await join(clients.get('u-one')!.id, 'g-7');
});
after(async () => {
  await Promise.all([...clients.values()].map((x) => x.c.stop()));
  app?.close();
  await lapis?.stop();
});

const frame = (x: string) => new Map([['json', Buffer.from(`{"type":1,"target":"m","arguments":["${x}"]}\u001e`)]]);
/** Sends `end` to everyone last, so every earlier message has arrived when it has. */
async function settle(): Promise<Record<string, string[]>> {
  app.send({ kind: 'Broadcast', excludedConnectionIds: [], payloads: frame('end'), ext: {} });
  await until(() => [...clients.values()].every((x) => x.got.at(-1) === 'end'), 'the end marker');
  const out: Record<string, string[]> = {};
  for (const [user, x] of clients) out[user] = x.got.splice(0).filter((m) => m !== 'end');
  return out;
}

test('MultiGroupBroadcast to 150 groups reaches a member of 120 of them once', { timeout: 20_000 }, async () => {
  const groups = Array.from({ length: 150 }, (_, i) => `g-${i}`);
  app.send({ kind: 'MultiGroupBroadcast', groupNames: [...groups, 'g-3', "it's"], payloads: frame('groups'), ext: {} });
  assert.deepEqual(await settle(), { 'u-many': ['groups'], 'u-one': ['groups'], 'u-none': [] });
});

test('MultiUserData to 80 users (repeats included) reaches each named user\'s connection once', { timeout: 20_000 }, async () => {
  const users = [...Array.from({ length: 78 }, (_, i) => `other-${i}`), 'u-many', 'u-one', 'u-many'];
  app.send({ kind: 'MultiUserData', userIds: users, payloads: frame('users'), ext: {} });
  assert.deepEqual(await settle(), { 'u-many': ['users'], 'u-one': ['users'], 'u-none': [] });
});

test('GroupBroadcast excluding 70 users skips every one of them', { timeout: 20_000 }, async () => {
  const excluded = [...Array.from({ length: 69 }, (_, i) => `other-${i}`), 'u-one'];
  app.send({ kind: 'GroupBroadcast', groupName: 'g-7', excludedConnectionIds: [], payloads: frame('not u-one'), ext: {}, excludedUserIds: excluded, callerUserId: null });
  assert.deepEqual(await settle(), { 'u-many': ['not u-one'], 'u-one': [], 'u-none': [] });
});

test('GroupMemberQuery lists a group page by page (connection-id order, continuation = last id); top bounds it; an unknown group is an empty page', { timeout: 20_000 }, async () => {
  let ackId = 1000;
  const query = async (groupName: string, maxPageSize: number | null, top: number | null, continuationToken: string | null) => {
    app.send({ kind: 'GroupMemberQuery', groupName, ackId: ++ackId, maxPageSize, top, continuationToken, ext: {} });
    const ack = await app.next('Ack');
    assert.equal(ack.ackId, ackId);
    assert.equal(ack.status, 1, ack.message);
    return decode(ack.payload!) as [[string, string | null][], string | null];
  };
  const members = [clients.get('u-many')!, clients.get('u-one')!].map((x) => x.id).sort();
  const user = (id: string) => [...clients.entries()].find(([, x]) => x.id === id)![0];
  const first = await query('g-7', 1, null, null);
  assert.deepEqual(first, [[[members[0]!, user(members[0]!)]], members[0]]);
  const second = await query('g-7', 1, null, first[1]);
  assert.deepEqual(second, [[[members[1]!, user(members[1]!)]], null]);
  assert.deepEqual(await query('g-7', null, null, null), [members.map((id) => [id, user(id)]), null]);
  assert.deepEqual(await query('g-7', 10, 1, null), [[[members[0]!, user(members[0]!)]], null], 'top 1: one member, no continuation');
  assert.deepEqual(await query('nobody-here', null, null, null), [[], null]);
});
