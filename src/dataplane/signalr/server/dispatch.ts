/**
 * What an app server's messages do. Data for one client goes to it directly; broadcasts, group,
 * user and multi-connection sends go through the messaging core as pre-encoded payloads (one framed
 * hub message per protocol, forwarded verbatim); group and existence operations are core commands.
 * Every `*WithAck` gets an Ack on the connection it came on, NotFound where the connection, user or
 * group is not on this resource (the SDK sends group operations to every endpoint and waits for
 * each ack). Data for unknown client ids is ignored: with several endpoints the SDK sends it to all.
 */
import type { Target } from '../../../messaging/index.ts';
import { SignalRMessage } from '../../../protocols/signalr/index.ts';
import { ACK_STATUS, ackMessage, isAckable, payloadFor, type Payloads, type ServiceMessage } from '../../../protocols/signalr-service/index.ts';
import type { AppServers } from './app-servers.ts';
import { inAnyGroup, ofAnyUser, ofNoUser } from './fan-out-filter.ts';
import { answerPing } from './pings.ts';
import { answerGroupMemberQuery } from './queries.ts';
import type { ServerConnection } from './server-connection.ts';

const ACCESS_KEY_ACTION = 'Microsoft.SignalRService/SignalR/auth/accessKey/action';

export async function handleAppMessage(servers: AppServers, sc: ServerConnection, m: ServiceMessage): Promise<void> {
  const core = servers.o.core;
  const hub = sc.info.hub;
  const send = (target: Target, payloads: Payloads, excluded?: readonly string[], filter?: string) => {
    const message = preEncoded(payloads);
    if (!message) return;
    core.publish({ type: 'send', hub, target, content: message.toContent(), excluded: excluded && excluded.length > 0 ? [...excluded] : undefined, filter });
  };
  const ack = (ackId: number, ok: boolean) => sc.send(ackMessage(ackId, ok ? ACK_STATUS.Ok : ACK_STATUS.NotFound));
  const matched = async (command: Parameters<typeof core.request>[0]) => (await core.request(command)).matched > 0;

  switch (m.kind) {
    case 'Ping':
      return answerPing(servers, sc, m);
    case 'ConnectionData': {
      const c = servers.client(m.connectionId, hub);
      c?.relay.fromApp(m.payload);
      return;
    }
    case 'CloseConnection':
      servers.closeByApp(m.connectionId, hub, m.errorMessage || undefined);
      return;
    case 'MultiConnectionData':
      for (const id of m.connectionIds) {
        const c = servers.client(id, hub);
        const bytes = c?.relay.protocol === undefined ? undefined : payloadFor(m.payloads, c.relay.protocol);
        if (c && bytes) c.relay.fromApp(bytes);
      }
      return;
    case 'UserData':
      return send({ scope: 'user', userId: m.userId }, m.payloads);
    case 'MultiUserData': {
      // Once per connection of any of the users, however many users it is.
      const users = [...new Set(m.userIds)];
      if (users.length <= 1) return users.length === 1 ? send({ scope: 'user', userId: users[0]! }, m.payloads) : undefined;
      return send({ scope: 'hub' }, m.payloads, undefined, ofAnyUser(users));
    }
    case 'Broadcast':
      return send({ scope: 'hub' }, m.payloads, m.excludedConnectionIds);
    case 'GroupBroadcast':
      return send({ scope: 'group', group: m.groupName }, m.payloads, m.excludedConnectionIds, m.excludedUserIds.length > 0 ? ofNoUser(m.excludedUserIds) : undefined);
    case 'MultiGroupBroadcast': {
      // Once per client in any of the groups, however many groups it is in.
      const groups = [...new Set(m.groupNames)];
      if (groups.length <= 1) return groups.length === 1 ? send({ scope: 'group', group: groups[0]! }, m.payloads) : undefined;
      return send({ scope: 'hub' }, m.payloads, undefined, inAnyGroup(groups));
    }
    case 'JoinGroup':
    case 'JoinGroupWithAck': {
      const ok = await matched({ type: 'addToGroups', hub, target: { scope: 'connection', connectionId: m.connectionId }, groups: [m.groupName] });
      if (m.kind === 'JoinGroupWithAck') ack(m.ackId, ok);
      return;
    }
    case 'LeaveGroup':
    case 'LeaveGroupWithAck': {
      const target: Target = { scope: 'connection', connectionId: m.connectionId };
      const ok = await matched(m.groupName === null ? { type: 'removeFromAllGroups', hub, target } : { type: 'removeFromGroups', hub, target, groups: [m.groupName] });
      if (m.kind === 'LeaveGroupWithAck') ack(m.ackId, ok || (await matched({ type: 'exists', hub, target })));
      return;
    }
    case 'UserJoinGroup':
    case 'UserJoinGroupWithAck':
      await core.request({ type: 'addUserToGroup', hub, userId: m.userId, group: m.groupName, ttlSeconds: m.ext.ttl });
      if (m.kind === 'UserJoinGroupWithAck') ack(m.ackId, true);
      return;
    case 'UserLeaveGroup':
    case 'UserLeaveGroupWithAck':
      await core.request({ type: 'removeUserFromGroup', hub, userId: m.userId, group: m.groupName ?? undefined });
      if (m.kind === 'UserLeaveGroupWithAck') ack(m.ackId, true);
      return;
    case 'CheckUserInGroupWithAck':
      return ack(m.ackId, await matched({ type: 'userInGroup', hub, userId: m.userId, group: m.groupName }));
    case 'CheckGroupExistenceWithAck':
      return ack(m.ackId, await matched({ type: 'exists', hub, target: { scope: 'group', group: m.groupName } }));
    case 'CheckConnectionExistenceWithAck':
      return ack(m.ackId, await matched({ type: 'exists', hub, target: { scope: 'connection', connectionId: m.connectionId } }));
    case 'CheckUserExistenceWithAck':
      return ack(m.ackId, await matched({ type: 'exists', hub, target: { scope: 'user', userId: m.userId } }));
    case 'CloseConnectionWithAck':
      return ack(m.ackId, await matched({ type: 'close', hub, target: { scope: 'connection', connectionId: m.connectionId }, reason: m.reason ?? '' }));
    case 'CloseConnectionsWithAck':
      await core.request({ type: 'close', hub, target: { scope: 'hub' }, excluded: [...m.excludedConnectionIds], reason: m.reason ?? '' });
      return ack(m.ackId, true);
    case 'CloseUserConnectionsWithAck':
      await core.request({ type: 'close', hub, target: { scope: 'user', userId: m.userId }, excluded: [...m.excludedConnectionIds], reason: m.reason ?? '' });
      return ack(m.ackId, true);
    case 'CloseGroupConnectionsWithAck':
      await core.request({ type: 'close', hub, target: { scope: 'group', group: m.groupName }, excluded: [...m.excludedConnectionIds], reason: m.reason ?? '' });
      return ack(m.ackId, true);
    case 'ClientInvocation': {
      // The SDK sends it to every endpoint, on any server connection, and waits for an answer from
      // each endpoint unless one brings a result: a resource without the client says so at once.
      const c = servers.client(m.connectionId, hub);
      const bytes = c?.relay.protocol === undefined ? undefined : payloadFor(m.payloads, c.relay.protocol);
      if (!c || !bytes) {
        const error = c ? `The invocation has no payload in the protocol of connection '${m.connectionId}'.` : `Connection '${m.connectionId}' does not exist.`;
        sc.send({ kind: 'ErrorCompletion', invocationId: m.invocationId, connectionId: m.connectionId, callerServerId: m.callerServerId, error, ext: {} });
        return;
      }
      servers.results.add(m.connectionId, m.invocationId, sc, m.callerServerId);
      c.relay.fromApp(bytes);
      return;
    }
    case 'AccessKeyRequest':
      return accessKey(servers, sc);
    case 'GroupMemberQuery':
      return answerGroupMemberQuery(servers, sc, m);
    default:
      // Queries this version does not answer still get an ack, so the SDK's call fails fast instead of waiting 10 s.
      if (isAckable(m)) sc.send(ackMessage(m.ackId, ACK_STATUS.NotFound, `${m.kind} is not supported by this service.`));
  }
}

/** In-band temporary key for an Entra app server that may have one (then it needs no `GET /api/v1/auth/accessKey`). */
async function accessKey(servers: AppServers, sc: ServerConnection): Promise<void> {
  if (!sc.info.entra) return;
  if (!servers.o.check(sc.info.principal, ACCESS_KEY_ACTION, servers.o.resourceId()).allowed) {
    sc.send({ kind: 'AccessKeyResponse', kid: null, accessKey: null, errorType: 'AzureSignalRUnauthorizedException', errorMessage: `The principal '${sc.info.principal}' does not have permission '${ACCESS_KEY_ACTION}'.`, ext: {} });
    return;
  }
  const key = await servers.o.temporaryKeys.issue(sc.info.principal);
  sc.send({ kind: 'AccessKeyResponse', kid: key.keyId, accessKey: key.accessKey, errorType: null, errorMessage: null, ext: {} });
}

function preEncoded(payloads: Payloads): SignalRMessage | undefined {
  const json = payloadFor(payloads, 'json');
  const messagepack = payloadFor(payloads, 'messagepack');
  if (!json && !messagepack) return undefined;
  return SignalRMessage.preEncoded({
    json: json ? Buffer.from(json.buffer, json.byteOffset, json.byteLength) : undefined,
    messagepack: messagepack ? Buffer.from(messagepack.buffer, messagepack.byteOffset, messagepack.byteLength) : undefined,
  });
}
