/**
 * Where a cluster command goes: a command for one connection to the node that holds it (applied
 * here when the connection is local), user / group existence to the backplane's registry, and
 * everything else to every live node. Keeps one caller's fire-and-forget commands in order even
 * when some of them wait for a registry lookup.
 */
import type { Backplane } from '../backplane/types.ts';
import { mergeResults, targetConnection } from './commands.ts';
import type { ClusterCommand, CommandResult } from './commands.ts';

export interface CommandRouterOptions {
  backplane: Backplane;
  channel: string;
  /** Whether this node holds the connection (hub name as given: the check lower-cases). */
  isLocal(hub: string, connectionId: string): boolean;
  /** The local side of a command. */
  apply(command: ClusterCommand): CommandResult;
}

export class CommandRouter {
  readonly #o: CommandRouterOptions;
  /**
   * Commands waiting for a registry lookup, in publish order: later commands queue behind them
   * so that one caller's sends are never reordered. Undefined when nothing waits.
   */
  #outbox: Promise<void> | undefined;

  constructor(options: CommandRouterOptions) {
    this.#o = options;
  }

  publish(command: ClusterCommand): void {
    const { backplane, channel } = this.#o;
    const connectionId = targetConnection(command);
    if (connectionId === undefined) {
      this.#run(() => backplane.publish(channel, command));
      return;
    }
    if (this.#o.isLocal(command.hub, connectionId)) {
      this.#run(() => void this.#o.apply(command));
      return;
    }
    const owner = backplane.locateConnection(channel, command.hub.toLowerCase(), connectionId);
    if (!(owner instanceof Promise)) {
      // A synchronous registry (one process) keeps delivery synchronous, as before the seam grew.
      if (owner !== undefined) this.#run(() => backplane.sendTo(owner, channel, command));
      return;
    }
    this.#enqueue(async () => {
      const node = await owner;
      if (node !== undefined) backplane.sendTo(node, channel, command);
    });
  }

  async request(command: ClusterCommand): Promise<CommandResult> {
    if (this.#outbox) await this.#outbox;
    const { backplane, channel } = this.#o;
    const hub = command.hub.toLowerCase();
    const connectionId = targetConnection(command);
    if (connectionId !== undefined) {
      if (this.#o.isLocal(command.hub, connectionId)) return mergeResults([this.#o.apply(command)], []);
      const owner = await backplane.locateConnection(channel, hub, connectionId);
      if (owner === undefined) return { matched: 0 };
      const outcome = await backplane.requestFrom(owner, channel, command);
      return mergeResults(outcome.results, outcome.unanswered);
    }
    if (command.type === 'exists' && (command.target.scope === 'user' || command.target.scope === 'group')) {
      const local = this.#o.apply(command);
      if (local.matched > 0) return local;
      const name = command.target.scope === 'user' ? command.target.userId : command.target.group;
      const known = await backplane.hasMembers(channel, hub, command.target.scope, name);
      if (known !== undefined) return { matched: known ? 1 : 0 };
    }
    // Listings, group changes by user / group / hub, sticky user memberships and closes of many
    // connections need every node's local answer: no registry holds members with their user ids.
    const outcome = await backplane.request(channel, command);
    return mergeResults(outcome.results, outcome.unanswered);
  }

  /** Runs a step now, or after the commands already waiting (never ahead of them). */
  #run(step: () => void): void {
    if (this.#outbox) this.#enqueue(step);
    else step();
  }

  #enqueue(step: () => unknown): void {
    const next = (this.#outbox ?? Promise.resolve()).then(step).then(
      () => {},
      () => {}, // a failed lookup drops that one command, as a fire-and-forget publish may be dropped
    );
    this.#outbox = next;
    void next.then(() => {
      if (this.#outbox === next) this.#outbox = undefined;
    });
  }
}
