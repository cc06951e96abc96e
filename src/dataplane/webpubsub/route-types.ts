/**
 * The shapes shared by the Web PubSub REST route table (routes.ts) and its handlers
 * (route-handlers.ts): the RBAC DataActions (entra-compat §5.2), what a handler receives and
 * returns, and the success results. Kept apart so the table and the handlers import one place.
 */
import type { MessagingCore } from '../../messaging/index.ts';
import type { Method, Query } from './router.ts';

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
  readonly origin: string;
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
  /** Synchronous when nothing waits (sends are fire-and-forget), so the REST call waits for no promise. */
  handle(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

export const accepted = (): RouteResult => ({ status: 202 });
export const noContent = (): RouteResult => ({ status: 204 });
export const ok = (body?: unknown): RouteResult => ({ status: 200, body });
export const existence = (found: boolean): RouteResult => ({ status: found ? 200 : 404 });
