/**
 * The messaging core of one resource: local connections indexed per hub, and the local side of
 * every cluster command. Callers change cluster-wide state only through `publish` / `request`,
 * which go through the backplane, so the same code runs on one node or many. Commands aimed at
 * one connection go to the node that holds it (the backplane's connection registry), and every
 * local change of connections and group memberships is reported to the backplane's registries.
 */
import { LRUCache } from 'lru-cache';
import { ConnectionLimitError, type MessagingCoreOptions } from './core-options.ts';
import type { ClusterCommand, CommandResult, GroupMember } from './commands.ts';
import type { Connection, ConnectionFilter } from './connection.ts';
import { Hub } from './hub.ts';
import { PermissionLimitError } from './permissions.ts';
import { CommandRouter } from './routing.ts';
import { listConnections } from './listing.ts';
import type { Message, Target } from './types.ts';
import { UserGroups } from './user-groups.ts';
import { traceConnection, traceDelivery, traceGroup } from './trace-events.ts';
import type { ResourceTrace } from '../trace/index.ts';

// The options and the limit error live in core-options.ts (what callers configure and catch);
// re-exported here for importers of this file.
export { ConnectionLimitError, type MessagingCoreOptions } from './core-options.ts';

/** Compiled filters kept (least recently used go first): REST callers reuse a handful of expressions. */
const FILTER_CACHE_SIZE = 64;

export class MessagingCore {
  readonly #hubs = new Map<string, Hub>();
  readonly #options: MessagingCoreOptions;
  readonly #leave: () => void;
  /** Sticky user → group memberships; they outlive the user's connections. */
  readonly #userGroups = new UserGroups();
  #sweeper: NodeJS.Timeout | undefined;
  readonly #filters = new LRUCache<string, ConnectionFilter>({ max: FILTER_CACHE_SIZE });
  #count = 0;
  /** Plain counts for metrics, read at scrape time (one addition per send, none per recipient). */
  #published = 0;
  #delivered = 0;
  readonly #router: CommandRouter;
  /** Live trace of this resource; publishers test `trace.on` before building anything. */
  readonly trace: ResourceTrace | undefined;

  constructor(options: MessagingCoreOptions) {
    this.#options = options;
    this.trace = options.trace;
    this.#leave = options.backplane.join(options.channel, { apply: (c) => this.apply(c) });
    this.#router = new CommandRouter({
      backplane: options.backplane,
      channel: options.channel,
      isLocal: (hub, connectionId) => this.connection(hub, connectionId) !== undefined,
      apply: (c) => this.apply(c),
    });
  }

  get connectionCount(): number {
    return this.#count;
  }

  /** Send commands published through this node (a REST send, a client's group message, an app server's send). */
  get publishedCount(): number {
    return this.#published;
  }

  /** Messages handed to connections on this node: one per recipient. */
  get deliveredCount(): number {
    return this.#delivered;
  }

  /** Hub names are case-insensitive: every lookup lower-cases. */
  static hubKey(hub: string): string {
    return hub.toLowerCase();
  }

  hub(name: string): Hub | undefined {
    return this.#hubs.get(MessagingCore.hubKey(name));
  }

  /** A connection on this node, by hub and id. */
  connection(hub: string, connectionId: string): Connection | undefined {
    return this.#hubs.get(MessagingCore.hubKey(hub))?.get(connectionId);
  }

  localConnections(): Iterable<Connection> {
    const hubs = this.#hubs;
    return (function* () {
      for (const h of hubs.values()) yield* h.connections();
    })();
  }

  /** Throws `ConnectionLimitError` when full: checked at handshake time via `hasCapacity` too. */
  register(c: Connection): void {
    if (!this.hasCapacity()) throw new ConnectionLimitError(this.#options.maxConnections ?? 0);
    let hub = this.#hubs.get(c.hub);
    if (!hub) this.#hubs.set(c.hub, (hub = new Hub(c.hub)));
    if (hub.get(c.connectionId)) throw new Error(`duplicate connection id ${c.connectionId}`);
    hub.add(c);
    this.#count++;
    this.#options.backplane.connectionAdded(this.#options.channel, c.hub, c.connectionId, c.userId);
    if (this.trace?.on) traceConnection(this.trace, c, 'connected');
    if (c.userId !== undefined && this.#userGroups.size > 0) {
      for (const g of this.#userGroups.groupsOf(c.hub, c.userId)) this.#joinGroup(hub, c, g);
    }
  }

  /** Room for one more connection in the whole cluster (the other nodes' counts as last seen). */
  hasCapacity(): boolean {
    const max = this.#options.maxConnections;
    return max === undefined || this.#options.backplane.connectionCount(this.#options.channel) < max;
  }

  /** `reason` (why the connection ended) goes to the live trace. */
  unregister(c: Connection, reason?: string): void {
    const hub = this.#hubs.get(c.hub);
    if (!hub || hub.get(c.connectionId) !== c) return;
    const backplane = this.#options.backplane;
    for (const g of c.groups) backplane.groupLeft(this.#options.channel, c.hub, g);
    hub.remove(c);
    this.#count--;
    backplane.connectionRemoved(this.#options.channel, c.hub, c.connectionId, c.userId);
    if (this.trace?.on) traceConnection(this.trace, c, 'disconnected', reason);
    if (hub.isEmpty) this.#hubs.delete(c.hub);
  }

  /** Local join/leave for a connection on this node (a client's own joinGroup/leaveGroup). */
  join(c: Connection, group: string): boolean {
    const hub = this.#hubs.get(c.hub);
    return hub ? this.#joinGroup(hub, c, group) : false;
  }

  leave(c: Connection, group: string): boolean {
    const hub = this.#hubs.get(c.hub);
    return hub ? this.#leaveGroup(hub, c, group) : false;
  }

  /**
   * Fire-and-forget. A command for one connection is applied here when the connection is local,
   * else shipped to the node that holds it (nowhere when no live node does).
   */
  publish(command: ClusterCommand): void {
    if (command.type === 'send') this.#published++;
    this.#router.publish(command);
  }

  /**
   * Runs a command where it applies and merges the partial results: on the connection's node for
   * a connection command, from the registry for user / group existence, else on every live node.
   * `unanswered` names the nodes that did not answer in time (their connections are missing).
   */
  request(command: ClusterCommand): Promise<CommandResult> {
    return this.#router.request(command);
  }

  #joinGroup(hub: Hub, c: Connection, group: string): boolean {
    if (!hub.join(c, group)) return false;
    this.#options.backplane.groupJoined(this.#options.channel, hub.name, group);
    if (this.trace?.on) traceGroup(this.trace, c, group, true);
    return true;
  }

  #leaveGroup(hub: Hub, c: Connection, group: string): boolean {
    if (!hub.leave(c, group)) return false;
    this.#options.backplane.groupLeft(this.#options.channel, hub.name, group);
    if (this.trace?.on) traceGroup(this.trace, c, group, false);
    return true;
  }

  /** Validates a filter expression up front (so the REST API can answer 400 before publishing). */
  compileFilter(expression: string): ConnectionFilter {
    const cached = this.#filters.get(expression);
    if (cached) return cached;
    const compile = this.#options.compileFilter;
    if (!compile) throw new Error('filters are not supported');
    const f = compile(expression);
    this.#filters.set(expression, f);
    return f;
  }

  /** The local side of every cluster command. Never throws for a per-connection failure. */
  apply(command: ClusterCommand): CommandResult {
    const hub = this.#hubs.get(MessagingCore.hubKey(command.hub));
    switch (command.type) {
      case 'send':
        return { matched: hub ? this.#send(hub, command) : 0 };
      case 'close':
        return { matched: hub ? this.#close(hub, command.target, command.excluded, command.reason) : 0 };
      case 'addToGroups':
      case 'removeFromGroups':
        return { matched: hub ? this.#changeGroups(hub, command) : 0 };
      case 'removeFromAllGroups': {
        if (!hub) return { matched: 0 };
        const targets = [...hub.select(command.target)];
        for (const c of targets) for (const g of [...c.groups]) this.#leaveGroup(hub, c, g);
        return { matched: targets.length };
      }
      case 'grant':
      case 'revoke': {
        const c = hub?.get(command.connectionId);
        if (!c) return { matched: 0 };
        try {
          if (command.type === 'grant') c.permissions.grant(command.action, command.group);
          else c.permissions.revoke(command.action, command.group);
        } catch (e) {
          if (e instanceof PermissionLimitError) return { matched: 1, error: e.message };
          throw e;
        }
        c.observer?.permissionChanged(command.type, command.action, command.group);
        return { matched: 1 };
      }
      case 'exists':
        return { matched: hub ? firstOrNone(hub.select(command.target)) : 0 };
      case 'hasPermission': {
        const c = hub?.get(command.connectionId);
        if (!c) return { matched: 0 };
        return { matched: 1, allowed: c.permissions.has(command.action, command.group) };
      }
      case 'addUserToGroup': {
        this.#userGroups.add(MessagingCore.hubKey(command.hub), command.userId, command.group, command.ttlSeconds);
        if (command.ttlSeconds !== undefined && command.ttlSeconds > 0) this.#armSweeper();
        const targets = hub ? [...hub.select({ scope: 'user', userId: command.userId })] : [];
        for (const c of targets) this.#joinGroup(hub!, c, command.group);
        return { matched: targets.length };
      }
      case 'removeUserFromGroup': {
        const key = MessagingCore.hubKey(command.hub);
        const groups = command.group !== undefined ? [command.group] : this.#userGroups.removeAll(key, command.userId);
        if (command.group !== undefined) this.#userGroups.remove(key, command.userId, command.group);
        const targets = hub ? [...hub.select({ scope: 'user', userId: command.userId })] : [];
        for (const c of targets) for (const g of command.group !== undefined ? groups : [...c.groups]) this.#leaveGroup(hub!, c, g);
        return { matched: targets.length };
      }
      case 'userInGroup': {
        if (this.#userGroups.has(MessagingCore.hubKey(command.hub), command.userId, command.group)) return { matched: 1 };
        for (const c of hub?.select({ scope: 'user', userId: command.userId }) ?? []) if (c.groups.has(command.group)) return { matched: 1 };
        return { matched: 0 };
      }
      case 'listGroup': {
        const members: GroupMember[] = [];
        for (const c of hub?.select({ scope: 'group', group: command.group }) ?? []) {
          members.push(c.userId === undefined ? { connectionId: c.connectionId } : { connectionId: c.connectionId, userId: c.userId });
        }
        return { matched: members.length, members };
      }
      case 'listConnections':
        return listConnections(hub, command.after, command.limit);
    }
  }

  #send(hub: Hub, cmd: Extract<ClusterCommand, { type: 'send' }>): number {
    const filter = cmd.filter ? this.compileFilter(cmd.filter) : undefined;
    const excluded = cmd.excluded && cmd.excluded.length > 0 ? new Set(cmd.excluded) : undefined;
    // One Message object per node: connections of the same wire format share its encoding.
    const message: Message = { content: cmd.content, encoded: new Map() };
    let n = 0;
    for (const c of hub.select(cmd.target)) {
      if (excluded?.has(c.connectionId)) continue;
      if (filter && !filter(c)) continue;
      c.sink.deliver(message);
      n++;
    }
    this.#delivered += n;
    if (this.trace?.on) traceDelivery(this.trace, cmd, n);
    return n;
  }

  #close(hub: Hub, target: Target, excludedIds: string[] | undefined, reason: string): number {
    const excluded = new Set(excludedIds ?? []);
    const targets = [...hub.select(target)].filter((c) => !excluded.has(c.connectionId));
    for (const c of targets) c.sink.close({ kind: 'service', reason });
    return targets.length;
  }

  #changeGroups(hub: Hub, cmd: Extract<ClusterCommand, { type: 'addToGroups' | 'removeFromGroups' }>): number {
    const filter = cmd.filter ? this.compileFilter(cmd.filter) : undefined;
    const targets = [...hub.select(cmd.target)].filter((c) => !filter || filter(c));
    for (const c of targets) {
      for (const g of cmd.groups) {
        if (cmd.type === 'addToGroups') this.#joinGroup(hub, c, g);
        else this.#leaveGroup(hub, c, g);
      }
    }
    return targets.length;
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#leave();
  }

  /** Expired user memberships are dropped, and the user's open connections leave those groups. */
  #armSweeper(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => {
      for (const { hub, userId, group } of this.#userGroups.sweep()) {
        const h = this.#hubs.get(hub);
        for (const c of h ? [...h.select({ scope: 'user', userId })] : []) this.#leaveGroup(h!, c, group);
      }
    }, 1_000);
    this.#sweeper.unref();
  }
}

function firstOrNone(it: Iterable<unknown>): number {
  for (const _ of it) return 1;
  return 0;
}
