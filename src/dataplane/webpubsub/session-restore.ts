/**
 * Rebuilds a reliable session on this node from its record in the session store: same connection
 * id, user, roles and later permission changes, groups, unacknowledged frames, and sequence ids
 * that continue after everything the previous node may have sent. No `connect`/`connected` event
 * runs (it is the same logical connection); `disconnected` fires once, when it finally ends.
 */
import { PermissionLimitError } from '../../messaging/index.ts';
import type { ClientSession, SessionHost } from '../../protocols/webpubsub/index.ts';
import { jsonCodec, JsonSession, parseSubprotocol, protobufCodec } from '../../protocols/webpubsub/index.ts';
import type { ChannelSessions, SessionRecord } from './session-store/index.ts';

export interface RestoreDeps {
  host: SessionHost;
  sessions: ChannelSessions;
  register(session: ClientSession): void;
}

/** Undefined when the session cannot live here (an id already in use, the connection limit). */
export function restoreSession(deps: RestoreDeps, record: SessionRecord): JsonSession | undefined {
  const { core, log } = deps.host;
  const codec = parseSubprotocol(record.protocol)?.format === 'protobuf' ? protobufCodec : jsonCodec;
  const session = new JsonSession(deps.host, {
    connectionId: record.connectionId, hub: record.hub, userId: record.userId, roles: record.roles,
  }, codec, true, { tokenHash: record.tokenHash, lastSequenceId: record.lastSequenceId, frames: record.frames });
  const permissions = session.connection.permissions;
  for (const c of record.permissionChanges) {
    try {
      if (c.change === 'grant') permissions.grant(c.action, c.group);
      else permissions.revoke(c.action, c.group);
    } catch (err) {
      if (!(err instanceof PermissionLimitError)) throw err;
    }
  }
  if (core.connection(record.hub, record.connectionId)) return undefined;
  try {
    core.register(session.connection);
  } catch (err) {
    log.warn({ err, connectionId: record.connectionId }, 'a reliable session could not be restored here');
    return undefined;
  }
  deps.register(session);
  for (const g of record.groups) core.join(session.connection, g);
  session.reliableState!.mirror = deps.sessions.track(session, record.permissionChanges);
  return session;
}
