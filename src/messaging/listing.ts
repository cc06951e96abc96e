/**
 * The local side of Lapis's connection listing (not an Azure operation): this node's connections
 * of one hub in connection-id order after a cursor, at most `limit`, each with its groups and
 * permissions capped, so that one answer stays bounded however large the hub is.
 */
import type { CommandResult, ConnectionInfo } from './commands.ts';
import type { Hub } from './hub.ts';

/** Groups and roles shown per connection; a listing is for people, not a membership export. */
export const MAX_LISTED_GROUPS = 100;

export function listConnections(hub: Hub | undefined, after: string | undefined, limit: number): CommandResult {
  if (!hub) return { matched: 0, connections: [] };
  const ids: string[] = [];
  for (const c of hub.connections()) if (after === undefined || c.connectionId > after) ids.push(c.connectionId);
  ids.sort();
  const connections: ConnectionInfo[] = [];
  for (const id of ids.slice(0, limit)) {
    const c = hub.get(id)!;
    const info: ConnectionInfo = {
      connectionId: c.connectionId,
      groups: [...c.groups].slice(0, MAX_LISTED_GROUPS),
      roles: c.permissions.describe(MAX_LISTED_GROUPS),
      protocol: c.protocol,
      connectedAt: c.connectedAt,
    };
    if (c.userId !== undefined) info.userId = c.userId;
    connections.push(info);
  }
  return { matched: connections.length, connections };
}
