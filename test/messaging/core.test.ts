import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBackplane } from '../../src/backplane/index.ts';
import { Connection, MessagingCore, PermissionSet, MAX_LITERAL_RULES, PermissionLimitError } from '../../src/messaging/index.ts';
import type { ConnectionSink, Message, CloseRequest } from '../../src/messaging/index.ts';
import { jsonFrame, reliableFrame, simpleFrame } from '../../src/protocols/webpubsub/encode.ts';
import { applyRoles, compileGroupPattern } from '../../src/protocols/webpubsub/index.ts';

class Recorder implements ConnectionSink {
  readonly protocol = 'test';
  readonly received: Message[] = [];
  readonly closes: CloseRequest[] = [];
  deliver(m: Message): void { this.received.push(m); }
  close(r: CloseRequest): void { this.closes.push(r); }
}

function setup() {
  const core = new MessagingCore({ channel: 'res', backplane: new InProcessBackplane() });
  const add = (id: string, hub: string, user?: string) => {
    const sink = new Recorder();
    const c = new Connection(id, hub.toLowerCase(), user, sink);
    core.register(c);
    return { c, sink };
  };
  return { core, add };
}

test('hubs are case-insensitive, groups case-sensitive; one Message object per fan-out', async () => {
  const { core, add } = setup();
  const a = add('a', 'Chat', 'u1');
  const b = add('b', 'CHAT', 'u1');
  const other = add('c', 'other');
  core.join(a.c, 'G');
  core.join(b.c, 'g');
  core.publish({ type: 'send', hub: 'cHaT', target: { scope: 'hub' }, payload: { kind: 'text', data: Buffer.from('x') }, from: 'server' });
  assert.equal(a.sink.received.length, 1);
  assert.equal(b.sink.received.length, 1);
  assert.equal(other.sink.received.length, 0);
  // The same object reaches every connection: encodings cached on it are shared.
  assert.equal(a.sink.received[0], b.sink.received[0]);
  core.publish({ type: 'send', hub: 'chat', target: { scope: 'group', group: 'G' }, payload: { kind: 'text', data: Buffer.from('y') }, from: 'server' });
  assert.equal(a.sink.received.length, 2);
  assert.equal(b.sink.received.length, 1);
  assert.equal((await core.request({ type: 'exists', hub: 'CHAT', target: { scope: 'user', userId: 'u1' } })).matched, 1);
  assert.deepEqual((await core.request({ type: 'listGroup', hub: 'chat', group: 'g' })).members, [{ connectionId: 'b', userId: 'u1' }]);
  await core.request({ type: 'close', hub: 'chat', target: { scope: 'user', userId: 'u1' }, excluded: ['b'], reason: 'r' });
  assert.deepEqual(a.sink.closes, [{ kind: 'service', reason: 'r' }]);
  assert.deepEqual(b.sink.closes, []);
  core.unregister(a.c);
  assert.equal(core.connectionCount, 2);
  assert.equal((await core.request({ type: 'exists', hub: 'chat', target: { scope: 'group', group: 'G' } })).matched, 0);
});

test('connection limit is enforced', () => {
  const core = new MessagingCore({ channel: 'r', backplane: new InProcessBackplane(), maxConnections: 1 });
  core.register(new Connection('a', 'h', undefined, new Recorder()));
  assert.equal(core.hasCapacity(), false);
  assert.throws(() => core.register(new Connection('b', 'h', undefined, new Recorder())), /connection limit of 1/);
});

test('encodings are built once per (message, format)', () => {
  const m: Message = { payload: { kind: 'json', data: Buffer.from('{"a":1}') }, from: 'group', group: 'g', fromUserId: 'u', encoded: new Map() };
  const f1 = jsonFrame(m);
  assert.equal(jsonFrame(m), f1);
  assert.equal(Buffer.concat(f1.slice(1)).toString(), '{"type":"message","from":"group","group":"g","fromUserId":"u","dataType":"json","data":{"a":1}}');
  const r1 = reliableFrame(m, 7);
  const r2 = reliableFrame(m, 12345);
  assert.equal(r1[3], r2[3]); // the shared body suffix is the same buffer
  assert.deepEqual(JSON.parse(Buffer.concat(r2.slice(1)).toString()), { sequenceId: 12345, type: 'message', from: 'group', group: 'g', fromUserId: 'u', dataType: 'json', data: { a: 1 } });
  assert.equal(r2[0]![0], 0x81); // FIN + text opcode
  assert.equal(r2[0]![1], Buffer.concat(r2.slice(1)).length);
  assert.equal(simpleFrame(m), simpleFrame(m));
  const big: Message = { payload: { kind: 'binary', data: Buffer.alloc(70000) }, from: 'server', encoded: new Map() };
  const header = simpleFrame(big)[0]!;
  assert.deepEqual([header[0], header[1], header.readUInt32BE(6)], [0x82, 127, 70000]);
});

test('permissions: roles, literal grants, wildcard roles, revoke overrides, limits', () => {
  const p = new PermissionSet();
  applyRoles(p, ['webpubsub.joinLeaveGroup.a', 'webpubsub.sendToGroups.news.*', 'custom.role', 'webpubsub.sendToGroup']);
  assert.equal(p.has('joinLeaveGroup', 'a'), true);
  assert.equal(p.has('joinLeaveGroup', 'b'), false);
  assert.equal(p.has('joinLeaveGroup'), false);
  assert.equal(p.has('sendToGroup', 'anything'), true);
  p.revoke('sendToGroup', 'x');
  assert.equal(p.has('sendToGroup', 'x'), false);
  assert.equal(p.has('sendToGroup', 'y'), true);
  p.grant('sendToGroup', 'x');
  assert.equal(p.has('sendToGroup', 'x'), true);
  p.revoke('sendToGroup');
  assert.equal(p.has('sendToGroup', 'news.today'), false);

  const w = compileGroupPattern('a.*.c?')!;
  assert.equal(w('a.b.cd'), true);
  assert.equal(w('a.b.x.cd'), false);
  assert.equal(compileGroupPattern('a.**')!('a.b.c'), true);
  assert.equal(compileGroupPattern('lit\\*')!('lit*'), true);
  assert.equal(compileGroupPattern('lit\\*')!('litx'), false);
  assert.equal(compileGroupPattern('*.*.*.*.*.*'), undefined);

  const many = new PermissionSet();
  for (let i = 0; i < MAX_LITERAL_RULES; i++) many.grant('joinLeaveGroup', `g${i}`);
  assert.throws(() => many.grant('joinLeaveGroup', 'one-more'), PermissionLimitError);
});
