/**
 * The backplane seam, shaped like the socket.io adapter: a command is *published* to every node
 * of the cluster (including this one), and each node *applies it locally* to its own connections.
 * Beyond fan-out, a backplane knows the live nodes (so a request knows how many answers to wait
 * for), addresses one node (point-to-point), and keeps registries that answer "which node holds
 * this connection", "does this user / group have a connection anywhere" and "how many
 * connections does this resource have in the cluster" without asking every node.
 *
 * The in-process implementation has one node (this process); the Redis one ships the same
 * plain-data commands over pub/sub.
 */
import type { ClusterCommand, CommandResult } from '../messaging/commands.ts';

/** The local side: what a node does with a command (socket.io: `Adapter#apply` / local broadcast). */
export interface BackplaneNode {
  apply(command: ClusterCommand): CommandResult;
}

/** What a request gathered: one result per local node that answered, and who stayed silent. */
export interface RequestOutcome {
  results: CommandResult[];
  /** Node ids that were expected to answer and did not (died, unreachable, or timed out). */
  unanswered: string[];
}

/** Registries that count connections by user and by group (group names are case-sensitive). */
export type MemberKind = 'user' | 'group';

export interface Backplane {
  /** This node's address in the cluster (unique per process start). */
  readonly nodeId: string;
  /** Subscribes a node to a channel (one channel per resource). Returns the unsubscribe function. */
  join(channel: string, node: BackplaneNode): () => void;
  /** Fire-and-forget fan-out (sends): applied locally at once, shipped to the other nodes. */
  publish(channel: string, command: ClusterCommand): void;
  /**
   * Fan-out that needs answers (listings, group changes): applied on every live node. Never
   * hangs: resolves when every live node answered, a node died, or the request timed out.
   */
  request(channel: string, command: ClusterCommand): Promise<RequestOutcome>;
  /** The live nodes, this one included. */
  nodes(): Promise<string[]>;
  /** Fire-and-forget to one node (the one holding a connection). */
  sendTo(nodeId: string, channel: string, command: ClusterCommand): void;
  /** A request answered by one node only (bounded by the same timeout as `request`). */
  requestFrom(nodeId: string, channel: string, command: ClusterCommand): Promise<RequestOutcome>;

  /** Connection registry: the owning node reports its connections (hub names lower-cased). */
  connectionAdded(channel: string, hub: string, connectionId: string, userId: string | undefined): void;
  connectionRemoved(channel: string, hub: string, connectionId: string, userId: string | undefined): void;
  /** Group registry: a local connection joined / left a group. */
  groupJoined(channel: string, hub: string, group: string): void;
  groupLeft(channel: string, hub: string, group: string): void;
  /**
   * The live node holding a connection, or undefined. A synchronous answer is allowed (and
   * keeps single-node delivery synchronous); a networked backplane answers with a promise.
   */
  locateConnection(channel: string, hub: string, connectionId: string): string | undefined | Promise<string | undefined>;
  /**
   * Whether some live node has a connection of this user / in this group; undefined when the
   * registry cannot say (the caller then asks every node).
   */
  hasMembers(channel: string, hub: string, kind: MemberKind, name: string): Promise<boolean | undefined>;
  /** Connections of this channel across the cluster (this node's exact, the others' as last seen). */
  connectionCount(channel: string): number;
  close(): Promise<void>;
}
