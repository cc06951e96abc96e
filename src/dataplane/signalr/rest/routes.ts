/**
 * The SignalR REST route table (reference §1.1, §1.2): each operation with its exact success
 * status, its RBAC DataAction and the 404 code the .NET SDK expects. Dated paths (`/api/...` +
 * `api-version`) are listed once; `/api/v1/...` serves the same operations plus the legacy v1
 * forms. Mirrored paths (`groups/{g}/users/{u}` = `users/{u}/groups/{g}`, `connections/{c}/groups/{g}`
 * = `groups/{g}/connections/{c}`) and GET on every existence check are served as the emulator does.
 */
import type { DataPlaneAuth } from '../../webpubsub/auth/types.ts';
import type { Method, Query } from '../../webpubsub/router.ts';
import type { RouteResult } from '../../webpubsub/routes.ts';
import { SignalRDataActions as A } from './actions.ts';
import { signalRErrors } from './errors.ts';
import type { SignalRHubOperations } from './operations.ts';
import { parseSendBody } from './payload.ts';
import { listConnectionsPage } from '../../webpubsub/connection-listing.ts';
import { closeReason, excludedIds, ttlSeconds, validConnectionId, validGroup, validUser } from './validation.ts';

export interface RouteContext {
  ops: SignalRHubOperations;
  /** Internal hub name (lower-cased, application prefix applied). */
  hub: string;
  params: Record<string, string>;
  query: Query;
  body: Buffer | undefined;
  contentType: string | undefined;
  /** `/api/v1/...` (legacy status codes). */
  v1: boolean;
  auth: DataPlaneAuth;
  /** Raw request path (still percent-encoded), for self-contained nextLinks. */
  rawPath: string;
  mintClientToken(hub: string, userId: string | undefined, minutesToExpire: number): Promise<string>;
}

/** What a route answers: the same shape as Web PubSub's routes. */
export type { RouteResult } from '../../webpubsub/routes.ts';

export interface RouteDef {
  method: Method;
  /** Path after `/api/`; `{name}` is a parameter. */
  path: string;
  dataAction: string;
  /** Oldest dated api-version that has the route (absent: all). */
  minVersion?: string;
  /** Served only under `/api/v1/` (legacy forms). */
  v1Only?: boolean;
  handle(ctx: RouteContext): Promise<RouteResult>;
}

const status = (s: number): RouteResult => ({ status: s });
const user = (c: RouteContext) => validUser(c.params.user!);
const group = (c: RouteContext) => validGroup(c.params.group!);
const conn = (c: RouteContext) => validConnectionId(c.params.connectionId!);
const excluded = (c: RouteContext) => excludedIds(c.query.all('excluded'));
const reason = (c: RouteContext) => closeReason(c.query.get('reason'));
const message = (c: RouteContext) => parseSendBody(c.contentType, c.body);

type Handler = (c: RouteContext) => Promise<RouteResult>;

const broadcast: Handler = async (c) => { await c.ops.broadcast(c.hub, message(c), excluded(c)); return status(202); };
const sendUser: Handler = async (c) => { const u = user(c); await c.ops.sendToUser(c.hub, u, message(c)); return status(202); };
const sendGroup: Handler = async (c) => { const g = group(c); await c.ops.sendToGroup(c.hub, g, message(c), excluded(c)); return status(202); };
const sendConn: Handler = async (c) => { const id = conn(c); await c.ops.sendToConnection(c.hub, id, message(c)); return status(202); };

const userExists: Handler = async (c) => {
  const u = user(c);
  if (!(await c.ops.userExists(c.hub, u))) throw signalRErrors.userNotExisted(u);
  return status(200);
};
const connExists: Handler = async (c) => {
  const id = conn(c);
  if (!(await c.ops.connectionExists(c.hub, id))) throw signalRErrors.connectionNotExisted(id);
  return status(200);
};
const groupExists: Handler = async (c) => {
  const g = group(c);
  if (!(await c.ops.groupExists(c.hub, g))) throw signalRErrors.groupNotExisted(g);
  return status(200);
};
const userInGroup: Handler = async (c) => {
  const u = user(c);
  const g = group(c);
  if (!(await c.ops.userInGroup(c.hub, u, g))) throw signalRErrors.userNotInGroup(u, g);
  return status(200);
};

const addUserToGroup: Handler = async (c) => {
  const u = user(c);
  const g = group(c);
  await c.ops.addUserToGroup(c.hub, u, g, ttlSeconds(c.query.get('ttl')));
  return status(200);
};
const removeUserFromGroup: Handler = async (c) => {
  const u = user(c);
  const g = group(c);
  await c.ops.removeUserFromGroup(c.hub, u, g);
  return status(c.v1 ? 200 : 204);
};
const removeUserFromAll: Handler = async (c) => { await c.ops.removeUserFromAllGroups(c.hub, user(c)); return status(c.v1 ? 200 : 204); };
const addConnToGroup: Handler = async (c) => {
  const id = conn(c);
  const g = group(c);
  if (!(await c.ops.addConnectionToGroup(c.hub, id, g))) throw signalRErrors.connectionNotExistedError(id);
  return status(200);
};
const removeConnFromGroup: Handler = async (c) => {
  const id = conn(c);
  const g = group(c);
  await c.ops.removeConnectionFromGroup(c.hub, id, g);
  return status(200);
};
const removeConnFromAll: Handler = async (c) => { await c.ops.removeConnectionFromAllGroups(c.hub, conn(c)); return status(200); };

const closeAll: Handler = async (c) => { await c.ops.closeConnections(c.hub, { scope: 'all' }, excluded(c), reason(c)); return status(204); };
const closeUser: Handler = async (c) => {
  const u = user(c);
  await c.ops.closeConnections(c.hub, { scope: 'user', userId: u }, excluded(c), reason(c));
  return status(204);
};
const closeGroup: Handler = async (c) => {
  const g = group(c);
  await c.ops.closeConnections(c.hub, { scope: 'group', group: g }, excluded(c), reason(c));
  return status(204);
};
const closeConn: Handler = async (c) => {
  const id = conn(c);
  if (!(await c.ops.closeConnection(c.hub, id, reason(c)))) throw signalRErrors.connectionNotExisted(id);
  return status(200);
};

const MAX_MINUTES = 60 * 24 * 365;
const generateToken: Handler = async (c) => {
  const raw = c.query.get('minutesToExpire');
  let minutes = 60;
  if (raw !== undefined && raw !== '') {
    if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_MINUTES) {
      throw signalRErrors.badRequest(`minutesToExpire must be a whole number between 1 and ${MAX_MINUTES}.`, 'minutesToExpire');
    }
    minutes = Number(raw);
  }
  const userId = c.query.get('userId');
  if (userId !== undefined && userId.length > 1024) throw signalRErrors.badRequest('userId must be at most 1024 characters long.', 'userId');
  return { status: 200, body: { token: await c.mintClientToken(c.hub, userId || undefined, minutes) } };
};

/** Lapis only (Azure has no connection listing): GET on an action segment cannot collide with Azure's paths. */
const listConnections: Handler = async (c) => {
  const list = c.ops.listConnections?.bind(c.ops);
  if (!list) throw signalRErrors.noOperation('GET', c.rawPath);
  const carry: Record<string, string> = {};
  const version = c.query.get('api-version');
  if (version !== undefined) carry['api-version'] = version;
  const application = c.query.get('application');
  if (application !== undefined) carry.application = application;
  const body = await listConnectionsPage({
    query: c.query, rawPath: c.rawPath, carry,
    fetch: (after, limit) => list(c.hub, after, limit),
    badRequest: (message, parameter) => signalRErrors.badRequest(message, parameter),
  });
  return { status: 200, body };
};

/** Existence checks answer HEAD and GET alike (the SDK's IsUserInGroup uses GET). */
function existence(path: string, dataAction: string, handle: Handler): RouteDef[] {
  return (['HEAD', 'GET'] as const).map((method) => ({ method, path, dataAction, handle }));
}

const H = 'hubs/{hub}';
export const routes: RouteDef[] = [
  { method: 'POST', path: `${H}/:send`, dataAction: A.hubSend, handle: broadcast },
  { method: 'POST', path: `${H}/:closeConnections`, dataAction: A.connectionWrite, handle: closeAll },
  { method: 'GET', path: `${H}/:connections`, dataAction: A.connectionRead, handle: listConnections },
  { method: 'POST', path: `${H}/:generateToken`, dataAction: A.clientToken, minVersion: '2022-11-01', handle: generateToken },

  { method: 'POST', path: `${H}/users/{user}/:send`, dataAction: A.userSend, handle: sendUser },
  { method: 'POST', path: `${H}/users/{user}/:closeConnections`, dataAction: A.connectionWrite, handle: closeUser },
  ...existence(`${H}/users/{user}`, A.userRead, userExists),
  { method: 'DELETE', path: `${H}/users/{user}/groups`, dataAction: A.groupWrite, handle: removeUserFromAll },
  ...existence(`${H}/users/{user}/groups/{group}`, A.groupRead, userInGroup),
  { method: 'PUT', path: `${H}/users/{user}/groups/{group}`, dataAction: A.groupWrite, handle: addUserToGroup },
  { method: 'DELETE', path: `${H}/users/{user}/groups/{group}`, dataAction: A.groupWrite, handle: removeUserFromGroup },
  ...existence(`${H}/groups/{group}/users/{user}`, A.groupRead, userInGroup),
  { method: 'PUT', path: `${H}/groups/{group}/users/{user}`, dataAction: A.groupWrite, handle: addUserToGroup },
  { method: 'DELETE', path: `${H}/groups/{group}/users/{user}`, dataAction: A.groupWrite, handle: removeUserFromGroup },

  { method: 'POST', path: `${H}/connections/{connectionId}/:send`, dataAction: A.connectionSend, handle: sendConn },
  ...existence(`${H}/connections/{connectionId}`, A.connectionRead, connExists),
  { method: 'DELETE', path: `${H}/connections/{connectionId}`, dataAction: A.connectionWrite, handle: closeConn },
  { method: 'DELETE', path: `${H}/connections/{connectionId}/groups`, dataAction: A.groupWrite, handle: removeConnFromAll },
  { method: 'PUT', path: `${H}/connections/{connectionId}/groups/{group}`, dataAction: A.groupWrite, handle: addConnToGroup },
  { method: 'DELETE', path: `${H}/connections/{connectionId}/groups/{group}`, dataAction: A.groupWrite, handle: removeConnFromGroup },

  { method: 'POST', path: `${H}/groups/{group}/:send`, dataAction: A.groupSend, handle: sendGroup },
  { method: 'POST', path: `${H}/groups/{group}/:closeConnections`, dataAction: A.connectionWrite, handle: closeGroup },
  ...existence(`${H}/groups/{group}`, A.groupRead, groupExists),
  { method: 'PUT', path: `${H}/groups/{group}/connections/{connectionId}`, dataAction: A.groupWrite, handle: addConnToGroup },
  { method: 'DELETE', path: `${H}/groups/{group}/connections/{connectionId}`, dataAction: A.groupWrite, handle: removeConnFromGroup },

  // Legacy v1 sends: POST on the addressed resource itself.
  { method: 'POST', path: H, dataAction: A.hubSend, v1Only: true, handle: broadcast },
  { method: 'POST', path: `${H}/users/{user}`, dataAction: A.userSend, v1Only: true, handle: sendUser },
  { method: 'POST', path: `${H}/groups/{group}`, dataAction: A.groupSend, v1Only: true, handle: sendGroup },
  { method: 'POST', path: `${H}/connections/{connectionId}`, dataAction: A.connectionSend, v1Only: true, handle: sendConn },
];

/** Dated routes as served (`hubs/...`) and v1 routes (`v1/hubs/...`): one table for the router. */
export interface ServedRoute extends RouteDef {
  v1: boolean;
}

export const servedRoutes: ServedRoute[] = [
  ...routes.filter((r) => !r.v1Only).map((r) => ({ ...r, v1: false })),
  ...routes.filter((r) => r.minVersion === undefined).map((r) => ({ ...r, path: `v1/${r.path}`, v1: true })),
];
