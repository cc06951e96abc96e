import type { ClusterCommand, CommandResult } from '../messaging/commands.ts';
import type { Backplane, BackplaneNode, MemberKind, RequestOutcome } from './types.ts';

/**
 * Single-process backplane: "the cluster" is the nodes joined in this process (normally one per
 * channel), all behind one node id. Everything answers synchronously where the seam allows it.
 */
export class InProcessBackplane implements Backplane {
  readonly nodeId = 'local';
  readonly #channels = new Map<string, Set<BackplaneNode>>();
  /** channel\0hub\0connectionId of every registered connection. */
  readonly #connections = new Set<string>();
  readonly #counts = new Map<string, number>();

  join(channel: string, node: BackplaneNode): () => void {
    let nodes = this.#channels.get(channel);
    if (!nodes) this.#channels.set(channel, (nodes = new Set()));
    nodes.add(node);
    return () => {
      nodes.delete(node);
      if (nodes.size === 0) this.#channels.delete(channel);
    };
  }

  publish(channel: string, command: ClusterCommand): void {
    const nodes = this.#channels.get(channel);
    if (!nodes) return;
    for (const node of nodes) node.apply(command);
  }

  async request(channel: string, command: ClusterCommand): Promise<RequestOutcome> {
    return { results: this.#applyAll(channel, command), unanswered: [] };
  }

  async nodes(): Promise<string[]> {
    return [this.nodeId];
  }

  sendTo(nodeId: string, channel: string, command: ClusterCommand): void {
    if (nodeId === this.nodeId) this.publish(channel, command);
  }

  async requestFrom(nodeId: string, channel: string, command: ClusterCommand): Promise<RequestOutcome> {
    if (nodeId !== this.nodeId) return { results: [], unanswered: [nodeId] };
    return { results: this.#applyAll(channel, command), unanswered: [] };
  }

  connectionAdded(channel: string, hub: string, connectionId: string): void {
    this.#connections.add(`${channel}\0${hub}\0${connectionId}`);
    this.#counts.set(channel, (this.#counts.get(channel) ?? 0) + 1);
  }

  connectionRemoved(channel: string, hub: string, connectionId: string): void {
    if (!this.#connections.delete(`${channel}\0${hub}\0${connectionId}`)) return;
    const n = (this.#counts.get(channel) ?? 1) - 1;
    if (n === 0) this.#counts.delete(channel);
    else this.#counts.set(channel, n);
  }

  /** Group membership is only local here: `hasMembers` lets the caller ask the local nodes. */
  groupJoined(): void {}
  groupLeft(): void {}

  locateConnection(channel: string, hub: string, connectionId: string): string | undefined {
    return this.#connections.has(`${channel}\0${hub}\0${connectionId}`) ? this.nodeId : undefined;
  }

  async hasMembers(_channel: string, _hub: string, _kind: MemberKind, _name: string): Promise<boolean | undefined> {
    return undefined;
  }

  connectionCount(channel: string): number {
    return this.#counts.get(channel) ?? 0;
  }

  /** For metrics and health: always connected, nothing lost, nothing to time. */
  stats(): { connected: boolean; published: number; received: number; dropped: number; malformed: number; requestTimeouts: number; reconnects: number; liveNodes: number } {
    return { connected: true, published: 0, received: 0, dropped: 0, malformed: 0, requestTimeouts: 0, reconnects: 0, liveNodes: 1 };
  }

  async close(): Promise<void> {
    this.#channels.clear();
    this.#connections.clear();
    this.#counts.clear();
  }

  #applyAll(channel: string, command: ClusterCommand): CommandResult[] {
    const nodes = this.#channels.get(channel);
    return nodes ? [...nodes].map((node) => node.apply(command)) : [];
  }
}
