/**
 * The backplane seam, shaped like the socket.io adapter: a command is *published* to every node
 * of the cluster (including this one), and each node *applies it locally* to its own connections.
 * The in-process implementation only has the local node; a Redis implementation will ship the
 * same plain-data commands over pub/sub and gather the partial results of requests.
 */
import type { ClusterCommand, CommandResult } from '../messaging/commands.ts';

/** The local side: what a node does with a command (socket.io: `Adapter#apply` / local broadcast). */
export interface BackplaneNode {
  apply(command: ClusterCommand): CommandResult;
}

export interface Backplane {
  /** Subscribes a node to a channel (one channel per resource). Returns the unsubscribe function. */
  join(channel: string, node: BackplaneNode): () => void;
  /** Fire-and-forget fan-out (sends): applied locally at once, shipped to the other nodes. */
  publish(channel: string, command: ClusterCommand): void;
  /** Fan-out that needs answers (existence checks, listings, group changes): one result per node. */
  request(channel: string, command: ClusterCommand): Promise<CommandResult[]>;
  close(): Promise<void>;
}
