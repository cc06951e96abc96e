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
  readonly #users = new Map<string, Set<Connection>>();
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
    if (c.userId !== undefined) addTo(this.#users, c.userId, c);
  }

  remove(c: Connection): void {
    if (this.#connections.get(c.connectionId) !== c) return;
    this.#connections.delete(c.connectionId);
    if (c.userId !== undefined) removeFrom(this.#users, c.userId, c);
    for (const g of c.groups) removeFrom(this.#groups, g, c);
    c.groups.clear();
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
      case 'user':
        return this.#users.get(target.userId) ?? EMPTY;
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
