import type { Connection } from './connection.ts';
import type { Target } from './types.ts';

const EMPTY: ReadonlySet<Connection> = new Set();

/**
 * Local membership index of one hub: connections by id, by user, by group (group names are
 * case-sensitive). The indexes are private so that they cannot drift apart: everything goes
 * through the operations below.
 */
export class Hub {
  readonly name: string;
  readonly #connections = new Map<string, Connection>();
  /** A user's one connection as itself, a `Set` only from the second on (most users hold one). */
  readonly #users = new Map<string, Connection | Set<Connection>>();
  readonly #groups = new Map<string, Set<Connection>>();

  constructor(name: string) {
    this.name = name;
  }

  get isEmpty(): boolean {
    return this.#connections.size === 0;
  }

  get size(): number {
    return this.#connections.size;
  }

  get(connectionId: string): Connection | undefined {
    return this.#connections.get(connectionId);
  }

  connections(): IterableIterator<Connection> {
    return this.#connections.values();
  }

  add(c: Connection): void {
    this.#connections.set(c.connectionId, c);
    if (c.userId !== undefined) this.#addUser(c.userId, c);
  }

  remove(c: Connection): void {
    if (this.#connections.get(c.connectionId) !== c) return;
    this.#connections.delete(c.connectionId);
    if (c.userId !== undefined) this.#removeUser(c.userId, c);
    for (const g of c.groups) removeFrom(this.#groups, g, c);
    c.groups.clear();
  }

  #addUser(userId: string, c: Connection): void {
    const u = this.#users.get(userId);
    if (u === undefined) this.#users.set(userId, c);
    else if (u instanceof Set) u.add(c);
    else if (u !== c) this.#users.set(userId, new Set([u, c]));
  }

  #removeUser(userId: string, c: Connection): void {
    const u = this.#users.get(userId);
    if (u === c) {
      this.#users.delete(userId);
    } else if (u instanceof Set) {
      u.delete(c);
      if (u.size === 0) this.#users.delete(userId);
    }
  }

  /** Returns false when the connection already was a member. */
  join(c: Connection, group: string): boolean {
    if (c.groups.has(group)) return false;
    c.groups.add(group);
    addTo(this.#groups, group, c);
    c.observer?.groupChanged(group, true);
    return true;
  }

  leave(c: Connection, group: string): boolean {
    if (!c.groups.delete(group)) return false;
    removeFrom(this.#groups, group, c);
    c.observer?.groupChanged(group, false);
    return true;
  }

  /** The local connections a target designates (a live view: copy before mutating membership). */
  select(target: Target): Iterable<Connection> {
    switch (target.scope) {
      case 'hub':
        return this.#connections.values();
      case 'group':
        return this.#groups.get(target.group) ?? EMPTY;
      case 'user': {
        const u = this.#users.get(target.userId);
        return u === undefined ? EMPTY : u instanceof Set ? u : [u];
      }
      case 'connection': {
        const c = this.#connections.get(target.connectionId);
        return c ? [c] : EMPTY;
      }
    }
  }
}

function addTo(index: Map<string, Set<Connection>>, key: string, c: Connection): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(c);
}

function removeFrom(index: Map<string, Set<Connection>>, key: string, c: Connection): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(c);
  if (set.size === 0) index.delete(key);
}
