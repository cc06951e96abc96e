/**
 * How a resource's upstream is configured and what it reports: the options `createUpstream`
 * takes (wiring, timing, limits) and the per-handler status the control plane shows.
 */
import type { Logger } from 'pino';
import type { Directory, ManagedIdentity, TokenIssuer } from '../identity/index.ts';
import type { DeliveryObserver } from './delivery.ts';
import type { UpstreamErrorCode } from './errors.ts';
import type { EventHandlerSettings, SystemEvent } from './settings.ts';
import type { ResolveAll } from './targets.ts';
import type { ValidationStatus } from './validation.ts';
import type { UpstreamCapture } from '../trace/index.ts';

export interface UpstreamTiming {
  /** Deadline of one event, retries included (Azure: 100 s). */
  requestTimeoutMs?: number;
  /** Pauses before retries on 408, 5xx and transient network errors (Azure: 1 s, 3 s, 5 s). */
  retryDelaysMs?: number[];
  /** Deadline of one abuse-protection request (10 s). */
  validationTimeoutMs?: number;
  /** Re-validate a validated handler after this long (1 min). */
  revalidateAfterMs?: number;
  /** Back-off after a failed validation: from min doubling to max (1 s → 1 min). */
  validationRetryMinMs?: number;
  validationRetryMaxMs?: number;
  /** Re-read Key Vault references after this long (5 min). */
  keyVaultRefreshMs?: number;
  /** Retry a Key Vault reference that could not be read after this long (10 s). */
  keyVaultRetryFailedMs?: number;
}

export interface UpstreamLimits {
  /** Largest response body read from a handler (1 MiB: the service's message size limit). */
  maxResponseBytes?: number;
  /** Non-blocking events (connected/disconnected) in flight before new ones are dropped (10 000). */
  maxPendingNonBlocking?: number;
  /** Sockets per handler origin (128). */
  maxSocketsPerOrigin?: number;
  /** Requests waiting for one of those sockets, per handler origin, before new ones are refused (256). */
  maxQueuedPerOrigin?: number;
}

export interface UpstreamOptions {
  resourceName: string;
  resourceId: string;
  /** The resource's public endpoint (`https://localhost:9001`): its host is WebHook-Request-Origin. */
  publicEndpoint(): string;
  /** May change at run time (regeneration): read on every event. */
  getAccessKeys(): { primaryKey: string; secondaryKey: string };
  /** The hub's `eventHandlers` (hub lower-cased); read on every event, so updates apply at once. */
  getEventHandlers(hub: string): readonly EventHandlerSettings[] | undefined;
  identity: { directory: Directory; issuer: TokenIssuer };
  /** The resource's managed identity now (system- or user-assigned), undefined when none. */
  getManagedIdentity(): ManagedIdentity | undefined;
  /** Origins of the vaults this Lapis serves (Key Vault references may only point there). */
  vaultOrigins?(): readonly string[];
  /** Deliver to private and link-local addresses too (loopback is always allowed). */
  allowPrivateTargets?(): boolean;
  /** Extra CA (PEM) trusted for https handlers and vaults, e.g. Lapis's own CA. */
  ca?: string;
  log: Logger;
  timing?: UpstreamTiming;
  limits?: UpstreamLimits;
  /** Replaces the system DNS resolver for handler host names (tests). */
  resolve?: ResolveAll;
  /** Told how each event delivery ended and how long it took (metrics). */
  observeDelivery?: DeliveryObserver | undefined;
  /** The resource's upstream inspector: every handler call is captured there (src/trace). */
  capture?: UpstreamCapture | undefined;
}

export interface HandlerStatus {
  hub: string;
  index: number;
  /** The template as configured, secret query values redacted; Key Vault references unresolved. */
  urlTemplate: string;
  userEventPattern: string | undefined;
  systemEvents: SystemEvent[];
  auth: 'None' | 'ManagedIdentity';
  status: 'NotValidated' | ValidationStatus;
  reason?: string | undefined;
  /** The error catalogue's code when `status` is `Failed` (docs/upstream.md). */
  code?: UpstreamErrorCode | undefined;
  checkedAt?: string | undefined;
}
