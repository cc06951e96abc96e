/**
 * Azure SignalR data plane: the per-resource service the server composition mounts on each
 * SignalR resource origin (service.ts), its auth (auth/), REST API (rest/) and client endpoint (client/).
 */
export { SignalRService, NO_SERVER_TEXT } from './service.ts';
export type { SignalRResourceContext, SignalRUpstreamShared, SignalRClientEvents } from './service.ts';
