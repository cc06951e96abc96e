/** SignalR serverless REST API: route plugin, hub-operations seam, DataActions, error catalogue. */
export { mountSignalRRest, sendSignalRError, SIGNALR_API_VERSIONS } from './plugin.ts';
export type { SignalRRestDeps } from './plugin.ts';
export type { SignalRHubOperations, CloseScope, Awaitable } from './operations.ts';
export { SignalRDataActions } from './actions.ts';
export { SIGNALR_CODES, signalRErrors } from './errors.ts';
export { routes as signalRRoutes } from './routes.ts';
export { internalHub, isValidHubName } from './validation.ts';
