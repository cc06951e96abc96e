import type { DataPlaneRequest } from '../../webpubsub/auth/types.ts';

/** A data-plane request with the origin it came to (`scheme://host[:port]`): SignalR's `aud` includes it. */
export interface SignalRRequest extends DataPlaneRequest {
  origin: string;
}
