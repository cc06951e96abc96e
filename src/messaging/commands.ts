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

/** A node's partial answer: how many local connections matched, plus query data. */
export interface CommandResult {
  matched: number;
  /** For `hasPermission`: whether the (matched) connection holds the permission. */
  allowed?: boolean | undefined;
  members?: GroupMember[] | undefined;
  /** Set when a connection refused the change (e.g. too many permission rules). */
  error?: string | undefined;
}
