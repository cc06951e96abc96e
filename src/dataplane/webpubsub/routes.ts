/**
 * The REST operations of `@azure/web-pubsub` 1.2.0 (reference §1.2), each with its exact success
 * status and its RBAC DataAction (entra-compat §5.2). Handlers speak only to the messaging core.
 */
import { notFound, dataPlaneErrors } from './errors.ts';
import { bulkGroups, close, conn, exists, generateToken, group, listConnections, listGroup, permission, send, user } from './route-handlers.ts';
import { DataActions, existence, noContent, ok, type RouteDef } from './route-types.ts';

// The shared shapes live in route-types.ts and the handler bodies in route-handlers.ts; this
// file keeps the table and re-exports the shapes its importers already use.
export { DataActions };
export type { RestDeps, RouteContext, RouteDef, RouteResult } from './route-types.ts';

export const routes: RouteDef[] = [
  { method: 'POST', path: 'hubs/{hub}/:send', dataAction: DataActions.hubSend, handle: (c) => send(c, { scope: 'hub' }, true) },
  { method: 'POST', path: 'hubs/{hub}/:closeConnections', dataAction: DataActions.connectionWrite, handle: (c) => close(c, { scope: 'hub' }) },
  { method: 'POST', path: 'hubs/{hub}/:addToGroups', dataAction: DataActions.groupWrite, handle: (c) => bulkGroups(c, 'addToGroups') },
  { method: 'POST', path: 'hubs/{hub}/:removeFromGroups', dataAction: DataActions.groupWrite, handle: (c) => bulkGroups(c, 'removeFromGroups') },
  // Lapis only (Azure has no connection listing): GET on an action segment cannot collide with Azure's paths.
  { method: 'GET', path: 'hubs/{hub}/:connections', dataAction: DataActions.connectionRead, handle: listConnections },
  { method: 'POST', path: 'hubs/{hub}/:generateToken', dataAction: DataActions.generateToken, handle: generateToken },

  { method: 'POST', path: 'hubs/{hub}/connections/{connectionId}/:send', dataAction: DataActions.connectionSend, handle: (c) => send(c, conn(c), false) },
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
    handle: (c) => send(c, { scope: 'group', group: group(c) }, true),
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
  { method: 'POST', path: 'hubs/{hub}/users/{userId}/:send', dataAction: DataActions.userSend, handle: (c) => send(c, user(c), false) },
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
