/**
 * Cluster commands: plain data, so a backplane can ship them to other nodes (the in-process
 * backplane applies them locally; a networked one serialises them as they are).
 * Every node applies a command to its own local connections and answers with a partial result;
 * the caller merges the partial results.
 */
import type { GroupAction } from './permissions.ts';
import type { Content, Target } from './types.ts';

export type ClusterCommand =
  | {
      type: 'send';
      hub: string;
      target: Target;
      content: Content;
      excluded?: string[] | undefined;
      /** Filter expression, compiled on each node by the core's filter compiler. */
      filter?: string | undefined;
    }
  | { type: 'close'; hub: string; target: Target; excluded?: string[] | undefined; reason: string }
  | {
      type: 'addToGroups' | 'removeFromGroups';
      hub: string;
      target: Target;
      groups: string[];
      filter?: string | undefined;
    }
  | { type: 'removeFromAllGroups'; hub: string; target: Target }
  | { type: 'grant' | 'revoke'; hub: string; connectionId: string; action: GroupAction; group?: string | undefined }
  | { type: 'exists'; hub: string; target: Target }
  | { type: 'hasPermission'; hub: string; connectionId: string; action: GroupAction; group?: string | undefined }
  | { type: 'listGroup'; hub: string; group: string }
  /** Lapis's connection listing: each node's first `limit` connections with an id after `after`, in id order. */
  | { type: 'listConnections'; hub: string; after?: string | undefined; limit: number }
  /** Sticky membership (SignalR): the user's open connections join now, later ones on connect. */
  | { type: 'addUserToGroup'; hub: string; userId: string; group: string; ttlSeconds?: number | undefined }
  /** Without `group`: every group of the user. Forgets the membership and removes open connections. */
  | { type: 'removeUserFromGroup'; hub: string; userId: string; group?: string | undefined }
  /** `matched` 1 when the user is a member: remembered, or one of its open connections is in the group. */
  | { type: 'userInGroup'; hub: string; userId: string; group: string };

export interface GroupMember {
  connectionId: string;
  userId?: string | undefined;
}

/** One live connection as the Lapis listing shows it (groups and roles capped per connection). */
export interface ConnectionInfo {
  connectionId: string;
  userId?: string | undefined;
  groups: string[];
  /** Group permissions in client-token role names (Web PubSub); empty for SignalR. */
  roles: string[];
  /** Wire protocol label (subprotocol, or the SignalR hub protocol and transport). */
  protocol: string;
  /** Milliseconds since the epoch. */
  connectedAt: number;
}

/** A node's partial answer: how many local connections matched, plus query data. */
export interface CommandResult {
  matched: number;
  /** For `hasPermission`: whether the (matched) connection holds the permission. */
  allowed?: boolean | undefined;
  members?: GroupMember[] | undefined;
  connections?: ConnectionInfo[] | undefined;
  /** Set when a connection refused the change (e.g. too many permission rules). */
  error?: string | undefined;
  /** On a merged result: the nodes that did not answer in time (their connections are not counted). */
  unanswered?: string[] | undefined;
}

/** The connection a command is aimed at, when it is aimed at exactly one (routed to its node). */
export function targetConnection(command: ClusterCommand): string | undefined {
  switch (command.type) {
    case 'grant':
    case 'revoke':
    case 'hasPermission':
      return command.connectionId;
    case 'send':
    case 'close':
    case 'addToGroups':
    case 'removeFromGroups':
    case 'removeFromAllGroups':
    case 'exists':
      return command.target.scope === 'connection' ? command.target.connectionId : undefined;
    default:
      return undefined;
  }
}

/** Merges the nodes' partial results into one answer. */
export function mergeResults(parts: readonly CommandResult[], unanswered: readonly string[]): CommandResult {
  const merged: CommandResult = { matched: 0 };
  for (const p of parts) {
    merged.matched += p.matched;
    if (p.allowed !== undefined) merged.allowed = (merged.allowed ?? false) || p.allowed;
    if (p.members) (merged.members ??= []).push(...p.members);
    if (p.connections) (merged.connections ??= []).push(...p.connections);
    if (p.error !== undefined) merged.error = p.error;
  }
  if (unanswered.length > 0) merged.unanswered = [...unanswered];
  return merged;
}
