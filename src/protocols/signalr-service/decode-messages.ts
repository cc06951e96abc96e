/**
 * One reader per message type, reading fields in the SDK reader's order. Fields it reads only "if
 * arrayLength >= n" are optional here too (older SDKs wrote shorter arrays); extra trailing elements
 * are ignored, as newer SDKs append fields. Checked against the 1.34 reader by sdk-interop.test.ts.
 */
import { MsgpackReadError } from './msgpack-reader.ts';
import type { MsgpackReader } from './msgpack-reader.ts';
import { readExtensions } from './extensions.ts';
import { readClaims, readHeaders, readPayloads, readStringList } from './fields.ts';
import { FLOW_CONTROL_CONNECTION_TYPE, FLOW_CONTROL_OPERATION, SERVICE_MESSAGE_TYPES as T } from './types.ts';
import type { ServiceExtensions, ServiceMessage } from './types.ts';

interface MessageReader {
  /** Elements (type included) the SDK reads unconditionally: names the problem when the body ends early. */
  min: number;
  read(r: MsgpackReader, length: number): ServiceMessage;
}

const str = (r: MsgpackReader, f: string) => r.readStringNotNull(f);
const opt = (r: MsgpackReader, f: string) => r.readString(f);
const int = (r: MsgpackReader, f: string) => r.readInt32(f);
const extIf = (r: MsgpackReader, length: number, atLeast: number): ServiceExtensions => (length >= atLeast ? readExtensions(r) : {});
const bytes = (r: MsgpackReader, f: string) => r.readBytes(f) ?? new Uint8Array(0);
/** Strings the SDK's message constructors turn from null into "" (error texts, ack and event messages). */
const text = (r: MsgpackReader, f: string) => r.readString(f) ?? '';

export const MESSAGE_READERS: ReadonlyMap<number, MessageReader> = new Map<number, MessageReader>([
  [T.HandshakeRequest, { min: 2, read: (r, n) => {
    const version = int(r, 'version');
    const hasType = n >= 4;
    const connectionType = hasType ? int(r, 'connectionType') : 0;
    // nil or absent reads as "": the SDK's writer never sends anything else for a missing target.
    const target = (hasType ? opt(r, 'target') : null) ?? '';
    const migrationLevel = n >= 5 ? int(r, 'migrationLevel') : 0;
    const ext = extIf(r, n, 6);
    const allowStatefulReconnects = n >= 7 ? r.readBoolean('allowStatefulReconnects') : false;
    return { kind: 'HandshakeRequest', version, connectionType, target, migrationLevel, allowStatefulReconnects, ext };
  } }],
  [T.HandshakeResponse, { min: 2, read: (r, n) => {
    const errorMessage = opt(r, 'errorMessage');
    const ext = extIf(r, n, 3);
    return n >= 4
      ? { kind: 'HandshakeResponse', errorMessage, ext, connectionId: opt(r, 'connectionId') }
      : { kind: 'HandshakeResponse', errorMessage, ext };
  } }],
  [T.Ping, { min: 1, read: (r, n) => {
    const messages: (string | null)[] = [];
    for (let i = 1; i < n; i++) messages.push(opt(r, `messages[${i - 1}]`));
    return { kind: 'Ping', messages };
  } }],
  [T.OpenConnection, { min: 3, read: (r, n) => {
    const connectionId = str(r, 'connectionId');
    const claims = readClaims(r);
    const headers = n >= 5 ? readHeaders(r) : new Map<string, (string | null)[]>();
    // The short (pre-headers) form gets the SDK constructor's "" query.
    const queryString = n >= 5 ? opt(r, 'queryString') : '';
    return { kind: 'OpenConnection', connectionId, claims, headers, queryString, ext: extIf(r, n, 6) };
  } }],
  [T.CloseConnection, { min: 3, read: (r, n) => {
    const connectionId = str(r, 'connectionId');
    const errorMessage = text(r, 'errorMessage');
    const headers = n >= 4 ? readHeaders(r) : new Map<string, (string | null)[]>();
    return { kind: 'CloseConnection', connectionId, errorMessage, headers, ext: extIf(r, n, 5) };
  } }],
  [T.ConnectionData, { min: 3, read: (r, n) => ({ kind: 'ConnectionData', connectionId: str(r, 'connectionId'), payload: bytes(r, 'payload'), ext: extIf(r, n, 4) }) }],
  [T.MultiConnectionData, { min: 3, read: (r, n) => ({ kind: 'MultiConnectionData', connectionIds: readStringList(r, 'connectionList'), payloads: readPayloads(r), ext: extIf(r, n, 4) }) }],
  [T.UserData, { min: 3, read: (r, n) => ({ kind: 'UserData', userId: str(r, 'userId'), payloads: readPayloads(r), ext: extIf(r, n, 4) }) }],
  [T.MultiUserData, { min: 3, read: (r, n) => ({ kind: 'MultiUserData', userIds: readStringList(r, 'userList'), payloads: readPayloads(r), ext: extIf(r, n, 4) }) }],
  [T.Broadcast, { min: 3, read: (r, n) => ({ kind: 'Broadcast', excludedConnectionIds: readStringList(r, 'excludedList'), payloads: readPayloads(r), ext: extIf(r, n, 4) }) }],
  [T.JoinGroup, { min: 3, read: (r, n) => ({ kind: 'JoinGroup', connectionId: str(r, 'connectionId'), groupName: str(r, 'groupName'), ext: extIf(r, n, 4) }) }],
  [T.LeaveGroup, { min: 3, read: (r, n) => ({ kind: 'LeaveGroup', connectionId: str(r, 'connectionId'), groupName: opt(r, 'groupName'), ext: extIf(r, n, 4) }) }],
  [T.GroupBroadcast, { min: 4, read: (r, n) => {
    const groupName = str(r, 'groupName');
    const excludedConnectionIds = readStringList(r, 'excludedList');
    const payloads = readPayloads(r);
    const ext = extIf(r, n, 5);
    const excludedUserIds = n >= 7 ? readStringList(r, 'excludedUserList') : [];
    const callerUserId = n >= 7 ? opt(r, 'callerUserId') : null;
    return { kind: 'GroupBroadcast', groupName, excludedConnectionIds, payloads, ext, excludedUserIds, callerUserId };
  } }],
  [T.MultiGroupBroadcast, { min: 3, read: (r, n) => ({ kind: 'MultiGroupBroadcast', groupNames: readStringList(r, 'groupList'), payloads: readPayloads(r), ext: extIf(r, n, 4) }) }],
  // As in the SDK's ServiceErrorMessage, a nil error reads as "".
  [T.ServiceError, { min: 2, read: (r) => ({ kind: 'ServiceError', errorMessage: text(r, 'errorMessage') }) }],
  [T.UserJoinGroup, { min: 3, read: (r, n) => ({ kind: 'UserJoinGroup', userId: str(r, 'userId'), groupName: str(r, 'groupName'), ext: extIf(r, n, 4) }) }],
  [T.UserLeaveGroup, { min: 3, read: (r, n) => ({ kind: 'UserLeaveGroup', userId: str(r, 'userId'), groupName: opt(r, 'groupName'), ext: extIf(r, n, 4) }) }],
  [T.JoinGroupWithAck, { min: 4, read: (r, n) => ({ kind: 'JoinGroupWithAck', connectionId: str(r, 'connectionId'), groupName: str(r, 'groupName'), ackId: int(r, 'ackId'), ext: extIf(r, n, 5) }) }],
  [T.LeaveGroupWithAck, { min: 4, read: (r, n) => ({ kind: 'LeaveGroupWithAck', connectionId: str(r, 'connectionId'), groupName: opt(r, 'groupName'), ackId: int(r, 'ackId'), ext: extIf(r, n, 5) }) }],
  [T.Ack, { min: 4, read: (r, n) => {
    const ackId = int(r, 'ackId');
    const status = int(r, 'status');
    const message = text(r, 'message');
    const ext = extIf(r, n, 5);
    return n >= 6 ? { kind: 'Ack', ackId, status, message, ext, payload: r.readBytes('payload') } : { kind: 'Ack', ackId, status, message, ext };
  } }],
  [T.CheckUserInGroupWithAck, { min: 4, read: (r, n) => ({ kind: 'CheckUserInGroupWithAck', userId: str(r, 'userId'), groupName: str(r, 'groupName'), ackId: int(r, 'ackId'), ext: extIf(r, n, 5) }) }],
  [T.ServiceEvent, { min: 6, read: (r) => ({ kind: 'ServiceEvent', objectType: int(r, 'type'), id: opt(r, 'id'), eventKind: int(r, 'kind'), message: text(r, 'message'), ext: readExtensions(r) }) }],
  [T.CheckGroupExistenceWithAck, { min: 4, read: (r) => ({ kind: 'CheckGroupExistenceWithAck', groupName: str(r, 'groupName'), ackId: int(r, 'ackId'), ext: readExtensions(r) }) }],
  [T.CheckConnectionExistenceWithAck, { min: 4, read: (r) => ({ kind: 'CheckConnectionExistenceWithAck', connectionId: str(r, 'connectionId'), ackId: int(r, 'ackId'), ext: readExtensions(r) }) }],
  [T.CheckUserExistenceWithAck, { min: 4, read: (r) => ({ kind: 'CheckUserExistenceWithAck', userId: str(r, 'userId'), ackId: int(r, 'ackId'), ext: readExtensions(r) }) }],
  [T.UserJoinGroupWithAck, { min: 5, read: (r) => ({ kind: 'UserJoinGroupWithAck', userId: str(r, 'userId'), groupName: str(r, 'groupName'), ackId: int(r, 'ackId'), ext: readExtensions(r) }) }],
  [T.UserLeaveGroupWithAck, { min: 5, read: (r) => ({ kind: 'UserLeaveGroupWithAck', userId: str(r, 'userId'), groupName: opt(r, 'groupName'), ackId: int(r, 'ackId'), ext: readExtensions(r) }) }],
  [T.AccessKeyRequest, { min: 4, read: (r) => ({ kind: 'AccessKeyRequest', token: opt(r, 'token'), kid: opt(r, 'kid'), ext: readExtensions(r) }) }],
  [T.AccessKeyResponse, { min: 6, read: (r) => ({ kind: 'AccessKeyResponse', kid: opt(r, 'kid'), accessKey: opt(r, 'accessKey'), errorType: opt(r, 'errorType'), errorMessage: opt(r, 'errorMessage'), ext: readExtensions(r) }) }],
  [T.CloseConnectionWithAck, { min: 4, read: (r, n) => ({ kind: 'CloseConnectionWithAck', connectionId: str(r, 'connectionId'), reason: opt(r, 'reason'), ackId: int(r, 'ackId'), ext: extIf(r, n, 5) }) }],
  [T.CloseConnectionsWithAck, { min: 4, read: (r, n) => ({ kind: 'CloseConnectionsWithAck', reason: opt(r, 'reason'), ackId: int(r, 'ackId'), excludedConnectionIds: readStringList(r, 'excluded'), ext: extIf(r, n, 5) }) }],
  [T.CloseUserConnectionsWithAck, { min: 5, read: (r, n) => ({ kind: 'CloseUserConnectionsWithAck', userId: str(r, 'userId'), reason: opt(r, 'reason'), ackId: int(r, 'ackId'), excludedConnectionIds: readStringList(r, 'excluded'), ext: extIf(r, n, 6) }) }],
  [T.CloseGroupConnectionsWithAck, { min: 5, read: (r, n) => ({ kind: 'CloseGroupConnectionsWithAck', groupName: str(r, 'group'), reason: opt(r, 'reason'), ackId: int(r, 'ackId'), excludedConnectionIds: readStringList(r, 'excluded'), ext: extIf(r, n, 6) }) }],
  [T.ClientInvocation, { min: 6, read: (r) => ({ kind: 'ClientInvocation', invocationId: str(r, 'invocationId'), connectionId: str(r, 'connectionId'), callerServerId: str(r, 'callerServerId'), payloads: readPayloads(r), ext: readExtensions(r) }) }],
  [T.ClientCompletion, { min: 7, read: (r) => ({ kind: 'ClientCompletion', invocationId: str(r, 'invocationId'), connectionId: str(r, 'connectionId'), callerServerId: str(r, 'callerServerId'), protocol: opt(r, 'protocol'), payload: bytes(r, 'payload'), ext: readExtensions(r) }) }],
  [T.ErrorCompletion, { min: 6, read: (r) => ({ kind: 'ErrorCompletion', invocationId: str(r, 'invocationId'), connectionId: str(r, 'connectionId'), callerServerId: str(r, 'callerServerId'), error: text(r, 'error'), ext: readExtensions(r) }) }],
  [T.ServiceMapping, { min: 5, read: (r) => ({ kind: 'ServiceMapping', invocationId: str(r, 'invocationId'), connectionId: str(r, 'connectionId'), instanceId: str(r, 'instanceId'), ext: readExtensions(r) }) }],
  [T.ConnectionReconnect, { min: 3, read: (r) => ({ kind: 'ConnectionReconnect', connectionId: str(r, 'connectionId'), ext: readExtensions(r) }) }],
  [T.ConnectionFlowControl, { min: 4, read: (r) => {
    const connectionId = str(r, 'connectionId');
    const connectionType = int(r, 'connectionType');
    const operation = int(r, 'operation');
    // The SDK rejects values outside its enums with InvalidDataException.
    if (!Object.values(FLOW_CONTROL_CONNECTION_TYPE).includes(connectionType as 1)) throw new MsgpackReadError('shape', `Unsupported connection type: ${connectionType}.`);
    if (!Object.values(FLOW_CONTROL_OPERATION).includes(operation as 1)) throw new MsgpackReadError('shape', `Unsupported operation: ${operation}.`);
    // 1.34's reader stops here: the extension map its writer appends is never read.
    return { kind: 'ConnectionFlowControl', connectionId, connectionType, operation, ext: {} };
  } }],
  [T.GroupMemberQuery, { min: 6, read: (r, n) => {
    const ext = readExtensions(r);
    const groupName = str(r, 'groupName');
    const ackId = int(r, 'ackId');
    const top = r.tryReadNil() ? null : int(r, 'top');
    const continuationToken = opt(r, 'continuationToken');
    const maxPageSize = n >= 7 && !r.tryReadNil() ? int(r, 'maxPageSize') : null;
    return { kind: 'GroupMemberQuery', ext, groupName, ackId, top, continuationToken, maxPageSize };
  } }],
  [T.RefreshAuth, { min: 6, read: (r) => ({ kind: 'RefreshAuth', connectionToken: str(r, 'connectionToken'), claims: readClaims(r), expireTime: r.readTimestamp('expireTime'), ackId: int(r, 'ackId'), ext: readExtensions(r) }) }],
  [T.GetConnectionClaims, { min: 4, read: (r) => ({ kind: 'GetConnectionClaims', connectionToken: str(r, 'connectionToken'), ackId: int(r, 'ackId'), ext: readExtensions(r) }) }],
  [T.UpdateConnectionClaims, { min: 4, read: (r) => ({ kind: 'UpdateConnectionClaims', connectionId: str(r, 'connectionId'), claims: readClaims(r), ext: readExtensions(r) }) }],
]);
