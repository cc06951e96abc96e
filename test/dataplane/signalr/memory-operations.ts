/**
 * In-memory `SignalRHubOperations` for the REST tests: connections with a user and groups, sticky
 * user→group membership with TTL, and a log of what each operation was asked to do.
 */
import type { SignalRMessage } from '../../../src/protocols/signalr/index.ts';
import type { CloseScope, SignalRHubOperations } from '../../../src/dataplane/signalr/rest/index.ts';

interface Conn { userId?: string | undefined; groups: Set<string> }
interface Hub { connections: Map<string, Conn>; userGroups: Map<string, Map<string, number | undefined>> }

export type Sent =
  | { kind: 'broadcast'; hub: string; message: SignalRMessage; excluded: readonly string[] }
  | { kind: 'user'; hub: string; userId: string; message: SignalRMessage }
  | { kind: 'group'; hub: string; group: string; message: SignalRMessage; excluded: readonly string[] }
  | { kind: 'connection'; hub: string; connectionId: string; message: SignalRMessage };

export class MemoryOperations implements SignalRHubOperations {
  readonly hubs = new Map<string, Hub>();
  readonly sent: Sent[] = [];
  readonly closed: Array<{ hub: string; connectionId?: string; target?: CloseScope; excluded?: readonly string[]; reason: string | undefined }> = [];
  now = () => Date.now();

  #hub(name: string): Hub {
    let h = this.hubs.get(name);
    if (!h) this.hubs.set(name, (h = { connections: new Map(), userGroups: new Map() }));
    return h;
  }

  /** Test setup: a connection opens (it joins the user's sticky groups). */
  connect(hub: string, connectionId: string, userId?: string): void {
    const h = this.#hub(hub);
    const groups = new Set<string>();
    if (userId) for (const [g, exp] of h.userGroups.get(userId) ?? []) if (exp === undefined || exp > this.now()) groups.add(g);
    h.connections.set(connectionId, { userId, groups });
  }

  broadcast(hub: string, message: SignalRMessage, excluded: readonly string[]): void { this.sent.push({ kind: 'broadcast', hub, message, excluded }); }
  sendToUser(hub: string, userId: string, message: SignalRMessage): void { this.sent.push({ kind: 'user', hub, userId, message }); }
  sendToGroup(hub: string, group: string, message: SignalRMessage, excluded: readonly string[]): void { this.sent.push({ kind: 'group', hub, group, message, excluded }); }
  sendToConnection(hub: string, connectionId: string, message: SignalRMessage): void { this.sent.push({ kind: 'connection', hub, connectionId, message }); }

  async connectionExists(hub: string, id: string): Promise<boolean> { return this.#hub(hub).connections.has(id); }
  async userExists(hub: string, userId: string): Promise<boolean> { return [...this.#hub(hub).connections.values()].some((c) => c.userId === userId); }
  async groupExists(hub: string, group: string): Promise<boolean> { return [...this.#hub(hub).connections.values()].some((c) => c.groups.has(group)); }
  async userInGroup(hub: string, userId: string, group: string): Promise<boolean> {
    const exp = this.#hub(hub).userGroups.get(userId)?.get(group);
    if (exp !== undefined ? exp > this.now() : this.#hub(hub).userGroups.get(userId)?.has(group)) return true;
    return [...this.#hub(hub).connections.values()].some((c) => c.userId === userId && c.groups.has(group));
  }

  async addConnectionToGroup(hub: string, id: string, group: string): Promise<boolean> {
    const c = this.#hub(hub).connections.get(id);
    if (!c) return false;
    c.groups.add(group);
    return true;
  }
  async removeConnectionFromGroup(hub: string, id: string, group: string): Promise<void> { this.#hub(hub).connections.get(id)?.groups.delete(group); }
  async removeConnectionFromAllGroups(hub: string, id: string): Promise<void> { this.#hub(hub).connections.get(id)?.groups.clear(); }

  async addUserToGroup(hub: string, userId: string, group: string, ttlSeconds: number | undefined): Promise<void> {
    const h = this.#hub(hub);
    for (const c of h.connections.values()) if (c.userId === userId) c.groups.add(group);
    if (ttlSeconds === 0) return;
    let mine = h.userGroups.get(userId);
    if (!mine) h.userGroups.set(userId, (mine = new Map()));
    mine.set(group, ttlSeconds === undefined ? undefined : this.now() + ttlSeconds * 1000);
  }
  async removeUserFromGroup(hub: string, userId: string, group: string): Promise<void> {
    const h = this.#hub(hub);
    h.userGroups.get(userId)?.delete(group);
    for (const c of h.connections.values()) if (c.userId === userId) c.groups.delete(group);
  }
  async removeUserFromAllGroups(hub: string, userId: string): Promise<void> {
    const h = this.#hub(hub);
    h.userGroups.delete(userId);
    for (const c of h.connections.values()) if (c.userId === userId) c.groups.clear();
  }

  async closeConnection(hub: string, id: string, reason: string | undefined): Promise<boolean> {
    const existed = this.#hub(hub).connections.delete(id);
    if (existed) this.closed.push({ hub, connectionId: id, reason });
    return existed;
  }
  async closeConnections(hub: string, target: CloseScope, excluded: readonly string[], reason: string | undefined): Promise<void> {
    const h = this.#hub(hub);
    for (const [id, c] of h.connections) {
      if (excluded.includes(id)) continue;
      if (target.scope === 'user' && c.userId !== target.userId) continue;
      if (target.scope === 'group' && !c.groups.has(target.group)) continue;
      h.connections.delete(id);
    }
    this.closed.push({ hub, target, excluded, reason });
  }
}
