/**
 * Lapis's connection listing (`GET /api/hubs/{hub}/:connections`, not an Azure operation; Web
 * PubSub and SignalR both serve it): the live connections of a hub across every node, in
 * connection-id order, paged like Azure's group listing (`maxpagesize`, `top`, an opaque
 * `continuationToken` inside a self-contained `nextLink`). Each node returns at most one page
 * past the cursor, so an answer is bounded however large the hub is.
 */
import type { CommandResult, ConnectionInfo } from '../../messaging/index.ts';
import type { Query } from './router.ts';

export const MAX_LISTING_PAGE = 200;
export const DEFAULT_LISTING_PAGE = 100;

export interface ListedConnection {
  connectionId: string;
  userId: string | null;
  groups: string[];
  roles: string[];
  protocol: string;
  /** ISO 8601, UTC. */
  connectedAt: string;
}

export interface ListingPage {
  value: ListedConnection[];
  nextLink?: string;
  /** Nodes that did not answer in time: their connections are missing from this page. */
  unansweredNodes?: string[];
}

export interface ListingRequest {
  query: Query;
  /** Raw request path (still percent-encoded): nextLinks repeat it. */
  rawPath: string;
  /** Query parameters every nextLink carries (api-version, application). */
  carry: Record<string, string>;
  /** Asks every node for its first `limit` connections after `after`. */
  fetch(after: string | undefined, limit: number): Promise<CommandResult>;
  badRequest(message: string, parameter: string): Error;
}

function positiveInt(r: ListingRequest, name: string, max: number): number | undefined {
  const v = r.query.get(name);
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1 || Number(v) > max) throw r.badRequest(`${name} must be an integer between 1 and ${max}.`, name);
  return Number(v);
}

export async function listConnectionsPage(r: ListingRequest): Promise<ListingPage> {
  const pageSize = positiveInt(r, 'maxpagesize', MAX_LISTING_PAGE) ?? DEFAULT_LISTING_PAGE;
  const top = positiveInt(r, 'top', 1_000_000);
  const token = r.query.get('continuationToken');
  let after: string | undefined;
  if (token !== undefined) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (!token || token.length > 2048 || Buffer.from(after, 'utf8').toString('base64url') !== token) {
      throw r.badRequest('Invalid continuationToken.', 'continuationToken');
    }
  }
  const take = Math.min(pageSize, top ?? Number.MAX_SAFE_INTEGER);
  // One more than a page from each node tells whether another page follows.
  const result = await r.fetch(after, take + 1);
  const all = (result.connections ?? []).sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0));
  const page = all.slice(0, take);
  const body: ListingPage = { value: page.map(shape) };
  const left = top === undefined ? undefined : top - page.length;
  if (all.length > page.length && (left === undefined || left > 0)) {
    const q = new URLSearchParams({ ...r.carry, maxpagesize: String(pageSize) });
    if (left !== undefined) q.set('top', String(left));
    q.set('continuationToken', Buffer.from(page[page.length - 1]!.connectionId, 'utf8').toString('base64url'));
    body.nextLink = `${r.rawPath}?${q.toString()}`;
  }
  if (result.unanswered && result.unanswered.length > 0) body.unansweredNodes = result.unanswered;
  return body;
}

function shape(c: ConnectionInfo): ListedConnection {
  return {
    connectionId: c.connectionId,
    userId: c.userId ?? null,
    groups: c.groups,
    roles: c.roles,
    protocol: c.protocol,
    connectedAt: new Date(c.connectedAt).toISOString(),
  };
}
