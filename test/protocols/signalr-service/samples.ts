/**
 * Test helpers: one sample of every service message kind, with the array the SDK's writer lays out
 * for it (checked against an independent MessagePack decoder), and fast-check arbitraries.
 */
import fc from 'fast-check';
import type { ServiceMessage, ServiceMessageKind, ServiceExtensions } from '../../../src/protocols/signalr-service/index.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);
const json = bytes(0x7b, 0x7d, 0x1e);
const mp = bytes(0x01, 0x91, 0x06);
const payloads = () => new Map([['json', json], ['messagepack', mp]]);
const P = { json, messagepack: mp };

export interface Sample { message: ServiceMessage; layout: unknown[] }

/** Every kind, each with a non-trivial value in each field; `layout` is the expected wire array. */
export const SAMPLES: Record<ServiceMessageKind, Sample> = {
  HandshakeRequest: {
    message: { kind: 'HandshakeRequest', version: 1, connectionType: 1, target: 't1', migrationLevel: 1, allowStatefulReconnects: true, ext: {} },
    layout: [1, 1, 1, 't1', 1, {}, true] },
  HandshakeResponse: {
    message: { kind: 'HandshakeResponse', errorMessage: '', connectionId: 'sc1', ext: {} },
    layout: [2, '', {}, 'sc1'] },
  Ping: { message: { kind: 'Ping', messages: ['status', '1'] }, layout: [3, 'status', '1'] },
  OpenConnection: {
    message: { kind: 'OpenConnection', connectionId: 'c1', claims: [{ type: 'role', value: 'a' }, { type: 'asrs.s.uid', value: 'u1' }], headers: new Map([['user-agent', ['x']]]), queryString: '?asrs.op=%2Fchat', ext: { protocol: 'json' } },
    layout: [4, 'c1', { role: 'a', 'asrs.s.uid': 'u1' }, { 'user-agent': ['x'] }, '?asrs.op=%2Fchat', { 3: 'json' }] },
  CloseConnection: {
    message: { kind: 'CloseConnection', connectionId: 'c1', errorMessage: 'bye', headers: new Map(), ext: {} },
    layout: [5, 'c1', 'bye', {}, {}] },
  ConnectionData: {
    message: { kind: 'ConnectionData', connectionId: 'c1', payload: json, ext: { dataMessageType: 1 } },
    layout: [6, 'c1', json, { 5: 1 }] },
  MultiConnectionData: {
    message: { kind: 'MultiConnectionData', connectionIds: ['c1', 'c2'], payloads: payloads(), ext: {} },
    layout: [7, ['c1', 'c2'], P, {}] },
  UserData: { message: { kind: 'UserData', userId: 'u1', payloads: payloads(), ext: {} }, layout: [8, 'u1', P, {}] },
  MultiUserData: { message: { kind: 'MultiUserData', userIds: ['u1'], payloads: payloads(), ext: {} }, layout: [9, ['u1'], P, {}] },
  Broadcast: { message: { kind: 'Broadcast', excludedConnectionIds: ['c9'], payloads: payloads(), ext: { tracingId: 7n } }, layout: [10, ['c9'], P, { 1: 7 }] },
  JoinGroup: { message: { kind: 'JoinGroup', connectionId: 'c1', groupName: 'g', ext: {} }, layout: [11, 'c1', 'g', {}] },
  LeaveGroup: { message: { kind: 'LeaveGroup', connectionId: 'c1', groupName: 'g', ext: {} }, layout: [12, 'c1', 'g', {}] },
  GroupBroadcast: {
    message: { kind: 'GroupBroadcast', groupName: 'g', excludedConnectionIds: [], payloads: payloads(), ext: {}, excludedUserIds: ['u2'], callerUserId: 'u1' },
    layout: [13, 'g', [], P, {}, ['u2'], 'u1'] },
  MultiGroupBroadcast: { message: { kind: 'MultiGroupBroadcast', groupNames: ['g', 'h'], payloads: payloads(), ext: {} }, layout: [14, ['g', 'h'], P, {}] },
  ServiceError: { message: { kind: 'ServiceError', errorMessage: 'oops' }, layout: [15, 'oops'] },
  UserJoinGroup: { message: { kind: 'UserJoinGroup', userId: 'u1', groupName: 'g', ext: { ttl: 60 } }, layout: [16, 'u1', 'g', { 2: 60 }] },
  UserLeaveGroup: { message: { kind: 'UserLeaveGroup', userId: 'u1', groupName: null, ext: {} }, layout: [17, 'u1', null, {}] },
  JoinGroupWithAck: { message: { kind: 'JoinGroupWithAck', connectionId: 'c1', groupName: 'g', ackId: 5, ext: {} }, layout: [18, 'c1', 'g', 5, {}] },
  LeaveGroupWithAck: { message: { kind: 'LeaveGroupWithAck', connectionId: 'c1', groupName: 'g', ackId: 6, ext: {} }, layout: [19, 'c1', 'g', 6, {}] },
  Ack: { message: { kind: 'Ack', ackId: 5, status: 1, message: '', ext: {} }, layout: [20, 5, 1, '', {}] },
  CheckUserInGroupWithAck: { message: { kind: 'CheckUserInGroupWithAck', userId: 'u1', groupName: 'g', ackId: 7, ext: {} }, layout: [21, 'u1', 'g', 7, {}] },
  ServiceEvent: { message: { kind: 'ServiceEvent', objectType: 1, id: 'c1', eventKind: 2, message: 'gone', ext: {} }, layout: [22, 1, 'c1', 2, 'gone', {}] },
  CheckGroupExistenceWithAck: { message: { kind: 'CheckGroupExistenceWithAck', groupName: 'g', ackId: 8, ext: {} }, layout: [23, 'g', 8, {}] },
  CheckConnectionExistenceWithAck: { message: { kind: 'CheckConnectionExistenceWithAck', connectionId: 'c1', ackId: 9, ext: {} }, layout: [24, 'c1', 9, {}] },
  CheckUserExistenceWithAck: { message: { kind: 'CheckUserExistenceWithAck', userId: 'u1', ackId: 10, ext: {} }, layout: [25, 'u1', 10, {}] },
  UserJoinGroupWithAck: { message: { kind: 'UserJoinGroupWithAck', userId: 'u1', groupName: 'g', ackId: 11, ext: { ttl: 5 } }, layout: [26, 'u1', 'g', 11, { 2: 5 }] },
  UserLeaveGroupWithAck: { message: { kind: 'UserLeaveGroupWithAck', userId: 'u1', groupName: 'g', ackId: 12, ext: {} }, layout: [27, 'u1', 'g', 12, {}] },
  AccessKeyRequest: { message: { kind: 'AccessKeyRequest', token: 'eyJ', kid: null, ext: {} }, layout: [28, 'eyJ', null, {}] },
  AccessKeyResponse: { message: { kind: 'AccessKeyResponse', kid: 'k1', accessKey: 'secret', errorType: null, errorMessage: null, ext: {} }, layout: [29, 'k1', 'secret', null, null, {}] },
  CloseConnectionWithAck: { message: { kind: 'CloseConnectionWithAck', connectionId: 'c1', reason: 'r', ackId: 13, ext: {} }, layout: [30, 'c1', 'r', 13, {}] },
  CloseConnectionsWithAck: { message: { kind: 'CloseConnectionsWithAck', reason: 'r', ackId: 14, excludedConnectionIds: ['c2'], ext: {} }, layout: [31, 'r', 14, ['c2'], {}] },
  CloseUserConnectionsWithAck: { message: { kind: 'CloseUserConnectionsWithAck', userId: 'u1', reason: null, ackId: 15, excludedConnectionIds: [], ext: {} }, layout: [32, 'u1', null, 15, [], {}] },
  CloseGroupConnectionsWithAck: { message: { kind: 'CloseGroupConnectionsWithAck', groupName: 'g', reason: 'r', ackId: 16, excludedConnectionIds: [], ext: {} }, layout: [33, 'g', 'r', 16, [], {}] },
  ClientInvocation: { message: { kind: 'ClientInvocation', invocationId: 'i1', connectionId: 'c1', callerServerId: 's1', payloads: payloads(), ext: {} }, layout: [34, 'i1', 'c1', 's1', P, {}] },
  ClientCompletion: { message: { kind: 'ClientCompletion', invocationId: 'i1', connectionId: 'c1', callerServerId: 's1', protocol: 'json', payload: json, ext: {} }, layout: [35, 'i1', 'c1', 's1', 'json', json, {}] },
  ErrorCompletion: { message: { kind: 'ErrorCompletion', invocationId: 'i1', connectionId: 'c1', callerServerId: 's1', error: 'Connection disconnected.', ext: {} }, layout: [36, 'i1', 'c1', 's1', 'Connection disconnected.', {}] },
  ServiceMapping: { message: { kind: 'ServiceMapping', invocationId: 'i1', connectionId: 'c1', instanceId: 'n1', ext: {} }, layout: [37, 'i1', 'c1', 'n1', {}] },
  ConnectionReconnect: { message: { kind: 'ConnectionReconnect', connectionId: 'c1', ext: {} }, layout: [38, 'c1', {}] },
  ConnectionFlowControl: { message: { kind: 'ConnectionFlowControl', connectionId: 'c1', connectionType: 1, operation: 3, ext: {} }, layout: [39, 'c1', 1, 3, {}] },
  GroupMemberQuery: { message: { kind: 'GroupMemberQuery', groupName: 'g', ackId: 17, top: 100, continuationToken: null, maxPageSize: 50, ext: {} }, layout: [40, {}, 'g', 17, 100, null, 50] },
  RefreshAuth: {
    message: { kind: 'RefreshAuth', connectionToken: 'tok', claims: [{ type: 'role', value: 'a' }], expireTime: new Date(1700000000500), ackId: 18, ext: {} },
    layout: [41, 'tok', { role: 'a' }, new Date(1700000000500), 18, {}] },
  GetConnectionClaims: { message: { kind: 'GetConnectionClaims', connectionToken: 'tok', ackId: 19, ext: {} }, layout: [42, 'tok', 19, {}] },
  UpdateConnectionClaims: { message: { kind: 'UpdateConnectionClaims', connectionId: 'c1', claims: [{ type: 'name', value: 'n' }], ext: {} }, layout: [43, 'c1', { name: 'n' }, {}] },
};

const text = fc.string({ maxLength: 24 });
const nullableText = fc.option(text, { nil: null });
const blob = fc.uint8Array({ maxLength: 64 });
const int32 = fc.integer({ min: -2147483648, max: 2147483647 });

export const extensionsArb: fc.Arbitrary<ServiceExtensions> = fc.record(
  {
    tracingId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    ttl: int32,
    protocol: fc.constantFrom('json', 'messagepack'),
    filter: text,
    dataMessageType: fc.integer({ min: 1, max: 4 }),
    isPartial: fc.constant(true),
  },
  { requiredKeys: [] },
);

/** Payload maps with distinct keys ignoring case (the SDK's dictionary is case-insensitive). */
const payloadsArb = fc.uniqueArray(fc.tuple(fc.constantFrom('json', 'messagepack', 'blazorpack', 'x'), blob), { selector: ([k]) => k, maxLength: 3 })
  .map((entries) => new Map(entries));
const headersArb = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z-]{1,12}$/), fc.array(text, { maxLength: 3 })), { selector: ([k]) => k, maxLength: 4 })
  .map((entries) => new Map(entries));

/** Arbitrary messages of the kinds that carry variable data (claims, headers, payloads, ext, big ids). */
export const messageArb: fc.Arbitrary<ServiceMessage> = fc.oneof(
  fc.record({ kind: fc.constant('OpenConnection' as const), connectionId: text, claims: fc.array(fc.record({ type: text, value: text }), { maxLength: 5 }), headers: headersArb, queryString: nullableText, ext: extensionsArb }),
  fc.record({ kind: fc.constant('ConnectionData' as const), connectionId: text, payload: blob, ext: extensionsArb }),
  fc.record({ kind: fc.constant('Broadcast' as const), excludedConnectionIds: fc.array(text, { maxLength: 4 }), payloads: payloadsArb, ext: extensionsArb }),
  fc.record({ kind: fc.constant('GroupBroadcast' as const), groupName: text, excludedConnectionIds: fc.array(text, { maxLength: 3 }), payloads: payloadsArb, ext: extensionsArb, excludedUserIds: fc.array(text, { maxLength: 3 }), callerUserId: nullableText }),
  fc.record({ kind: fc.constant('JoinGroupWithAck' as const), connectionId: text, groupName: text, ackId: int32, ext: extensionsArb }),
  fc.tuple(fc.record({ kind: fc.constant('Ack' as const), ackId: int32, status: fc.integer({ min: 1, max: 4 }), message: text, ext: extensionsArb }), fc.option(fc.option(blob, { nil: null }), { nil: undefined }))
    .map(([ack, payload]) => (payload === undefined ? ack : { ...ack, payload })),
  fc.record({ kind: fc.constant('RefreshAuth' as const), connectionToken: text, claims: fc.array(fc.record({ type: text, value: text }), { maxLength: 3 }), expireTime: fc.date({ min: new Date(-62_135_596_800_000), max: new Date(253_402_300_799_999), noInvalidDate: true }), ackId: int32, ext: extensionsArb }),
  fc.record({ kind: fc.constant('GroupMemberQuery' as const), groupName: text, ackId: int32, top: fc.option(int32, { nil: null }), continuationToken: nullableText, maxPageSize: fc.option(int32, { nil: null }), ext: extensionsArb }),
  fc.record({ kind: fc.constant('Ping' as const), messages: fc.array(nullableText, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('CloseConnection' as const), connectionId: text, errorMessage: text, headers: headersArb, ext: extensionsArb }),
  fc.record({ kind: fc.constant('AccessKeyResponse' as const), kid: nullableText, accessKey: nullableText, errorType: nullableText, errorMessage: nullableText, ext: extensionsArb }),
);
