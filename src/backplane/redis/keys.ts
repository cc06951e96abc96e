/**
 * Every Redis key and pub/sub channel the backplane uses, under one prefix (several clusters, or
 * test files, share one Redis by using different prefixes). Variable parts are URI-encoded so a
 * `:` in a hub, group or user name can never make two names collide.
 */
const part = encodeURIComponent;

export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Set of node ids that registered; pruned of the ones whose heartbeat key expired. */
  get nodes(): string {
    return `${this.prefix}nodes`;
  }

  /** Prefix of the heartbeat keys (the Lua scripts append a node id). */
  get nodePrefix(): string {
    return `${this.prefix}node:`;
  }

  /** A node's heartbeat key (expires unless refreshed). */
  node(nodeId: string): string {
    return `${this.nodePrefix}${nodeId}`;
  }

  /** Hash node id → that node's connection count for a resource. */
  count(channel: string): string {
    return `${this.prefix}count:${part(channel)}`;
  }

  /** String: the node id holding a connection. */
  connection(channel: string, hub: string, connectionId: string): string {
    return `${this.prefix}conn:${part(channel)}:${part(hub)}:${part(connectionId)}`;
  }

  /** Hash node id → how many of that node's connections belong to the user / are in the group. */
  members(kind: 'user' | 'group', channel: string, hub: string, name: string): string {
    return `${this.prefix}${kind}:${part(channel)}:${part(hub)}:${part(name)}`;
  }

  /** Pub/sub channel of one resource: its fire-and-forget fan-out. */
  resourceChannel(channel: string): string {
    return `${this.prefix}ch:${part(channel)}`;
  }

  /** Pub/sub channel of one node: point-to-point commands, requests and replies. */
  inbox(nodeId: string): string {
    return `${this.prefix}to:${part(nodeId)}`;
  }
}
