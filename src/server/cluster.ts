/**
 * What makes one node part of a cluster: the store and backplane it shares, where it sits (port
 * offset, public URL) and the one issuer every node uses. With no `--store` and `--backplane` the
 * same code runs one embedded node.
 */
import type { Store } from '../store/index.ts';
import { InProcessBackplane, type Backplane } from '../backplane/index.ts';
import { RedisBackplane } from '../backplane/redis/index.ts';
import { RedisSessionStore, type SessionStore } from '../dataplane/webpubsub/session-store/index.ts';
import type { Logger } from '../log/index.ts';
import type { NodeSite } from './service-origins.ts';
import type { StartOptions } from './options.ts';

const ISSUER_KIND = 'cluster';
const ISSUER_ID = 'issuer';

export function isClustered(opts: StartOptions): boolean {
  return opts.store !== undefined;
}

export function nodeSite(opts: StartOptions): NodeSite {
  return {
    portOffset: opts.portOffset ?? 0,
    publicHost: opts.publicUrl === undefined ? undefined : new URL(opts.publicUrl).hostname,
    shared: isClustered(opts),
  };
}

/**
 * The origin of the identity endpoints and of every token's issuer. `--public-url` when given;
 * otherwise one node alone uses its own HTTPS URL, and a cluster uses the HTTPS URL of the node that
 * created it (kept in the store), so a token issued by any node verifies on every node.
 */
export async function authorityOrigin(store: Store, opts: StartOptions, ownHttpsUrl: string): Promise<string> {
  if (opts.publicUrl !== undefined) return opts.publicUrl;
  if (!isClustered(opts)) return ownHttpsUrl;
  await store.insertIfAbsent(ISSUER_KIND, ISSUER_ID, { authorityHost: ownHttpsUrl });
  const doc = await store.get<{ authorityHost: string }>(ISSUER_KIND, ISSUER_ID);
  return doc?.authorityHost ?? ownHttpsUrl;
}

/**
 * The backplane this node's resources share: Redis in a cluster, in-process alone. A `prefix`
 * query parameter on the Redis URL (a Lapis addition, not sent to Redis) separates clusters that
 * share one Redis; the default is `lapis:`.
 */
export async function openNodeBackplane(opts: StartOptions, log: Logger): Promise<Backplane> {
  if (opts.backplane === undefined) return new InProcessBackplane();
  const url = new URL(opts.backplane);
  const prefix = url.searchParams.get('prefix') ?? undefined;
  url.searchParams.delete('prefix');
  const backplane = new RedisBackplane({ url: url.toString(), prefix, nodeId: opts.nodeName ?? 'node', log });
  await backplane.connect();
  return backplane;
}

/**
 * Where Web PubSub reliable sessions are mirrored so that any node can recover them: in a cluster,
 * the backplane's Redis under the same prefix, owned by the backplane's node id (its heartbeat
 * says whether an owner is alive). Undefined alone: sessions stay in-process.
 */
export async function openNodeSessions(opts: StartOptions, backplane: Backplane, log: Logger): Promise<SessionStore | undefined> {
  if (opts.backplane === undefined) return undefined;
  const url = new URL(opts.backplane);
  const prefix = url.searchParams.get('prefix') ?? 'lapis:';
  url.searchParams.delete('prefix');
  const sessions = new RedisSessionStore({ url: url.toString(), prefix, nodeId: backplane.nodeId, log });
  await sessions.connect();
  return sessions;
}
