/**
 * Azure SignalR data plane: the per-resource service the server composition mounts on each
 * SignalR resource origin (service.ts), its auth (auth/), REST API (rest/) and client endpoint (client/).
 */
export { SignalRService } from './service.ts';
export type { SignalRResourceContext, SignalRUpstreamShared } from './service.ts';
