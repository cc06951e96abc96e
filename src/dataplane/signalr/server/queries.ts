/**
 * GroupMemberQuery (the SDK's `ListConnectionsInGroupAsync`, public through the Management SDK's
 * ServiceHubContext): one page of a group's connections, in an Ack whose payload is the SDK's
 * GroupMemberQueryResponse. Pages follow connection-id order and the continuation token is the
 * last id returned, so members joining or leaving between pages never repeat or shift others.
 * `top` bounds the whole listing (the SDK lowers it page by page), `maxPageSize` one page.
 */
import { ACK_STATUS, ackMessage, groupMemberQueryResponse, type GroupMemberQueryMessage } from '../../../protocols/signalr-service/index.ts';
import type { AppServers } from './app-servers.ts';
import type { ServerConnection } from './server-connection.ts';

/** A page when the SDK names no size (Azure's REST listing also pages by default). */
export const DEFAULT_GROUP_PAGE_SIZE = 200;
const MAX_GROUP_PAGE_SIZE = 1000;

export async function answerGroupMemberQuery(servers: AppServers, sc: ServerConnection, m: GroupMemberQueryMessage): Promise<void> {
  if ((m.maxPageSize !== null && m.maxPageSize <= 0) || (m.top !== null && m.top <= 0)) {
    sc.send(ackMessage(m.ackId, ACK_STATUS.InternalServerError, 'maxPageSize and top must be greater than 0.'));
    return;
  }
  const result = await servers.o.core.request({ type: 'listGroup', hub: sc.info.hub, group: m.groupName });
  const after = m.continuationToken ?? '';
  const all = (result.members ?? []).filter((x) => x.connectionId > after).sort((a, b) => (a.connectionId < b.connectionId ? -1 : 1));
  const size = Math.min(m.maxPageSize ?? DEFAULT_GROUP_PAGE_SIZE, MAX_GROUP_PAGE_SIZE, m.top ?? Infinity);
  const page = all.slice(0, size);
  const more = all.length > page.length && (m.top === null || page.length < m.top);
  const next = more ? page.at(-1)!.connectionId : null;
  sc.send(ackMessage(m.ackId, ACK_STATUS.Ok, '', groupMemberQueryResponse(page, next)));
}
