/**
 * Which nodes of the cluster hold client-carrying server connections for a hub, and which app
 * servers they are: one backplane request on the resource's relay channel, answered by every live
 * node that has some (its node id and X-ASRS-Server-Ids). A found route is reused for
 * LOOKUP_CACHE_MS; an empty answer is not, so an app server that just connected elsewhere is found
 * by the very next client.
 */
import type { Backplane } from '../../../backplane/index.ts';
import type { ClientConnectionInfo } from '../client/index.ts';
import { lookupCommand } from './remote-messages.ts';

/** How long a lookup that found nodes serving a hub is reused (one that found none is not). */
export const LOOKUP_CACHE_MS = 1000;

interface Lookup { at: number; nodes: Map<string, string[]> }

export class ServingNodes {
  readonly #backplane: Backplane;
  readonly #channel: string;
  readonly #lookups = new Map<string, Lookup>();
  readonly #inflight = new Map<string, Promise<Map<string, string[]>>>();
  #turn = 0;

  /** `channel`: the resource's relay channel. */
  constructor(backplane: Backplane, channel: string) {
    this.#backplane = backplane;
    this.#channel = channel;
  }

  /**
   * Live nodes other than this one serving `hub`, in the order to try them (in turn; the sticky app
   * server's nodes first, or only those with `onlySticky`).
   */
  async ordered(hub: string, sticky: string | undefined, onlySticky = false): Promise<string[]> {
    const nodes = await this.lookup(hub);
    const all = [...nodes.keys()].filter((n) => !onlySticky || (sticky !== undefined && nodes.get(n)!.includes(sticky)));
    if (all.length === 0) return all;
    const turn = this.#turn % all.length;
    this.#turn = (this.#turn + 1) % 1_000_000;
    const ordered = [...all.slice(turn), ...all.slice(0, turn)];
    // ServerStickyMode: the node holding the app server that negotiated the client goes first.
    if (sticky !== undefined) ordered.sort((a, b) => Number(nodes.get(b)!.includes(sticky)) - Number(nodes.get(a)!.includes(sticky)));
    return ordered;
  }

  /** Node id → its app-server ids for `hub` (this node left out). */
  lookup(hub: string): Promise<Map<string, string[]>> {
    const cached = this.#lookups.get(hub);
    if (cached && Date.now() - cached.at < LOOKUP_CACHE_MS) return Promise.resolve(cached.nodes);
    let pending = this.#inflight.get(hub);
    if (pending) return pending;
    pending = this.#backplane.request(this.#channel, lookupCommand(hub)).then((outcome) => {
      const nodes = new Map<string, string[]>();
      for (const r of outcome.results) {
        for (const m of r.members ?? []) {
          if (m.connectionId === this.#backplane.nodeId || m.userId === undefined) continue;
          const ids = nodes.get(m.connectionId) ?? [];
          ids.push(m.userId);
          nodes.set(m.connectionId, ids);
        }
      }
      if (nodes.size > 0) this.#lookups.set(hub, { at: Date.now(), nodes });
      return nodes;
    }).finally(() => this.#inflight.delete(hub));
    this.#inflight.set(hub, pending);
    return pending;
  }

  /** A route failed: the next client of `hub` asks again. */
  forget(hub: string): void {
    this.#lookups.delete(hub);
  }

  /** Routes through nodes that are no longer live are dropped. */
  forgetDead(live: ReadonlySet<string>): void {
    for (const [hub, l] of this.#lookups) if ([...l.nodes.keys()].some((n) => !live.has(n))) this.#lookups.delete(hub);
  }

  /** The app-server ids connected for `hub` on every live node, this one included (the SDK's `servers` ping wants the resource's list). */
  async serverIds(hub: string): Promise<string[]> {
    const outcome = await this.#backplane.request(this.#channel, lookupCommand(hub));
    const ids = new Set<string>();
    for (const r of outcome.results) for (const m of r.members ?? []) if (m.userId !== undefined) ids.add(m.userId);
    return [...ids];
  }
}

/** `asrs.s.sn` when the token asks for sticky routing (`asrs.s.ssticky`, ServerStickyMode Preferred/Required). */
export function stickyServer(info: ClientConnectionInfo): string | undefined {
  const c = info.identity.claims;
  const sn = c['asrs.s.sn'];
  const mode = c['asrs.s.ssticky'];
  return typeof sn === 'string' && mode !== undefined && mode !== '0' && mode !== 0 ? sn : undefined;
}
