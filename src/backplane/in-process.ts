import type { ClusterCommand, CommandResult } from '../messaging/commands.ts';
import type { Backplane, BackplaneNode } from './types.ts';

/** Single-process backplane: "the cluster" is the nodes joined in this process (normally one per channel). */
export class InProcessBackplane implements Backplane {
  readonly #channels = new Map<string, Set<BackplaneNode>>();

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

  async request(channel: string, command: ClusterCommand): Promise<CommandResult[]> {
    const nodes = this.#channels.get(channel);
    if (!nodes) return [];
    return [...nodes].map((node) => node.apply(command));
  }

  async close(): Promise<void> {
    this.#channels.clear();
  }
}
