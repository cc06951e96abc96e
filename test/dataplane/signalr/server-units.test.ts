/** Pieces of the default-mode relay without a network: claim and header mapping, client-result interception. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { ClientResults, openConnectionClaims, openConnectionHeaders, type ServerConnection } from '../../../src/dataplane/signalr/server/index.ts';
import { varIntPrefix, type ServiceMessage } from '../../../src/protocols/signalr-service/index.ts';

test('claims: short JWT names become the .NET claim types, arrays repeat, registered claims drop, asrs.s.* stay', () => {
  const claims = openConnectionClaims({ aud: 'x', exp: 1, iat: 1, nbf: 1, iss: 'azure-signalr', 'asrs.s.uid': 'alice', 'asrs.s.aut': 'Cookies', nameid: 'alice', unique_name: 'Alice', role: ['admin', 'ops'], custom: 7 });
  assert.deepEqual(claims, [
    { type: 'asrs.s.uid', value: 'alice' },
    { type: 'asrs.s.aut', value: 'Cookies' },
    { type: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier', value: 'alice' },
    { type: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', value: 'Alice' },
    { type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', value: 'admin' },
    { type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', value: 'ops' },
    { type: 'custom', value: '7' },
  ]);
});

test('headers: credentials stay behind, the client address is appended to X-Forwarded-For', () => {
  const h = openConnectionHeaders({ authorization: 'Bearer x', cookie: 'a=b', 'user-agent': 'ua', 'x-forwarded-for': '10.0.0.1' }, '127.0.0.1');
  assert.deepEqual([...h], [['user-agent', ['ua']], ['x-forwarded-for', ['10.0.0.1, 127.0.0.1']]]);
  assert.deepEqual([...openConnectionHeaders(undefined, undefined)], []);
});

function fakeServer(): { server: ServerConnection; sent: ServiceMessage[] } {
  const sent: ServiceMessage[] = [];
  return { server: { send: (m: ServiceMessage) => sent.push(m) } as unknown as ServerConnection, sent };
}

test('client results (JSON): the answering Completion goes to the asking server, other frames are relayed', () => {
  const r = new ClientResults({ holdMs: 0 });
  const { server, sent } = fakeServer();
  const untouched = Buffer.from('{"type":6}\u001e');
  assert.equal(r.intercept('c1', 'json', untouched), untouched, 'nothing pending: bytes pass as they are');
  r.add('c1', 'inv-1', server, 'app_1');
  const completion = '{"type":3,"invocationId":"inv-1","result":"yes"}\u001e';
  const rest = r.intercept('c1', 'json', Buffer.from(`{"type":6}\u001e${completion}{"type":1,"target":"x","arguments":[]}\u001e`));
  assert.equal(rest.toString(), '{"type":6}\u001e{"type":1,"target":"x","arguments":[]}\u001e');
  assert.equal(sent.length, 1);
  const m = sent[0] as Extract<ServiceMessage, { kind: 'ClientCompletion' }>;
  assert.deepEqual([m.kind, m.invocationId, m.connectionId, m.callerServerId, m.protocol, Buffer.from(m.payload).toString()], ['ClientCompletion', 'inv-1', 'c1', 'app_1', 'json', completion]);
  // Answered once: a second completion with the same id is relayed like any other frame.
  assert.equal(r.intercept('c1', 'json', Buffer.from(completion)).toString(), completion);
});

test('client results (MessagePack): frames split by length prefix; a client that leaves fails what is pending', () => {
  const r = new ClientResults({ holdMs: 0 });
  const { server, sent } = fakeServer();
  r.add('c2', 'inv-2', server, 'app_2');
  r.add('c2', 'inv-3', server, 'app_2');
  const body = encode([3, {}, 'inv-2', 3, 'ok']);
  const framed = Buffer.concat([varIntPrefix(body.length), body]);
  assert.equal(r.intercept('c2', 'messagepack', framed).length, 0);
  assert.equal(sent[0]!.kind, 'ClientCompletion');
  // A chunk that does not end on a frame boundary is relayed untouched.
  const partial = framed.subarray(0, 3);
  assert.equal(r.intercept('c2', 'messagepack', partial), partial);
  r.clientGone('c2', 'gone');
  const err = sent[1] as Extract<ServiceMessage, { kind: 'ErrorCompletion' }>;
  assert.deepEqual([err.kind, err.invocationId, err.error], ['ErrorCompletion', 'inv-3', 'gone']);
});
