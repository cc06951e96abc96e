/** The SignalR client endpoint: negotiate and the connection URL on every transport. */
export { SignalRClientEndpoint, hubOf, type ClientEndpointOptions } from './endpoint.ts';
export type { ClientAuthenticator, ClientAuthResult, ClientConnectionInfo, ClientIdentity, SignalRClientRuntime } from './types.ts';
export { clientTokenAuthenticator } from './authenticate.ts';
export { mountClientEndpoint, type ClientHttpOptions } from './http.ts';
