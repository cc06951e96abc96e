/**
 * SignalR default mode: the app-server endpoint (`/server/?hub=`), server connections speaking the
 * service protocol, and the relay of a Default-mode resource's clients to their app servers.
 */
export { AppServers, NO_SERVER_TEXT, SERVER_GONE_TEXT } from './app-servers.ts';
export type { AppServersOptions, RelayedClient } from './app-servers.ts';
export { AppServerEndpoint } from './endpoint.ts';
export type { AppServerEndpointOptions, AppServerLimits } from './endpoint.ts';
export { authenticateServer, serverAudienceMatches, serverAuthorizationCheck, SERVER_CONNECTION_ACTION } from './authenticate.ts';
export type { ServerAuthOptions, ServerAuthResult } from './authenticate.ts';
export { ServerConnection, PING_INTERVAL_MS, SERVER_IDLE_TIMEOUT_MS, SILENT_SERVER_TEXT } from './server-connection.ts';
export { RelaySession } from './relay-session.ts';
export { openConnectionClaims, openConnectionHeaders } from './claims.ts';
export { ClientResults } from './client-results.ts';
export { compileSignalRFilter, inAnyGroup, ofAnyUser, ofNoUser } from './fan-out-filter.ts';
export { ClusterRelay, RemoteClient, SERVING_NODE_GONE_TEXT, CLIENT_NODE_GONE_TEXT, LOOKUP_CACHE_MS } from './remote-relay.ts';
