/**
 * What the SignalR REST API needs from the runtime: the operations of one resource's hubs. The
 * REST layer speaks only to this interface (the messaging core implements it), so it does not
 * depend on how connections, users and groups are kept, or on how many nodes keep them.
 *
 * `hub` is always the internal hub name: lower-cased, with the `application` prefix of the REST
 * call already applied (`{application}_{hub}`, reference §1.3). Methods may answer synchronously
 * or with a promise (a cluster needs the network for most of them).
 */
import type { CommandResult } from '../../../messaging/index.ts';
import type { SignalRMessage } from '../../../protocols/signalr/index.ts';

export type Awaitable<T> = T | Promise<T>;

/** Which connections a bulk close addresses. */
export type CloseScope =
  | { scope: 'all' }
  | { scope: 'user'; userId: string }
  | { scope: 'group'; group: string };

export interface SignalRHubOperations {
  /** Every connection of the hub except `excluded` connection ids. */
  broadcast(hub: string, message: SignalRMessage, excluded: readonly string[]): Awaitable<void>;
  sendToUser(hub: string, userId: string, message: SignalRMessage): Awaitable<void>;
  sendToGroup(hub: string, group: string, message: SignalRMessage, excluded: readonly string[]): Awaitable<void>;
  sendToConnection(hub: string, connectionId: string, message: SignalRMessage): Awaitable<void>;

  connectionExists(hub: string, connectionId: string): Awaitable<boolean>;
  /** True when the user has at least one open connection in the hub. */
  userExists(hub: string, userId: string): Awaitable<boolean>;
  /** True when the group has at least one open connection. */
  groupExists(hub: string, group: string): Awaitable<boolean>;
  /** True when the user is a member (sticky user membership, not only connected connections). */
  userInGroup(hub: string, userId: string, group: string): Awaitable<boolean>;

  /** False when the connection is unknown (the REST layer answers 404 `Error.Connection.NotExisted`). */
  addConnectionToGroup(hub: string, connectionId: string, group: string): Awaitable<boolean>;
  removeConnectionFromGroup(hub: string, connectionId: string, group: string): Awaitable<void>;
  removeConnectionFromAllGroups(hub: string, connectionId: string): Awaitable<void>;
  /**
   * Sticky membership: connections of the user that open later join too. `ttlSeconds` undefined =
   * no expiry given (Azure keeps it up to a year); 0 = only the user's current connections join,
   * nothing is remembered.
   */
  addUserToGroup(hub: string, userId: string, group: string, ttlSeconds: number | undefined): Awaitable<void>;
  removeUserFromGroup(hub: string, userId: string, group: string): Awaitable<void>;
  removeUserFromAllGroups(hub: string, userId: string): Awaitable<void>;

  /** False when the connection is unknown. `reason` goes into the close message's `error`. */
  closeConnection(hub: string, connectionId: string, reason: string | undefined): Awaitable<boolean>;
  closeConnections(hub: string, target: CloseScope, excluded: readonly string[], reason: string | undefined): Awaitable<void>;

  /** Lapis's connection listing: every node's first `limit` connections after `after` (absent: not served). */
  listConnections?(hub: string, after: string | undefined, limit: number): Promise<CommandResult>;
}
