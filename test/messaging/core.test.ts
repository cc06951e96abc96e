import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBackplane } from '../../src/backplane/index.ts';
import { Connection, MessagingCore, PermissionSet, MAX_LITERAL_RULES, PermissionLimitError } from '../../src/messaging/index.ts';
import type { ConnectionSink, Message, CloseRequest, WebPubSubContent } from '../../src/messaging/index.ts';
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
  core.publish({ type: 'send', hub: 'cHaT', target: { scope: 'hub' }, content: { kind: 'webpubsub', payload: { kind: 'text', data: Buffer.from('x') }, from: 'server' } });
  assert.equal(a.sink.received.length, 1);
  assert.equal(b.sink.received.length, 1);
  assert.equal(other.sink.received.length, 0);
  // The same object reaches every connection: encodings cached on it are shared.
  assert.equal(a.sink.received[0], b.sink.received[0]);
  core.publish({ type: 'send', hub: 'chat', target: { scope: 'group', group: 'G' }, content: { kind: 'webpubsub', payload: { kind: 'text', data: Buffer.from('y') }, from: 'server' } });
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

test('encodings are built once per (message, format), WebSocket framing included', () => {
  const c: WebPubSubContent = { kind: 'webpubsub', payload: { kind: 'json', data: Buffer.from('{"a":1}') }, from: 'group', group: 'g', fromUserId: 'u' };
  const m: Message = { content: c, encoded: new Map() };
  const f1 = jsonFrame(m, c);
  assert.equal(jsonFrame(m, c), f1);
  assert.equal(f1.webSocketFrame(), f1.webSocketFrame(), 'the frame header is built once too');
  assert.equal(Buffer.concat(f1.pieces).toString(), '{"type":"message","from":"group","group":"g","fromUserId":"u","dataType":"json","data":{"a":1}}');
  const r1 = reliableFrame(m, c, 7);
  const r2 = reliableFrame(m, c, 12345);
  assert.equal(r1.pieces.at(-1), r2.pieces.at(-1)); // the shared body suffix is the same buffer
  assert.deepEqual(JSON.parse(Buffer.concat(r2.pieces).toString()), { sequenceId: 12345, type: 'message', from: 'group', group: 'g', fromUserId: 'u', dataType: 'json', data: { a: 1 } });
  const header = r2.webSocketFrame()[0]!;
  assert.equal(header[0], 0x81); // FIN + text opcode
  assert.equal(header[1], r2.length);
  assert.equal(simpleFrame(m, c), simpleFrame(m, c));
  const bigContent: WebPubSubContent = { kind: 'webpubsub', payload: { kind: 'binary', data: Buffer.alloc(70000) }, from: 'server' };
  const big: Message = { content: bigContent, encoded: new Map() };
  const h = simpleFrame(big, bigContent).webSocketFrame()[0]!;
  assert.deepEqual([h[0], h[1], h.readUInt32BE(6)], [0x82, 127, 70000]);
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
