/**
 * The bodies of the Web PubSub REST operations (reference §1.2) that need more than one call
 * to the messaging core: query and body validation, sends, closes, bulk group changes, paged
 * group listing and client tokens. The table that maps paths to these is routes.ts.
 */
import type { Payload, Target } from '../../messaging/index.ts';
import { GROUP_ACTIONS } from '../../messaging/index.ts';
import type { GroupAction } from '../../messaging/index.ts';
import { isValidGroup } from '../../protocols/webpubsub/index.ts';
import { badRequest, dataPlaneErrors } from './errors.ts';
import { FilterSyntaxError } from './odata-filter.ts';
import { parseMediaType, parseSendPayload } from './payload.ts';
import { listConnectionsPage } from './connection-listing.ts';
import { accepted, existence, noContent, ok, type RouteContext, type RouteResult } from './route-types.ts';
import { z } from 'zod';

export function group(ctx: RouteContext): string {
  const g = ctx.params.group!;
  if (!isValidGroup(g)) throw badRequest('The group name must be 1 to 1024 characters long and not only whitespace.', 'group');
  return g;
}

function filterOf(ctx: RouteContext, value = ctx.query.get('filter')): string | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  try {
    ctx.deps.core.compileFilter(value);
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw dataPlaneErrors.invalidFilter(err.message);
    throw err;
  }
  return value;
}

/**
 * Azure drops a message a client has not consumed within `messageTtlSeconds`. Lapis holds no
 * per-message queue it could expire from (frames go straight to the socket; a client that does
 * not read is disconnected at its buffer limit; a reliable client's unacknowledged frames are all
 * replayed), so a TTL it would silently ignore is refused instead. 0 (never expires) is the default.
 */
function checkTtl(ctx: RouteContext): void {
  const ttl = ctx.query.get('messageTtlSeconds');
  if (ttl === undefined) return;
  const n = Number(ttl);
  if (!/^\d+$/.test(ttl) || n > 300) throw badRequest('messageTtlSeconds must be an integer between 0 and 300.', 'messageTtlSeconds');
  if (n > 0) {
    throw badRequest('messageTtlSeconds is not supported by Lapis: messages are never dropped for age (a client that does not read is disconnected instead). Omit it or use 0.', 'messageTtlSeconds');
  }
}

function reasonOf(ctx: RouteContext, fallback: string): string {
  return ctx.query.get('reason') ?? fallback;
}

export function send(ctx: RouteContext, target: Target, allowExcluded: boolean): RouteResult {
  checkTtl(ctx);
  const filter = filterOf(ctx);
  const payload: Payload = parseSendPayload(ctx.contentType, ctx.body);
  ctx.deps.core.publish({
    type: 'send',
    hub: ctx.hub,
    target,
    // REST group sends reach JSON clients as group messages (no fromUserId), as in the service.
    content: {
      kind: 'webpubsub',
      payload,
      from: target.scope === 'group' ? 'group' : 'server',
      group: target.scope === 'group' ? target.group : undefined,
    },
    excluded: allowExcluded ? ctx.query.all('excluded') : undefined,
    filter,
  });
  return accepted();
}

export async function close(ctx: RouteContext, target: Target): Promise<RouteResult> {
  await ctx.deps.core.request({
    type: 'close',
    hub: ctx.hub,
    target,
    excluded: ctx.query.all('excluded'),
    reason: reasonOf(ctx, ''),
  });
  return noContent();
}

export async function exists(ctx: RouteContext, target: Target): Promise<RouteResult> {
  const r = await ctx.deps.core.request({ type: 'exists', hub: ctx.hub, target });
  return existence(r.matched > 0);
}

export function permission(ctx: RouteContext): { action: GroupAction; group: string | undefined } {
  const raw = ctx.params.permission!;
  const action = GROUP_ACTIONS.find((a) => a.toLowerCase() === raw.toLowerCase());
  if (!action) throw badRequest(`Unknown permission '${raw}': use sendToGroup or joinLeaveGroup.`, 'permission');
  const target = ctx.query.get('targetName');
  if (target !== undefined && !isValidGroup(target)) throw badRequest('targetName is not a valid group name.', 'targetName');
  return { action, group: target };
}

const BulkGroups = z.object({
  groups: z.array(z.string()).min(1),
  filter: z.string().nullish(),
});

export async function bulkGroups(ctx: RouteContext, type: 'addToGroups' | 'removeFromGroups'): Promise<RouteResult> {
  if (parseMediaType(ctx.contentType).type !== 'application/json') {
    throw dataPlaneErrors.unsupportedMediaType('The request body must be application/json.');
  }
  let json: unknown;
  try {
    json = JSON.parse(ctx.body?.toString('utf8') ?? '');
  } catch {
    throw dataPlaneErrors.malformedJson();
  }
  const parsed = BulkGroups.safeParse(json);
  if (!parsed.success) throw badRequest('The request body must be {"groups":["<group>",...],"filter":"<OData filter>"} with at least one group.', 'groups');
  for (const g of parsed.data.groups) {
    if (!isValidGroup(g)) throw badRequest(`'${g}' is not a valid group name.`, 'groups');
  }
  const filter = filterOf(ctx, parsed.data.filter ?? undefined);
  await ctx.deps.core.request({ type, hub: ctx.hub, target: { scope: 'hub' }, groups: parsed.data.groups, filter });
  return ok();
}

const MAX_PAGE = 200;
const DEFAULT_PAGE = 100;

function positiveInt(ctx: RouteContext, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = ctx.query.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > max) throw badRequest(`${name} must be an integer between 1 and ${max}.`, name);
  return n;
}

export async function listGroup(ctx: RouteContext): Promise<RouteResult> {
  const g = group(ctx);
  const pageSize = positiveInt(ctx, 'maxpagesize', MAX_PAGE) ?? DEFAULT_PAGE;
  const top = positiveInt(ctx, 'top');
  const token = ctx.query.get('continuationToken');
  let after: string | undefined;
  if (token !== undefined) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (!token || Buffer.from(after, 'utf8').toString('base64url') !== token) {
      throw badRequest('Invalid continuationToken.', 'continuationToken');
    }
  }
  const r = await ctx.deps.core.request({ type: 'listGroup', hub: ctx.hub, group: g });
  // Ordinal order by connection id: stable across pages even while members come and go,
  // so every member present for the whole listing is returned exactly once.
  const members = (r.members ?? []).sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0));
  const start = after === undefined ? 0 : members.findIndex((m) => m.connectionId > after);
  const remaining = start < 0 ? [] : members.slice(start);
  const take = Math.min(pageSize, top ?? Number.MAX_SAFE_INTEGER);
  const page = remaining.slice(0, take);
  const body: { value: typeof page; nextLink?: string } = { value: page };
  const left = top === undefined ? undefined : top - page.length;
  if (remaining.length > page.length && (left === undefined || left > 0)) {
    // The SDK follows nextLink verbatim and adds nothing: the link carries every parameter.
    const q = new URLSearchParams({ 'api-version': '2024-12-01', maxpagesize: String(pageSize) });
    if (left !== undefined) q.set('top', String(left));
    q.set('continuationToken', Buffer.from(page[page.length - 1]!.connectionId, 'utf8').toString('base64url'));
    body.nextLink = `${ctx.rawPath}?${q.toString()}`; // relative: the SDK resolves it against its endpoint
  }
  return ok(body);
}

export async function listConnections(ctx: RouteContext): Promise<RouteResult> {
  return ok(await listConnectionsPage({
    query: ctx.query,
    rawPath: ctx.rawPath,
    carry: { 'api-version': ctx.query.get('api-version') ?? '2024-12-01' },
    fetch: (after, limit) => ctx.deps.core.request({ type: 'listConnections', hub: ctx.hub, after, limit }),
    badRequest,
  }));
}

export async function generateToken(ctx: RouteContext): Promise<RouteResult> {
  const minutes = ctx.query.get('minutesToExpire');
  let minutesToExpire = 60;
  if (minutes !== undefined) {
    if (!/^\d+$/.test(minutes) || Number(minutes) < 1) throw badRequest('minutesToExpire must be a positive integer.', 'minutesToExpire');
    minutesToExpire = Number(minutes);
  }
  const clientType = ctx.query.get('clientType')?.toLowerCase();
  if (clientType !== undefined && !['default', 'mqtt', 'socketio'].includes(clientType)) {
    throw badRequest(`Unknown clientType '${clientType}'.`, 'clientType');
  }
  const groups = ctx.query.all('group');
  for (const g of groups) if (!isValidGroup(g)) throw badRequest(`'${g}' is not a valid group name.`, 'group');
  const token = await ctx.deps.mintClientToken({
    origin: ctx.origin,
    hub: ctx.params.hub!,
    userId: ctx.query.get('userId'),
    roles: ctx.query.all('role'),
    groups,
    minutesToExpire,
    clientType,
  });
  return ok({ token });
}

export const conn = (ctx: RouteContext): Target => ({ scope: 'connection', connectionId: ctx.params.connectionId! });
export const user = (ctx: RouteContext): Target => ({ scope: 'user', userId: ctx.params.userId! });
