/**
 * Writing each message type with the exact element order and count of the SDK's ServiceProtocol
 * writer (full layouts, never the short legacy forms), so the SDK and the service read them alike.
 */
import type { MsgpackWriter } from './msgpack-writer.ts';
import { hasExtensions, writeExtensions as ext } from './extensions.ts';
import { writeClaims, writeHeaders, writePayloads, writeStringList } from './fields.ts';
import { SERVICE_MESSAGE_TYPES as T } from './types.ts';
import type { ServiceMessage } from './types.ts';

export function writeMessage(w: MsgpackWriter, m: ServiceMessage): void {
  const head = (count: number, type: number) => { w.arrayHeader(count); w.integer(type); };
  switch (m.kind) {
    case 'HandshakeRequest':
      head(7, T.HandshakeRequest); w.integer(m.version); w.integer(m.connectionType);
      w.string(m.target); w.integer(m.migrationLevel); ext(w, m.ext); w.boolean(m.allowStatefulReconnects);
      return;
    case 'HandshakeResponse':
      // `[2, error]` by default (an old SDK vector; every reader accepts it); the SDK writer's
      // 4-element form `[2, error, ext, connectionId]` when a connection id (even null) is given.
      if (m.connectionId === undefined && !hasExtensions(m.ext)) { head(2, T.HandshakeResponse); w.string(m.errorMessage); return; }
      if (m.connectionId === undefined) { head(3, T.HandshakeResponse); w.string(m.errorMessage); ext(w, m.ext); return; }
      head(4, T.HandshakeResponse); w.string(m.errorMessage); ext(w, m.ext); w.string(m.connectionId);
      return;
    case 'Ping':
      head(1 + m.messages.length, T.Ping); for (const s of m.messages) w.string(s);
      return;
    case 'OpenConnection':
      head(6, T.OpenConnection); w.string(m.connectionId); writeClaims(w, m.claims); writeHeaders(w, m.headers); w.string(m.queryString); ext(w, m.ext);
      return;
    case 'CloseConnection':
      head(5, T.CloseConnection); w.string(m.connectionId); w.string(m.errorMessage); writeHeaders(w, m.headers); ext(w, m.ext);
      return;
    case 'ConnectionData':
      head(4, T.ConnectionData); w.string(m.connectionId); w.bytesValue(m.payload); ext(w, m.ext);
      return;
    case 'MultiConnectionData':
      head(4, T.MultiConnectionData); writeStringList(w, m.connectionIds); writePayloads(w, m.payloads); ext(w, m.ext);
      return;
    case 'UserData':
      head(4, T.UserData); w.string(m.userId); writePayloads(w, m.payloads); ext(w, m.ext);
      return;
    case 'MultiUserData':
      head(4, T.MultiUserData); writeStringList(w, m.userIds); writePayloads(w, m.payloads); ext(w, m.ext);
      return;
    case 'Broadcast':
      head(4, T.Broadcast); writeStringList(w, m.excludedConnectionIds); writePayloads(w, m.payloads); ext(w, m.ext);
      return;
    case 'JoinGroup':
    case 'LeaveGroup':
      head(4, T[m.kind]); w.string(m.connectionId); w.string(m.groupName); ext(w, m.ext);
      return;
    case 'GroupBroadcast':
      head(7, T.GroupBroadcast); w.string(m.groupName); writeStringList(w, m.excludedConnectionIds); writePayloads(w, m.payloads); ext(w, m.ext);
      writeStringList(w, m.excludedUserIds); w.string(m.callerUserId);
      return;
    case 'MultiGroupBroadcast':
      head(4, T.MultiGroupBroadcast); writeStringList(w, m.groupNames); writePayloads(w, m.payloads); ext(w, m.ext);
      return;
    case 'ServiceError':
      head(2, T.ServiceError); w.string(m.errorMessage);
      return;
    case 'UserJoinGroup':
    case 'UserLeaveGroup':
      head(4, T[m.kind]); w.string(m.userId); w.string(m.groupName); ext(w, m.ext);
      return;
    case 'JoinGroupWithAck':
    case 'LeaveGroupWithAck':
      head(5, T[m.kind]); w.string(m.connectionId); w.string(m.groupName); w.integer(m.ackId); ext(w, m.ext);
      return;
    case 'Ack':
      // Five elements without a payload (1.34 then reads Payload as null); a sixth only when one is set.
      head(m.payload === undefined ? 5 : 6, T.Ack); w.integer(m.ackId); w.integer(m.status); w.string(m.message); ext(w, m.ext);
      if (m.payload !== undefined) w.bytesValue(m.payload);
      return;
    case 'CheckUserInGroupWithAck':
    case 'UserJoinGroupWithAck':
    case 'UserLeaveGroupWithAck':
      head(5, T[m.kind]); w.string(m.userId); w.string(m.groupName); w.integer(m.ackId); ext(w, m.ext);
      return;
    case 'ServiceEvent':
      head(6, T.ServiceEvent); w.integer(m.objectType); w.string(m.id); w.integer(m.eventKind); w.string(m.message); ext(w, m.ext);
      return;
    case 'CheckGroupExistenceWithAck':
      head(4, T.CheckGroupExistenceWithAck); w.string(m.groupName); w.integer(m.ackId); ext(w, m.ext);
      return;
    case 'CheckConnectionExistenceWithAck':
      head(4, T.CheckConnectionExistenceWithAck); w.string(m.connectionId); w.integer(m.ackId); ext(w, m.ext);
      return;
    case 'CheckUserExistenceWithAck':
      head(4, T.CheckUserExistenceWithAck); w.string(m.userId); w.integer(m.ackId); ext(w, m.ext);
      return;
    case 'AccessKeyRequest':
      head(4, T.AccessKeyRequest); w.string(m.token); w.string(m.kid); ext(w, m.ext);
      return;
    case 'AccessKeyResponse':
      head(6, T.AccessKeyResponse); w.string(m.kid); w.string(m.accessKey); w.string(m.errorType); w.string(m.errorMessage); ext(w, m.ext);
      return;
    case 'CloseConnectionWithAck':
      head(5, T.CloseConnectionWithAck); w.string(m.connectionId); w.string(m.reason); w.integer(m.ackId); ext(w, m.ext);
      return;
    case 'CloseConnectionsWithAck':
      head(5, T.CloseConnectionsWithAck); w.string(m.reason); w.integer(m.ackId); writeStringList(w, m.excludedConnectionIds); ext(w, m.ext);
      return;
    case 'CloseUserConnectionsWithAck':
      head(6, T.CloseUserConnectionsWithAck); w.string(m.userId); w.string(m.reason); w.integer(m.ackId); writeStringList(w, m.excludedConnectionIds); ext(w, m.ext);
      return;
    case 'CloseGroupConnectionsWithAck':
      head(6, T.CloseGroupConnectionsWithAck); w.string(m.groupName); w.string(m.reason); w.integer(m.ackId); writeStringList(w, m.excludedConnectionIds); ext(w, m.ext);
      return;
    case 'ClientInvocation':
      head(6, T.ClientInvocation); w.string(m.invocationId); w.string(m.connectionId); w.string(m.callerServerId); writePayloads(w, m.payloads); ext(w, m.ext);
      return;
    case 'ClientCompletion':
      head(7, T.ClientCompletion); w.string(m.invocationId); w.string(m.connectionId); w.string(m.callerServerId); w.string(m.protocol); w.bytesValue(m.payload); ext(w, m.ext);
      return;
    case 'ErrorCompletion':
      head(6, T.ErrorCompletion); w.string(m.invocationId); w.string(m.connectionId); w.string(m.callerServerId); w.string(m.error); ext(w, m.ext);
      return;
    case 'ServiceMapping':
      head(5, T.ServiceMapping); w.string(m.invocationId); w.string(m.connectionId); w.string(m.instanceId); ext(w, m.ext);
      return;
    case 'ConnectionReconnect':
      head(3, T.ConnectionReconnect); w.string(m.connectionId); ext(w, m.ext);
      return;
    case 'ConnectionFlowControl':
      // The SDK writes both enums with WriteInt32 (always the 5-byte int32 form).
      head(5, T.ConnectionFlowControl); w.string(m.connectionId); w.int32Fixed(m.connectionType); w.int32Fixed(m.operation); ext(w, m.ext);
      return;
    case 'GroupMemberQuery':
      head(7, T.GroupMemberQuery); ext(w, m.ext); w.string(m.groupName); w.integer(m.ackId);
      if (m.top === null) w.nil(); else w.integer(m.top);
      w.string(m.continuationToken);
      if (m.maxPageSize === null) w.nil(); else w.integer(m.maxPageSize);
      return;
    case 'RefreshAuth':
      head(6, T.RefreshAuth); w.string(m.connectionToken); writeClaims(w, m.claims); w.timestamp(m.expireTime); w.integer(m.ackId); ext(w, m.ext);
      return;
    case 'GetConnectionClaims':
      head(4, T.GetConnectionClaims); w.string(m.connectionToken); w.integer(m.ackId); ext(w, m.ext);
      return;
    case 'UpdateConnectionClaims':
      head(4, T.UpdateConnectionClaims); w.string(m.connectionId); writeClaims(w, m.claims); ext(w, m.ext);
      return;
  }
}
