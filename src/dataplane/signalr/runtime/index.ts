/** SignalR clients in the messaging core, and the REST operations over it. */
export { CoreHubOperations } from './hub-operations.ts';
export { CoreClientRuntime, type ClientMessageHandler, type CoreClientRuntimeOptions } from './client-runtime.ts';
export { SignalRConnectionSink } from './connection-sink.ts';
