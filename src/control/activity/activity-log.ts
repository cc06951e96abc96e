/**
 * The activity log: every management change recorded in the store (kind `activity-log`), so
 * every node of a cluster reads the same history, and pruned to a bounded size (count and age).
 * Ids sort by time, so a listing is the store's documents in id order, newest first.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/index.ts';
import type { ActivityFilter } from './filter.ts';
import { ACTIVITY_KIND, DEFAULT_MAX_DAYS, DEFAULT_MAX_EVENTS, type ActivityRecord, type RetentionOptions } from './model.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Pruning lists the whole kind: done every so many records, not on each. */
const PRUNE_EVERY = 50;

export class ActivityLog {
  readonly #store: Store;
  readonly maxEvents: number;
  readonly maxDays: number;
  #sincePrune = 0;
  #pruning: Promise<void> | undefined;

  constructor(store: Store, retention: RetentionOptions = {}) {
    this.#store = store;
    this.maxEvents = Math.max(1, retention.maxEvents ?? DEFAULT_MAX_EVENTS);
    this.maxDays = Math.max(1, retention.maxDays ?? DEFAULT_MAX_DAYS);
  }

  static newEventId(): string {
    return randomUUID();
  }

  async record(r: ActivityRecord): Promise<void> {
    await this.#store.put(ACTIVITY_KIND, `${r.time}|${r.eventDataId}`, r, r.subscriptionId?.toLowerCase() ?? `tenant:${r.tenantId}`);
    if (++this.#sincePrune >= PRUNE_EVERY) {
      this.#sincePrune = 0;
      this.#pruning ??= this.prune().then(() => {}).finally(() => { this.#pruning = undefined; });
    }
  }

  /** Drops events older than `maxDays` and the oldest beyond `maxEvents`. */
  async prune(now = Date.now()): Promise<number> {
    const all = await this.#all();
    const cutoff = new Date(now - this.maxDays * DAY_MS).toISOString();
    const excess = all.length - this.maxEvents;
    let removed = 0;
    for (let i = 0; i < all.length; i++) {
      const r = all[i]!; // oldest first
      if (i >= excess && r.time >= cutoff) break;
      if (await this.#store.delete(ACTIVITY_KIND, `${r.time}|${r.eventDataId}`)) removed++;
    }
    return removed;
  }

  /** Events of a subscription (and the tenant's directory changes) matching `f`, newest first. */
  async list(tenantId: string, subscriptionId: string, f: ActivityFilter): Promise<ActivityRecord[]> {
    const [sub, tenant] = await Promise.all([
      this.#store.list<ActivityRecord>(ACTIVITY_KIND, subscriptionId.toLowerCase()),
      this.#store.list<ActivityRecord>(ACTIVITY_KIND, `tenant:${tenantId}`),
    ]);
    const cutoff = Date.now() - this.maxDays * DAY_MS;
    return [...sub, ...tenant]
      .filter((r) => { const t = Date.parse(r.time); return t >= f.from && t <= f.to && t >= cutoff; })
      .filter((r) => matches(r, f))
      .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.eventDataId < b.eventDataId ? 1 : -1));
  }

  async #all(): Promise<ActivityRecord[]> {
    const all = await this.#store.list<ActivityRecord>(ACTIVITY_KIND);
    return all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }
}

const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

function matches(r: ActivityRecord, f: ActivityFilter): boolean {
  if (f.resourceGroupName !== undefined && !same(r.resourceGroup, f.resourceGroupName)) return false;
  // A resource's log includes its children (hubs, role assignments on it), as Azure's does.
  if (f.resourceId !== undefined) {
    const id = r.resourceId.toLowerCase();
    const want = f.resourceId.toLowerCase().replace(/\/+$/, '');
    if (id !== want && !id.startsWith(`${want}/`)) return false;
  }
  if (f.resourceProvider !== undefined && !same(r.resourceProvider, f.resourceProvider)) return false;
  if (f.caller !== undefined && !same(r.caller, f.caller) && !same(r.principalId, f.caller) && !same(r.displayName, f.caller)) return false;
  if (f.correlationId !== undefined && !same(r.correlationId, f.correlationId)) return false;
  if (f.status !== undefined && !same(r.status, f.status)) return false;
  if (f.operationName !== undefined && !same(r.operationName, f.operationName)) return false;
  if (f.level !== undefined && !same(r.status === 'Failed' ? 'Error' : 'Informational', f.level)) return false;
  return true;
}
