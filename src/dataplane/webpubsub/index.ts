/**
 * Web PubSub data plane: REST API, client endpoint and the service that ties them to the core.
 * Public surface used by the server composition.
 */
export { WebPubSubService } from './service.ts';
export type { WebPubSubResourceContext } from './service.ts';
export type { DataPlaneAuthenticator, DataPlaneAuth, DataPlaneRequest } from './auth/types.ts';
export { bearerToken } from './auth/types.ts';
export { AccessKeyAuthenticator } from './auth/access-key.ts';
export { DataPlaneError, AuthenticationError, AuthorizationError } from './errors.ts';
export { DataActions } from './routes.ts';
export { API_VERSIONS } from './rest-plugin.ts';
export { compileODataFilter, FilterSyntaxError } from './odata-filter.ts';
export type { ClientEventHooks } from '../../protocols/webpubsub/index.ts';
