/**
 * A PubSub client's own group operations (`joinGroup`, `leaveGroup`, `sendToGroup`): checked
 * against the connection's permissions, answered through the ack (an `AckFailure` thrown here
 * becomes a failed ack; success is acked by the caller).
 */
import type { Connection, MessagingCore } from '../../messaging/index.ts';
import type { Outbound } from '../../transports/index.ts';
// The data plane's error catalogue is a leaf module (no imports), so this does not cycle.
import { ackErrors } from '../../dataplane/webpubsub/errors.ts';
import type { ClientRequest } from './codec.ts';
import { isValidGroup } from './names.ts';
import { traceClientMessage } from './trace-events.ts';

type GroupRequest = Extract<ClientRequest, { type: 'joinGroup' | 'leaveGroup' | 'sendToGroup' }>;

/** Most groups one client may join by itself (join floods are refused, not fatal). */
export const MAX_GROUPS_PER_CONNECTION = 5000;

export function groupOperation(core: MessagingCore, c: Connection, m: GroupRequest, send: (message: Outbound) => void): void {
  const group = m.group;
  if (typeof group !== 'string' || !isValidGroup(group)) {
    throw ackErrors.badRequest('The group name is invalid: it must be 1 to 1024 characters and not only whitespace.');
  }
  if (m.type === 'sendToGroup') {
    if (m.streamClosed) {
      send(m.streamClosed);
      throw ackErrors.badRequest('Streams are not supported by this server.');
    }
    if (!c.permissions.has('sendToGroup', group)) {
      throw ackErrors.forbidden(`The connection has no permission to send to group '${group}'.`);
    }
    const payload = m.payload;
    if (typeof payload === 'string') throw ackErrors.badRequest(payload);
    if (core.trace?.on) traceClientMessage(core, c, `sendToGroup`, payload, group);
    core.publish({
      type: 'send',
      hub: c.hub,
      target: { scope: 'group', group },
      content: { kind: 'webpubsub', payload, from: 'group', group, fromUserId: c.userId },
      excluded: m.noEcho ? [c.connectionId] : undefined,
    });
    return;
  }
  if (!c.permissions.has('joinLeaveGroup', group)) {
    throw ackErrors.forbidden(`The connection has no permission to join or leave group '${group}'.`);
  }
  if (m.type === 'joinGroup') {
    if (!c.groups.has(group) && c.groups.size >= MAX_GROUPS_PER_CONNECTION) {
      throw ackErrors.badRequest(`A connection can be in at most ${MAX_GROUPS_PER_CONNECTION} groups.`);
    }
    core.join(c, group);
  } else {
    core.leave(c, group);
  }
}
