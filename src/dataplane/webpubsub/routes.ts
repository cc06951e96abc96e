/**
 * The REST operations of `@azure/web-pubsub` 1.2.0 (reference §1.2), each with its exact success
 * status and its RBAC DataAction (entra-compat §5.2). Handlers speak only to the messaging core.
 */
import type { MessagingCore, Payload, Target } from '../../messaging/index.ts';
import { GROUP_ACTIONS } from '../../messaging/index.ts';
import type { GroupAction } from '../../messaging/index.ts';
import { isValidGroup } from '../../protocols/webpubsub/index.ts';
import { badRequest, dataPlaneErrors, notFound } from './errors.ts';
import { FilterSyntaxError } from './odata-filter.ts';
import { parseMediaType, parseSendPayload } from './payload.ts';
import type { Method, Query } from './router.ts';
import { z } from 'zod';

const WPS = 'Microsoft.SignalRService/WebPubSub';
export const DataActions = {
  hubSend: `${WPS}/hub/send/action`,
  groupSend: `${WPS}/group/send/action`,
  userSend: `${WPS}/user/send/action`,
  connectionSend: `${WPS}/clientConnection/send/action`,
  connectionRead: `${WPS}/clientConnection/read`,
  connectionWrite: `${WPS}/clientConnection/write`,
  groupRead: `${WPS}/group/read`,
  groupWrite: `${WPS}/group/write`,
  userRead: `${WPS}/user/read`,
  generateToken: `${WPS}/clientConnection/generateToken/action`,
} as const;

export interface RestDeps {
  core: MessagingCore;
  mintClientToken(args: { origin: string; hub: string; userId: string | undefined; roles: string[]; groups: string[]; minutesToExpire: number; clientType: string | undefined }): Promise<string>;
}

export interface RouteContext {
  deps: RestDeps;
  params: Record<string, string>;
  /** Hub from the path, lower-cased (hub names are case-insensitive). */
  hub: string;
  query: Query;
  body: Buffer | undefined;
  contentType: string | undefined;
  /** Raw request path (still percent-encoded), for self-contained nextLinks. */
  rawPath: string;
  /** Public origin the request came to (`https://host:port`). */
  origin: string;
}

export interface RouteResult {
  status: number;
  body?: unknown;
}

export interface RouteDef {
  method: Method;
  /** Path after `/api/`; `{name}` is a parameter. */
  path: string;
  /** RBAC DataAction required, checked by the authenticator that accepted the request. */
  dataAction: string;
  handle(ctx: RouteContext): Promise<RouteResult>;
}

const accepted = (): RouteResult => ({ status: 202 });
const noContent = (): RouteResult => ({ status: 204 });
const ok = (body?: unknown): RouteResult => ({ status: 200, body });
const existence = (found: boolean): RouteResult => ({ status: found ? 200 : 404 });

function group(ctx: RouteContext): string {
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

function checkTtl(ctx: RouteContext): void {
  const ttl = ctx.query.get('messageTtlSeconds');
  if (ttl === undefined) return;
  const n = Number(ttl);
  if (!/^\d+$/.test(ttl) || n > 300) throw badRequest('messageTtlSeconds must be an integer between 0 and 300.', 'messageTtlSeconds');
}

function reasonOf(ctx: RouteContext, fallback: string): string {
  return ctx.query.get('reason') ?? fallback;
}

function send(ctx: RouteContext, target: Target, allowExcluded: boolean): RouteResult {
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

async function close(ctx: RouteContext, target: Target): Promise<RouteResult> {
  await ctx.deps.core.request({
    type: 'close',
    hub: ctx.hub,
    target,
    excluded: ctx.query.all('excluded'),
    reason: reasonOf(ctx, ''),
  });
  return noContent();
}

async function exists(ctx: RouteContext, target: Target): Promise<RouteResult> {
  const r = await ctx.deps.core.request({ type: 'exists', hub: ctx.hub, target });
  return existence(r.matched > 0);
}

function permission(ctx: RouteContext): { action: GroupAction; group: string | undefined } {
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

async function bulkGroups(ctx: RouteContext, type: 'addToGroups' | 'removeFromGroups'): Promise<RouteResult> {
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

async function listGroup(ctx: RouteContext): Promise<RouteResult> {
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

async function generateToken(ctx: RouteContext): Promise<RouteResult> {
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

const conn = (ctx: RouteContext): Target => ({ scope: 'connection', connectionId: ctx.params.connectionId! });
const user = (ctx: RouteContext): Target => ({ scope: 'user', userId: ctx.params.userId! });

export const routes: RouteDef[] = [
  { method: 'POST', path: 'hubs/{hub}/:send', dataAction: DataActions.hubSend, handle: async (c) => send(c, { scope: 'hub' }, true) },
  { method: 'POST', path: 'hubs/{hub}/:closeConnections', dataAction: DataActions.connectionWrite, handle: (c) => close(c, { scope: 'hub' }) },
  { method: 'POST', path: 'hubs/{hub}/:addToGroups', dataAction: DataActions.groupWrite, handle: (c) => bulkGroups(c, 'addToGroups') },
  { method: 'POST', path: 'hubs/{hub}/:removeFromGroups', dataAction: DataActions.groupWrite, handle: (c) => bulkGroups(c, 'removeFromGroups') },
  { method: 'POST', path: 'hubs/{hub}/:generateToken', dataAction: DataActions.generateToken, handle: generateToken },

  { method: 'POST', path: 'hubs/{hub}/connections/{connectionId}/:send', dataAction: DataActions.connectionSend, handle: async (c) => send(c, conn(c), false) },
  { method: 'HEAD', path: 'hubs/{hub}/connections/{connectionId}', dataAction: DataActions.connectionRead, handle: (c) => exists(c, conn(c)) },
  { method: 'DELETE', path: 'hubs/{hub}/connections/{connectionId}', dataAction: DataActions.connectionWrite, handle: (c) => close(c, conn(c)) },
  {
    method: 'DELETE', path: 'hubs/{hub}/connections/{connectionId}/groups', dataAction: DataActions.groupWrite,
    handle: async (c) => {
      await c.deps.core.request({ type: 'removeFromAllGroups', hub: c.hub, target: conn(c) });
      return noContent();
    },
  },

  { method: 'HEAD', path: 'hubs/{hub}/groups/{group}', dataAction: DataActions.groupRead, handle: (c) => exists(c, { scope: 'group', group: group(c) }) },
  { method: 'POST', path: 'hubs/{hub}/groups/{group}/:closeConnections', dataAction: DataActions.connectionWrite, handle: (c) => close(c, { scope: 'group', group: group(c) }) },
  {
    method: 'POST', path: 'hubs/{hub}/groups/{group}/:send', dataAction: DataActions.groupSend,
    handle: async (c) => send(c, { scope: 'group', group: group(c) }, true),
  },
  { method: 'GET', path: 'hubs/{hub}/groups/{group}/connections', dataAction: DataActions.groupRead, handle: listGroup },
  {
    method: 'PUT', path: 'hubs/{hub}/groups/{group}/connections/{connectionId}', dataAction: DataActions.groupWrite,
    handle: async (c) => {
      const r = await c.deps.core.request({ type: 'addToGroups', hub: c.hub, target: conn(c), groups: [group(c)] });
      if (r.matched === 0) throw notFound(`Connection '${c.params.connectionId}' does not exist.`);
      return ok();
    },
  },
  {
    method: 'DELETE', path: 'hubs/{hub}/groups/{group}/connections/{connectionId}', dataAction: DataActions.groupWrite,
    handle: async (c) => {
      await c.deps.core.request({ type: 'removeFromGroups', hub: c.hub, target: conn(c), groups: [group(c)] });
      return noContent();
    },
  },

  {
    method: 'PUT', path: 'hubs/{hub}/permissions/{permission}/connections/{connectionId}', dataAction: DataActions.connectionWrite,
    handle: async (c) => {
      const { action, group: g } = permission(c);
      const r = await c.deps.core.request({ type: 'grant', hub: c.hub, connectionId: c.params.connectionId!, action, group: g });
      if (r.matched === 0) throw notFound(`Connection '${c.params.connectionId}' does not exist.`);
      if (r.error) throw dataPlaneErrors.conflict(r.error);
      return ok();
    },
  },
  {
    method: 'DELETE', path: 'hubs/{hub}/permissions/{permission}/connections/{connectionId}', dataAction: DataActions.connectionWrite,
    handle: async (c) => {
      const { action, group: g } = permission(c);
      const r = await c.deps.core.request({ type: 'revoke', hub: c.hub, connectionId: c.params.connectionId!, action, group: g });
      if (r.error) throw dataPlaneErrors.conflict(r.error);
      return noContent();
    },
  },
  {
    method: 'HEAD', path: 'hubs/{hub}/permissions/{permission}/connections/{connectionId}', dataAction: DataActions.connectionRead,
    handle: async (c) => {
      const { action, group: g } = permission(c);
      const r = await c.deps.core.request({ type: 'hasPermission', hub: c.hub, connectionId: c.params.connectionId!, action, group: g });
      return existence(r.allowed === true);
    },
  },

  { method: 'HEAD', path: 'hubs/{hub}/users/{userId}', dataAction: DataActions.userRead, handle: (c) => exists(c, user(c)) },
  { method: 'POST', path: 'hubs/{hub}/users/{userId}/:closeConnections', dataAction: DataActions.connectionWrite, handle: (c) => close(c, user(c)) },
  { method: 'POST', path: 'hubs/{hub}/users/{userId}/:send', dataAction: DataActions.userSend, handle: async (c) => send(c, user(c), false) },
  {
    method: 'DELETE', path: 'hubs/{hub}/users/{userId}/groups', dataAction: DataActions.groupWrite,
    handle: async (c) => {
      await c.deps.core.request({ type: 'removeFromAllGroups', hub: c.hub, target: user(c) });
      return noContent();
    },
  },
  {
    method: 'PUT', path: 'hubs/{hub}/users/{userId}/groups/{group}', dataAction: DataActions.groupWrite,
    handle: async (c) => {
      const r = await c.deps.core.request({ type: 'addToGroups', hub: c.hub, target: user(c), groups: [group(c)] });
      if (r.matched === 0) throw notFound(`User '${c.params.userId}' is not found.`);
      return ok();
    },
  },
  {
    method: 'DELETE', path: 'hubs/{hub}/users/{userId}/groups/{group}', dataAction: DataActions.groupWrite,
    handle: async (c) => {
      await c.deps.core.request({ type: 'removeFromGroups', hub: c.hub, target: user(c), groups: [group(c)] });
      return noContent();
    },
  },
];
