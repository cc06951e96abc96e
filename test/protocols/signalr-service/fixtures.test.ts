/**
 * Byte-level fixtures. The base64 vectors are the SDK's own ServiceProtocolFacts test data
 * (Azure/azure-signalr test/Microsoft.Azure.SignalR.Protocols.Tests): full layouts must decode to
 * the expected message and encode back to the identical bytes; legacy short layouts (older SDKs)
 * must still decode. Two messages are also spelled out byte by byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeServiceMessageBody, encodeServiceMessage, encodeServiceMessageBody, PING_BYTES, handshakeResponseBytes } from '../../../src/protocols/signalr-service/index.ts';
import type { ServiceMessage } from '../../../src/protocols/signalr-service/index.ts';

const b = (...n: number[]) => Uint8Array.from(n);
const P7 = (json: number[], mp: number[]) => new Map([['json', Uint8Array.from(json)], ['messagepack', Uint8Array.from(mp)]]);
const NAMEID = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';
const plain = <T>(v: T): T => structuredClone(v);

/** [name, base64 of the body, message] — full layouts: decode and encode both ways, byte-exact. */
const FULL: [string, string, ServiceMessage][] = [
  ['HandshakeResponse (SDK writer form)', 'lAKggMA=', { kind: 'HandshakeResponse', errorMessage: '', ext: {}, connectionId: null }],
  ['HandshakeResponseWithError', 'lAKxVmVyc2lvbiBtaXNtYXRjaC6AwA==', { kind: 'HandshakeResponse', errorMessage: 'Version mismatch.', ext: {}, connectionId: null }],
  ['HandshakeResponseWithConnectionId', 'lAKggKNhYmM=', { kind: 'HandshakeResponse', errorMessage: '', ext: {}, connectionId: 'abc' }],
  ['AccessKeyRequest', 'lByldG9rZW7AgA==', { kind: 'AccessKeyRequest', token: 'token', kid: null, ext: {} }],
  ['AccessKeyRequestWithKid', 'lByldG9rZW6ja2lkgA==', { kind: 'AccessKeyRequest', token: 'token', kid: 'kid', ext: {} }],
  ['AccessKeyResponse', 'lh2ja2lko2tlecDAgA==', { kind: 'AccessKeyResponse', kid: 'kid', accessKey: 'key', errorType: null, errorMessage: null, ext: {} }],
  ['AccessKeyResponseWithException', 'lh3AwLVBcmd1bWVudE51bGxFeGNlcHRpb27ZMVZhbHVlIGNhbm5vdCBiZSBudWxsLiAoUGFyYW1ldGVyICd0b2tlbiBpbnZhbGlkJymA',
    { kind: 'AccessKeyResponse', kid: null, accessKey: null, errorType: 'ArgumentNullException', errorMessage: "Value cannot be null. (Parameter 'token invalid')", ext: {} }],
  ['Ping', 'kQM=', { kind: 'Ping', messages: [] }],
  ['Ping+', 'kwOhYaFi', { kind: 'Ping', messages: ['a', 'b'] }],
  ['OpenConnection', 'lgSlY29ubjGAgKCA', { kind: 'OpenConnection', connectionId: 'conn1', claims: [], headers: new Map(), queryString: '', ext: {} }],
  ['OpenConnectionWithTracingId', 'lgSlY29ubjGAgKCBAc0DeA==', { kind: 'OpenConnection', connectionId: 'conn1', claims: [], headers: new Map(), queryString: '', ext: { tracingId: 888n } }],
  ['OpenConnectionWithClaims', 'lgSlY29ubjKB2URodHRwOi8vc2NoZW1hcy54bWxzb2FwLm9yZy93cy8yMDA1LzA1L2lkZW50aXR5L2NsYWltcy9uYW1laWRlbnRpZmllcqV1c2VyMYCggA==',
    { kind: 'OpenConnection', connectionId: 'conn2', claims: [{ type: NAMEID, value: 'user1' }], headers: new Map(), queryString: '', ext: {} }],
  ['OpenConnectionWithHeaders', 'lgSlY29ubjOAg6xoZWFkZXIta2V5LTGRrmhlYWRlci12YWx1ZS0xrGhlYWRlci1rZXktMpKuaGVhZXItdmFsdWUtMmGvaGVhZGVyLXZhbHVlLTJirGhlYWRlci1rZXktM5OuaGVhZXItdmFsdWUtM2GvaGVhZGVyLXZhbHVlLTNir2hlYWRlci12YWx1ZS0zY6CA',
    { kind: 'OpenConnection', connectionId: 'conn3', claims: [], queryString: '', ext: {}, headers: new Map([
      ['header-key-1', ['header-value-1']], ['header-key-2', ['heaer-value-2a', 'header-value-2b']], ['header-key-3', ['heaer-value-3a', 'header-value-3b', 'header-value-3c']]]) }],
  ['OpenConnection_WithProtocol', 'lgSlY29ubjGAgKCBA6Rqc29u', { kind: 'OpenConnection', connectionId: 'conn1', claims: [], headers: new Map(), queryString: '', ext: { protocol: 'json' } }],
  ['CloseConnection', 'lQWlY29ubjOggIA=', { kind: 'CloseConnection', connectionId: 'conn3', errorMessage: '', headers: new Map(), ext: {} }],
  ['CloseConnectionWithTracingId', 'lQWlY29ubjSggIEBew==', { kind: 'CloseConnection', connectionId: 'conn4', errorMessage: '', headers: new Map(), ext: { tracingId: 123n } }],
  ['ConnectionData', 'lAalY29ubjXEBwECAwQFBgeA', { kind: 'ConnectionData', connectionId: 'conn5', payload: b(1, 2, 3, 4, 5, 6, 7), ext: {} }],
  ['ConnectionData_WithTypeAndPartial', 'lAalY29ubjbEBwECAwQFBgeCBQIGww==', { kind: 'ConnectionData', connectionId: 'conn6', payload: b(1, 2, 3, 4, 5, 6, 7), ext: { dataMessageType: 2, isPartial: true } }],
  ['ConnectionReconnect', 'kyalY29ubjeA', { kind: 'ConnectionReconnect', connectionId: 'conn7', ext: {} }],
  ['MultiConnectionDataWithTracingId', 'lAeSpWNvbm42pWNvbm43gqRqc29uxAcCAwQFBgcBq21lc3NhZ2VwYWNrxAcDBAUGBwECgQHNBNI=',
    { kind: 'MultiConnectionData', connectionIds: ['conn6', 'conn7'], payloads: P7([2, 3, 4, 5, 6, 7, 1], [3, 4, 5, 6, 7, 1, 2]), ext: { tracingId: 1234n } }],
  ['UserData', 'lAildXNlcjGCpGpzb27EBwYHAQIDBAWrbWVzc2FnZXBhY2vEBwcBAgMEBQaA', { kind: 'UserData', userId: 'user1', payloads: P7([6, 7, 1, 2, 3, 4, 5], [7, 1, 2, 3, 4, 5, 6]), ext: {} }],
  ['MultiUserData', 'lAmSpXVzZXIxpXVzZXIygqRqc29uxAcGBwECAwQFq21lc3NhZ2VwYWNrxAcHAQIDBAUGgA==', { kind: 'MultiUserData', userIds: ['user1', 'user2'], payloads: P7([6, 7, 1, 2, 3, 4, 5], [7, 1, 2, 3, 4, 5, 6]), ext: {} }],
  ['Broadcast', 'lAqQgqRqc29uxAcEBQYHAQIDq21lc3NhZ2VwYWNrxAcFBgcBAgMEgA==', { kind: 'Broadcast', excludedConnectionIds: [], payloads: P7([4, 5, 6, 7, 1, 2, 3], [5, 6, 7, 1, 2, 3, 4]), ext: {} }],
  ['BroadcastExcept', 'lAqTpWNvbm43pWNvbm44pWNvbm45gqRqc29uxAcGBwECAwQFq21lc3NhZ2VwYWNrxAcHAQIDBAUGgA==', { kind: 'Broadcast', excludedConnectionIds: ['conn7', 'conn8', 'conn9'], payloads: P7([6, 7, 1, 2, 3, 4, 5], [7, 1, 2, 3, 4, 5, 6]), ext: {} }],
  ['BroadcastWithTracingId', 'lAqQgqRqc29uxAcEBQYHAQIDq21lc3NhZ2VwYWNrxAcFBgcBAgMEgQHNBNI=', { kind: 'Broadcast', excludedConnectionIds: [], payloads: P7([4, 5, 6, 7, 1, 2, 3], [5, 6, 7, 1, 2, 3, 4]), ext: { tracingId: 1234n } }],
  ['JoinGroup', 'lAumY29ubjEwpmdyb3VwMYA=', { kind: 'JoinGroup', connectionId: 'conn10', groupName: 'group1', ext: {} }],
  ['LeaveGroupWithTracingId', 'lAymY29ubjExpmdyb3VwMoEBzQTS', { kind: 'LeaveGroup', connectionId: 'conn11', groupName: 'group2', ext: { tracingId: 1234n } }],
  ['UserJoinGroupWithTtl', 'lBCmY29ubjEwpmdyb3VwMYECZA==', { kind: 'UserJoinGroup', userId: 'conn10', groupName: 'group1', ext: { ttl: 100 } }],
  ['UserLeaveGroup', 'lBGmY29ubjExpmdyb3VwMoA=', { kind: 'UserLeaveGroup', userId: 'conn11', groupName: 'group2', ext: {} }],
  ['GroupBroadcast', 'lw2mZ3JvdXAzkIKkanNvbsQHBgcBAgMEBattZXNzYWdlcGFja8QHBwECAwQFBoCQwA==',
    { kind: 'GroupBroadcast', groupName: 'group3', excludedConnectionIds: [], payloads: P7([6, 7, 1, 2, 3, 4, 5], [7, 1, 2, 3, 4, 5, 6]), ext: {}, excludedUserIds: [], callerUserId: null }],
  ['GroupBroadcastExceptUser', 'lw2mZ3JvdXAzkqZjb25uMTKmY29ubjEzgqRqc29uxAcGBwECAwQFq21lc3NhZ2VwYWNrxAcHAQIDBAUGgJKldXNlcjGldXNlcjKldXNlcjM=',
    { kind: 'GroupBroadcast', groupName: 'group3', excludedConnectionIds: ['conn12', 'conn13'], payloads: P7([6, 7, 1, 2, 3, 4, 5], [7, 1, 2, 3, 4, 5, 6]), ext: {}, excludedUserIds: ['user1', 'user2'], callerUserId: 'user3' }],
  ['GroupBroadcastWithTracingId', 'lw2mZ3JvdXAzkIKkanNvbsQHBgcBAgMEBattZXNzYWdlcGFja8QHBwECAwQFBoEBzQTSkMA=',
    { kind: 'GroupBroadcast', groupName: 'group3', excludedConnectionIds: [], payloads: P7([6, 7, 1, 2, 3, 4, 5], [7, 1, 2, 3, 4, 5, 6]), ext: { tracingId: 1234n }, excludedUserIds: [], callerUserId: null }],
  ['MultiGroupBroadcast', 'lA6Spmdyb3VwNKZncm91cDWCpGpzb27ECAECAwQFBgcIq21lc3NhZ2VwYWNrxAgHCAECAwQFBoA=',
    { kind: 'MultiGroupBroadcast', groupNames: ['group4', 'group5'], payloads: P7([1, 2, 3, 4, 5, 6, 7, 8], [7, 8, 1, 2, 3, 4, 5, 6]), ext: {} }],
  ['ServiceError', 'kg/ZK01heGltdW0gbWVzc2FnZSBjb3VudCBsaW1pdCByZWFjaGVkOiAxMDAwMDA=', { kind: 'ServiceError', errorMessage: 'Maximum message count limit reached: 100000' }],
  ['Ack', 'lRQBZKCA', { kind: 'Ack', ackId: 1, status: 100, message: '', ext: {} }],
  ['AckWithMessage', 'lRQCZblKb2luZWQgZ3JvdXAgc3VjY2Vzc2Z1bGx5gA==', { kind: 'Ack', ackId: 2, status: 101, message: 'Joined group successfully', ext: {} }],
  ['JoinGroupWithAck', 'lRKmY29ubjE0pmdyb3VwMQGA', { kind: 'JoinGroupWithAck', connectionId: 'conn14', groupName: 'group1', ackId: 1, ext: {} }],
  ['LeaveGroupWithAckWithTracingId', 'lROmY29ubjE1pmdyb3VwMgGBAc0E0g==', { kind: 'LeaveGroupWithAck', connectionId: 'conn15', groupName: 'group2', ackId: 1, ext: { tracingId: 1234n } }],
  ['UserJoinGroupWithAckWithTracingId', 'lRqmY29ubjE0pmdyb3VwMQGCAc0E0gLNApo=', { kind: 'UserJoinGroupWithAck', userId: 'conn14', groupName: 'group1', ackId: 1, ext: { tracingId: 1234n, ttl: 666 } }],
  ['CheckUserInGroupWithAck', 'lRWkdXNlcqVncm91cAOBAc0E0g==', { kind: 'CheckUserInGroupWithAck', userId: 'user', groupName: 'group', ackId: 3, ext: { tracingId: 1234n } }],
  ['ServiceWarningMessage', 'lhYCo2FiYwK4VXNlciBhYmMgaXMgbm90IGV4aXN0ZWQugA==', { kind: 'ServiceEvent', objectType: 2, id: 'abc', eventKind: 2, message: 'User abc is not existed.', ext: {} }],
  ['CheckGroupExistenceWithAck', 'lBelZ3JvdXAAgQED', { kind: 'CheckGroupExistenceWithAck', groupName: 'group', ackId: 0, ext: { tracingId: 3n } }],
  ['CheckConnectionExistenceWithAck', 'lBimY29ubklkAYEBAg==', { kind: 'CheckConnectionExistenceWithAck', connectionId: 'connId', ackId: 1, ext: { tracingId: 2n } }],
  ['CheckUserExistenceWithAck', 'lBmjdWlkBIEBFw==', { kind: 'CheckUserExistenceWithAck', userId: 'uid', ackId: 4, ext: { tracingId: 23n } }],
  ['CloseConnectionWithAck', 'lR6lY29ubjHAAYA=', { kind: 'CloseConnectionWithAck', connectionId: 'conn1', reason: null, ackId: 1, ext: {} }],
  ['CloseConnectionWithAck_WithOptional', 'lR6lY29ubjGmZGV0YWlsAYEBAQ==', { kind: 'CloseConnectionWithAck', connectionId: 'conn1', reason: 'detail', ackId: 1, ext: { tracingId: 1n } }],
  ['CloseConnectionsWithAck_WithOptional', 'lR/AAZGmY29ubklkgQEB', { kind: 'CloseConnectionsWithAck', reason: null, ackId: 1, excludedConnectionIds: ['connId'], ext: { tracingId: 1n } }],
  ['CloseUserConnectionsWithAck_WithOptional', 'liClY29ubjGmZGV0YWlsAZCBAQE=', { kind: 'CloseUserConnectionsWithAck', userId: 'conn1', reason: 'detail', ackId: 1, excludedConnectionIds: [], ext: { tracingId: 1n } }],
  ['CloseGroupConnectionsWithAck', 'liGmZ3JvdXAxwAGQgA==', { kind: 'CloseGroupConnectionsWithAck', groupName: 'group1', reason: null, ackId: 1, excludedConnectionIds: [], ext: {} }],
  ['ClientInvocation', 'liKsaW52b2NhdGlvbklkpWNvbm4xp3NlcnZlcjGCpGpzb27EBwIDBAUGBwGrbWVzc2FnZXBhY2vEBwMEBQYHAQKA',
    { kind: 'ClientInvocation', invocationId: 'invocationId', connectionId: 'conn1', callerServerId: 'server1', payloads: P7([2, 3, 4, 5, 6, 7, 1], [3, 4, 5, 6, 7, 1, 2]), ext: {} }],
  // The SDK's ClientCompletionMessage also carries its protocol in extension member 3.
  ['ClientCompletion', 'lyOsaW52b2NhdGlvbklkpWNvbm4xp3NlcnZlcjGkanNvbsQHAgMEBQYHAYEDpGpzb24=',
    { kind: 'ClientCompletion', invocationId: 'invocationId', connectionId: 'conn1', callerServerId: 'server1', protocol: 'json', payload: b(2, 3, 4, 5, 6, 7, 1), ext: { protocol: 'json' } }],
  ['ErrorCompletion', 'liSsaW52b2NhdGlvbklkpWNvbm4xp3NlcnZlcjGyaW52b2NhdGlvbiBmYWlsZWQugA==',
    { kind: 'ErrorCompletion', invocationId: 'invocationId', connectionId: 'conn1', callerServerId: 'server1', error: 'invocation failed.', ext: {} }],
  ['ServiceMapping', 'lSWsaW52b2NhdGlvbklkpWNvbm4xqWluc3RhbmNlMYA=', { kind: 'ServiceMapping', invocationId: 'invocationId', connectionId: 'conn1', instanceId: 'instance1', ext: {} }],
];

/**
 * Written by Microsoft.Azure.SignalR.Protocols 1.34.0 itself (ServiceProtocol.GetMessageBytes, length
 * prefix removed), captured with a throwaway .NET console on 2026-12-06: the layouts 1.34 sends.
 */
const SDK_1_34: [string, string, ServiceMessage][] = [
  ['HandshakeRequest(1)', 'lwEBAKAAgMI=', { kind: 'HandshakeRequest', version: 1, connectionType: 0, target: '', migrationLevel: 0, ext: {}, allowStatefulReconnects: false }],
  ['HandshakeRequest(1, 1, 1) target t, stateful', 'lwEBAaF0AYDD', { kind: 'HandshakeRequest', version: 1, connectionType: 1, target: 't', migrationLevel: 1, ext: {}, allowStatefulReconnects: true }],
  ['HandshakeResponse()', 'lAKggMA=', { kind: 'HandshakeResponse', errorMessage: '', ext: {}, connectionId: null }],
  ['Ack(1, 1)', 'lhQBAaCAwA==', { kind: 'Ack', ackId: 1, status: 1, message: '', ext: {}, payload: null }],
  ['Ack with payload', 'lhQCAaFtgMQCCQg=', { kind: 'Ack', ackId: 2, status: 1, message: 'm', ext: {}, payload: b(9, 8) }],
  ['GroupMemberQuery', 'lyiBAQehZwUUomN0Cg==', { kind: 'GroupMemberQuery', ext: { tracingId: 7n }, groupName: 'g', ackId: 5, top: 20, continuationToken: 'ct', maxPageSize: 10 }],
  ['GroupMemberQuery without top', 'lyiAoWcGwMBk', { kind: 'GroupMemberQuery', ext: {}, groupName: 'g', ackId: 6, top: null, continuationToken: null, maxPageSize: 100 }],
  ['RefreshAuth', 'limjdG9rgaRyb2xloWHW/2VT8QADgA==', { kind: 'RefreshAuth', connectionToken: 'tok', claims: [{ type: 'role', value: 'a' }], expireTime: new Date(1700000000000), ackId: 3, ext: {} }],
  ['GetConnectionClaims', 'lCqjdG9rBIA=', { kind: 'GetConnectionClaims', connectionToken: 'tok', ackId: 4, ext: {} }],
  ['UpdateConnectionClaims', 'lCuiYzGBpHJvbGWhYYA=', { kind: 'UpdateConnectionClaims', connectionId: 'c1', claims: [{ type: 'role', value: 'a' }], ext: {} }],
  ['ConnectionFlowControl (int32 enums)', 'lSeiYzHSAAAAAdIAAAADgA==', { kind: 'ConnectionFlowControl', connectionId: 'c1', connectionType: 1, operation: 3, ext: {} }],
  ['OpenConnection, repeated claim type, protocol', 'lgSiYzGCpHJvbGWhYaRyb2xloWKBpGhvc3SRoWikP3g9MYEDpGpzb24=',
    { kind: 'OpenConnection', connectionId: 'c1', claims: [{ type: 'role', value: 'a' }, { type: 'role', value: 'b' }], headers: new Map([['host', ['h']]]), queryString: '?x=1', ext: { protocol: 'json' } }],
  ['Broadcast with tracing id', 'lAqQgqRqc29uxAIBAqttZXNzYWdlcGFja8QBA4EBzQTS', { kind: 'Broadcast', excludedConnectionIds: [], payloads: new Map([['json', b(1, 2)], ['messagepack', b(3)]]), ext: { tracingId: 1234n } }],
  ['GroupBroadcast with caller and excluded users', 'lw2hZ5CCpGpzb27EAgECq21lc3NhZ2VwYWNrxAEDgJGidTKhdQ==',
    { kind: 'GroupBroadcast', groupName: 'g', excludedConnectionIds: [], payloads: new Map([['json', b(1, 2)], ['messagepack', b(3)]]), ext: {}, excludedUserIds: ['u2'], callerUserId: 'u' }],
  ['ConnectionData (handshake)', 'lAaiYzHEAQGBBQE=', { kind: 'ConnectionData', connectionId: 'c1', payload: b(1), ext: { dataMessageType: 1 } }],
  ['Ping status', 'kwOmc3RhdHVzoTE=', { kind: 'Ping', messages: ['status', '1'] }],
  ['UserJoinGroupWithAck with ttl', 'lRqhdaFnA4ECPA==', { kind: 'UserJoinGroupWithAck', userId: 'u', groupName: 'g', ackId: 3, ext: { ttl: 60 } }],
  ['ServiceEvent', 'lhYBomMxA6RmdWxsgA==', { kind: 'ServiceEvent', objectType: 1, id: 'c1', eventKind: 3, message: 'full', ext: {} }],
];

/** Older, shorter layouts the SDK's reader still accepts: decode only. */
const LEGACY: [string, string, ServiceMessage][] = [
  ['HandshakeRequest [1,1]', 'kgEB', { kind: 'HandshakeRequest', version: 1, connectionType: 0, target: '', migrationLevel: 0, allowStatefulReconnects: false, ext: {} }],
  ['HandshakeRequest [1,1,1,"abc"]', 'lAEBAaNhYmM=', { kind: 'HandshakeRequest', version: 1, connectionType: 1, target: 'abc', migrationLevel: 0, allowStatefulReconnects: false, ext: {} }],
  ['HandshakeRequest 6 elements', 'lgEBAKABgA==', { kind: 'HandshakeRequest', version: 1, connectionType: 0, target: '', migrationLevel: 1, allowStatefulReconnects: false, ext: {} }],
  ['HandshakeResponse [2,""]', 'kgKg', { kind: 'HandshakeResponse', errorMessage: '', ext: {} }],
  ['HandshakeResponse [2,"",{}]', 'kwKggA==', { kind: 'HandshakeResponse', errorMessage: '', ext: {} }],
  ['CloseConnection [5,id,nil]', 'kwWlY29ubjPA', { kind: 'CloseConnection', connectionId: 'conn3', errorMessage: '', headers: new Map(), ext: {} }],
  ['CloseConnectionWithHeaders', 'lAWlY29ubjSuRXJyb3IgbWVzc2FnZS6Bo2Zvb5GjYmFy', { kind: 'CloseConnection', connectionId: 'conn4', errorMessage: 'Error message.', headers: new Map([['foo', ['bar']]]), ext: {} }],
  ['OpenConnection 5 elements', 'lQSlY29ubjSAgK1xdWVyeTE9dmFsdWUx', { kind: 'OpenConnection', connectionId: 'conn4', claims: [], headers: new Map(), queryString: 'query1=value1', ext: {} }],
  ['ConnectionData 3 elements', 'kwalY29ubjXEBwECAwQFBgc=', { kind: 'ConnectionData', connectionId: 'conn5', payload: b(1, 2, 3, 4, 5, 6, 7), ext: {} }],
  ['Broadcast 3 elements', 'kwqQgqRqc29uxAcEBQYHAQIDq21lc3NhZ2VwYWNrxAcFBgcBAgME', { kind: 'Broadcast', excludedConnectionIds: [], payloads: P7([4, 5, 6, 7, 1, 2, 3], [5, 6, 7, 1, 2, 3, 4]), ext: {} }],
  ['GroupBroadcast 5 elements', 'lQ2mZ3JvdXAzkIKkanNvbsQHBgcBAgMEBattZXNzYWdlcGFja8QHBwECAwQFBoEBzQTS',
    { kind: 'GroupBroadcast', groupName: 'group3', excludedConnectionIds: [], payloads: P7([6, 7, 1, 2, 3, 4, 5], [7, 1, 2, 3, 4, 5, 6]), ext: { tracingId: 1234n }, excludedUserIds: [], callerUserId: null }],
  ['JoinGroupWithAck 4 elements', 'lBKmY29ubjE0pmdyb3VwMQE=', { kind: 'JoinGroupWithAck', connectionId: 'conn14', groupName: 'group1', ackId: 1, ext: {} }],
  ['Ack 4 elements', 'lBQBZKA=', { kind: 'Ack', ackId: 1, status: 100, message: '', ext: {} }],
];

test('SDK test vectors (full layouts) decode to the message and encode back byte for byte', () => {
  for (const [name, base64, message] of [...FULL, ...SDK_1_34]) {
    const body = Buffer.from(base64, 'base64');
    assert.deepEqual(plain(decodeServiceMessageBody(body)), plain(message), `${name}: decode`);
    assert.equal(Buffer.from(encodeServiceMessageBody(message)).toString('base64'), base64, `${name}: encode`);
  }
});

test('SDK test vectors (legacy short layouts) still decode', () => {
  for (const [name, base64, message] of LEGACY) {
    assert.deepEqual(plain(decodeServiceMessageBody(Buffer.from(base64, 'base64'))), plain(message), name);
  }
});

test('OpenConnection as Lapis sends it, byte by byte', () => {
  const bytes = encodeServiceMessage({
    kind: 'OpenConnection', connectionId: 'c1', claims: [{ type: 'role', value: 'admin' }, { type: 'role', value: 'ops' }],
    headers: new Map([['host', ['h']]]), queryString: '?x=1', ext: { protocol: 'json' },
  });
  const expected = [
    0x2f, //                                  VarInt length prefix: 47 body bytes
    0x96, //                                  fixarray, 6 elements
    0x04, //                                  type 4 = OpenConnection
    0xa2, 0x63, 0x31, //                      fixstr 2 "c1"
    0x82, //                                  claims: fixmap, 2 entries (the key repeats)
    0xa4, 0x72, 0x6f, 0x6c, 0x65, 0xa5, 0x61, 0x64, 0x6d, 0x69, 0x6e, // "role" → "admin"
    0xa4, 0x72, 0x6f, 0x6c, 0x65, 0xa3, 0x6f, 0x70, 0x73, //             "role" → "ops"
    0x81, 0xa4, 0x68, 0x6f, 0x73, 0x74, 0x91, 0xa1, 0x68, //            headers: {"host": ["h"]}
    0xa4, 0x3f, 0x78, 0x3d, 0x31, //          query "?x=1"
    0x81, 0x03, 0xa4, 0x6a, 0x73, 0x6f, 0x6e, // ext: {3: "json"} (protocol)
  ];
  assert.equal(expected.length, 1 + 47);
  assert.deepEqual([...bytes], expected);
});

test('Broadcast as the SDK sends it, byte by byte', () => {
  const framed = b(
    0x28, //                                  VarInt length prefix: 40 body bytes
    0x94, 0x0a, //                            fixarray 4; type 10 = Broadcast
    0x90, //                                  excluded connection ids: empty array
    0x82, //                                  payloads: fixmap, 2 entries
    0xa4, 0x6a, 0x73, 0x6f, 0x6e, 0xc4, 0x07, 4, 5, 6, 7, 1, 2, 3, // "json" → bin8(7)
    0xab, 0x6d, 0x65, 0x73, 0x73, 0x61, 0x67, 0x65, 0x70, 0x61, 0x63, 0x6b, 0xc4, 0x07, 5, 6, 7, 1, 2, 3, 4, // "messagepack" → bin8(7)
    0x80, //                                  ext: empty map
  );
  const message: ServiceMessage = { kind: 'Broadcast', excludedConnectionIds: [], payloads: P7([4, 5, 6, 7, 1, 2, 3], [5, 6, 7, 1, 2, 3, 4]), ext: {} };
  assert.deepEqual([...encodeServiceMessage(message)], [...framed]);
  assert.deepEqual(plain(decodeServiceMessageBody(framed.subarray(1))), plain(message));
});

test('keep-alive ping, handshake responses and tracing ids above 2^53', () => {
  assert.deepEqual([...PING_BYTES], [0x02, 0x91, 0x03]);
  assert.deepEqual([...handshakeResponseBytes()], [0x05, 0x94, 0x02, 0xa0, 0x80, 0xc0]);
  assert.deepEqual([...handshakeResponseBytes('no')], [0x07, 0x94, 0x02, 0xa2, 0x6e, 0x6f, 0x80, 0xc0]);
  const big = 2n ** 64n - 1n;
  const body = encodeServiceMessageBody({ kind: 'ConnectionData', connectionId: 'c', payload: b(), ext: { tracingId: big } });
  assert.deepEqual([...body.subarray(-11)], [0x81, 0x01, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const decoded = decodeServiceMessageBody(body);
  assert.ok(decoded && 'kind' in decoded && decoded.kind === 'ConnectionData');
  assert.equal(decoded.ext.tracingId, big);
});
