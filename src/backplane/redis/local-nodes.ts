/**
 * The nodes of this process joined to each resource channel (normally one core per resource),
 * and the local side of every command: applied to each, a failure logged and left out.
 */
import type { Logger } from '../../log/index.ts';
import type { ClusterCommand, CommandResult } from '../../messaging/commands.ts';
import type { BackplaneNode } from '../types.ts';

export class LocalNodes {
  readonly #channels = new Map<string, Set<BackplaneNode>>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  channels(): IterableIterator<string> {
    return this.#channels.keys();
  }

  /** Returns whether this is the channel's first node. */
  add(channel: string, node: BackplaneNode): boolean {
    const nodes = this.#channels.get(channel);
    if (nodes) {
      nodes.add(node);
      return false;
    }
    this.#channels.set(channel, new Set([node]));
    return true;
  }

  /** Returns whether the channel has no node left. */
  remove(channel: string, node: BackplaneNode): boolean {
    const nodes = this.#channels.get(channel);
    if (!nodes?.delete(node)) return false;
    if (nodes.size > 0) return false;
    this.#channels.delete(channel);
    return true;
  }

  apply(channel: string, command: ClusterCommand): CommandResult[] {
    const nodes = this.#channels.get(channel);
    if (!nodes) return [];
    const results: CommandResult[] = [];
    for (const node of nodes) {
      try {
        results.push(node.apply(command));
      } catch (err) {
        this.#log.warn({ err: (err as Error).message, command: command.type }, 'backplane command failed locally');
      }
    }
    return results;
  }
}
