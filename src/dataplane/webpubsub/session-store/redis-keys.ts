/**
 * Redis keys of mirrored reliable sessions, under the backplane's prefix (one cluster per prefix).
 * A session is named by its *member* string `resource:hub:connectionId` (each part URI-encoded,
 * so no name can collide); its four keys are a fixed prefix plus the member, which lets the Lua
 * scripts derive them from a member popped off a node's set.
 */
const part = encodeURIComponent;

export class SessionKeys {
  readonly #p: string;
  /** The backplane's heartbeat key prefix: a node is alive while `nodePrefix + id` exists. */
  readonly nodePrefix: string;

  constructor(prefix: string) {
    this.#p = `${prefix}sess:`;
    this.nodePrefix = `${prefix}node:`;
  }

  member(channel: string, hub: string, connectionId: string): string {
    return `${part(channel)}:${part(hub)}:${part(connectionId)}`;
  }

  /** Hash: owner node, token hash, user, roles, protocol, hub, connection id, reserved sequence id. */
  get metaPrefix(): string {
    return `${this.#p}m:`;
  }

  /** Sorted set: unacknowledged frames scored by sequence id. */
  get framesPrefix(): string {
    return `${this.#p}f:`;
  }

  /** Set: the connection's groups. */
  get groupsPrefix(): string {
    return `${this.#p}g:`;
  }

  /** List: permission changes since the connection opened, in order (JSON). */
  get permissionsPrefix(): string {
    return `${this.#p}p:`;
  }

  all(member: string): [meta: string, frames: string, groups: string, permissions: string] {
    return [this.metaPrefix + member, this.framesPrefix + member, this.groupsPrefix + member, this.permissionsPrefix + member];
  }

  /** Set of the members one node owns for one resource. */
  ownedPrefix(channel: string): string {
    return `${this.#p}own:${part(channel)}:`;
  }

  owned(channel: string, nodeId: string): string {
    return this.ownedPrefix(channel) + nodeId;
  }

  /** Set of the nodes that own sessions of one resource (the sweeper looks for dead ones). */
  owners(channel: string): string {
    return `${this.#p}owners:${part(channel)}`;
  }

  /** Pub/sub channel of one node's session handovers (requests and replies). */
  inbox(nodeId: string): string {
    return `${this.#p}to:${part(nodeId)}`;
  }
}
