/**
 * Sticky user → group membership (SignalR's "add user to group"): a user's connections that open
 * later join the group too, until the membership expires. As in Azure: without a TTL it lasts at
 * most a year and only the 100 most recently updated TTL-less groups of a user are kept; a TTL of
 * 0 means "only the connections open now", so nothing is remembered.
 */
const YEAR_MS = 365 * 24 * 3600 * 1000;
export const MAX_UNTIMED_GROUPS_PER_USER = 100;
/** Also bounded overall, so a flood of distinct users or groups cannot grow memory without end. */
export const MAX_USER_GROUP_RECORDS = 1_000_000;

interface Membership {
  expiresAt: number;
  untimed: boolean;
}

export class UserGroups {
  /** hub → user → group → membership; Map order is update order (oldest first). */
  readonly #hubs = new Map<string, Map<string, Map<string, Membership>>>();
  #records = 0;

  get size(): number {
    return this.#records;
  }

  /** Remembers a membership; `ttlSeconds` undefined = no TTL given (a year). Returns false when full. */
  add(hub: string, userId: string, group: string, ttlSeconds: number | undefined, now = Date.now()): boolean {
    if (ttlSeconds === 0) return true;
    let users = this.#hubs.get(hub);
    if (!users) this.#hubs.set(hub, (users = new Map()));
    let groups = users.get(userId);
    if (!groups) users.set(userId, (groups = new Map()));
    const existed = groups.delete(group); // re-inserted below: most recently updated last
    if (!existed && this.#records >= MAX_USER_GROUP_RECORDS) {
      if (groups.size === 0) users.delete(userId);
      return false;
    }
    if (!existed) this.#records++;
    const untimed = ttlSeconds === undefined;
    groups.set(group, { expiresAt: now + (untimed ? YEAR_MS : ttlSeconds * 1000), untimed });
    if (untimed) this.#trimUntimed(groups);
    return true;
  }

  remove(hub: string, userId: string, group: string): void {
    const groups = this.#hubs.get(hub)?.get(userId);
    if (groups?.delete(group)) this.#records--;
    this.#tidy(hub, userId);
  }

  /** Forgets every group of the user; returns the groups it was in. */
  removeAll(hub: string, userId: string): string[] {
    const groups = this.#hubs.get(hub)?.get(userId);
    if (!groups) return [];
    const names = [...groups.keys()];
    this.#records -= groups.size;
    groups.clear();
    this.#tidy(hub, userId);
    return names;
  }

  has(hub: string, userId: string, group: string, now = Date.now()): boolean {
    const m = this.#hubs.get(hub)?.get(userId)?.get(group);
    return m !== undefined && m.expiresAt > now;
  }

  /** The user's groups that have not expired. */
  groupsOf(hub: string, userId: string, now = Date.now()): string[] {
    const groups = this.#hubs.get(hub)?.get(userId);
    if (!groups) return [];
    const out: string[] = [];
    for (const [g, m] of groups) if (m.expiresAt > now) out.push(g);
    return out;
  }

  /** Drops expired memberships and reports them, so their connections can leave those groups. */
  sweep(now = Date.now()): Array<{ hub: string; userId: string; group: string }> {
    const expired: Array<{ hub: string; userId: string; group: string }> = [];
    for (const [hub, users] of this.#hubs) {
      for (const [userId, groups] of users) {
        for (const [group, m] of groups) {
          if (m.expiresAt > now) continue;
          groups.delete(group);
          this.#records--;
          expired.push({ hub, userId, group });
        }
        this.#tidy(hub, userId);
      }
    }
    return expired;
  }

  #trimUntimed(groups: Map<string, Membership>): void {
    let untimed = 0;
    for (const m of groups.values()) if (m.untimed) untimed++;
    for (const [g, m] of groups) {
      if (untimed <= MAX_UNTIMED_GROUPS_PER_USER) break;
      if (!m.untimed) continue;
      groups.delete(g);
      this.#records--;
      untimed--;
    }
  }

  #tidy(hub: string, userId: string): void {
    const users = this.#hubs.get(hub);
    if (!users) return;
    if (users.get(userId)?.size === 0) users.delete(userId);
    if (users.size === 0) this.#hubs.delete(hub);
  }
}
