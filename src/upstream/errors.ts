/**
 * The upstream surface's one error catalogue. Every failure the upstream piece reports — in a log
 * line, a handler's status, an ARM answer — carries one of these stable codes; docs/upstream.md
 * lists each with what the user sees. Clients never see these codes: a refused `connect` gets a
 * 500 handshake and a failed user event an `InvocationFailed` ack (or close 1011), as in Azure.
 */

export const UPSTREAM_ERROR_CODES = [
  /** A handler's settings are invalid (config load error / ARM 400 InvalidRequestContent). */
  'EventHandlerSettingsInvalid',
  /** A `{@Microsoft.KeyVault(…)}` reference could not be read (403, 404, unknown vault, unreachable). */
  'KeyVaultReferenceFailed',
  /** `ManagedIdentity` auth without an identity, or with a resource that is not registered. */
  'ManagedIdentityUnavailable',
  /** The handler failed abuse-protection validation (OPTIONS/GET). */
  'AbuseProtectionFailed',
  /** The URL with its Key Vault references resolved is not an absolute http(s) URL. */
  'EventHandlerUrlInvalid',
  /** The handler did not answer within the event's deadline. */
  'UpstreamTimeout',
  /** Connection refused, reset, unresolvable name, TLS failure, garbage instead of HTTP. */
  'UpstreamNetworkError',
  /** The handler's response body is larger than the limit (1 MiB). */
  'UpstreamResponseTooLarge',
  /** The handler's address is private, link-local or never allowed (see allowPrivateTargets). */
  'UpstreamTargetRefused',
  /** Too many requests queued for one handler origin: the event was refused without sending it. */
  'UpstreamQueueFull',
  /** Too many connected/disconnected events pending: this one was dropped. */
  'NonBlockingEventDropped',
  /** The resource is stopping: no more events are sent. */
  'UpstreamShuttingDown',
] as const;

export type UpstreamErrorCode = (typeof UPSTREAM_ERROR_CODES)[number];

/** Base of every upstream error: a stable `code` and a message safe to log (no secrets). */
export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  constructor(code: UpstreamErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A handler setting is wrong; `path` names the property inside the handler, e.g. `urlTemplate`. */
export class EventHandlerSettingsError extends UpstreamError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('EventHandlerSettingsInvalid', message);
    this.path = path;
  }
}

export class KeyVaultReferenceError extends UpstreamError {
  constructor(message: string) {
    super('KeyVaultReferenceFailed', message);
  }
}

export class ManagedIdentityUnavailable extends UpstreamError {
  constructor(message: string) {
    super('ManagedIdentityUnavailable', message);
  }
}

/** The connected (or about to be connected) address is not allowed for event handlers. */
export class TargetRefused extends UpstreamError {
  constructor(message: string) {
    super('UpstreamTargetRefused', message);
  }
}

export type HttpCallErrorKind = 'timeout' | 'network' | 'too-large' | 'refused' | 'queue-full';

const KIND_CODES: Record<HttpCallErrorKind, UpstreamErrorCode> = {
  timeout: 'UpstreamTimeout',
  network: 'UpstreamNetworkError',
  'too-large': 'UpstreamResponseTooLarge',
  refused: 'UpstreamTargetRefused',
  'queue-full': 'UpstreamQueueFull',
};

/** Why a request produced no HTTP response; `transient` errors are worth a retry. */
export class HttpCallError extends UpstreamError {
  readonly kind: HttpCallErrorKind;
  /** Connection refused or reset, temporary DNS failure: Azure retries these (reference §5.8). */
  readonly transient: boolean;
  constructor(kind: HttpCallErrorKind, message: string, transient = false) {
    super(KIND_CODES[kind], message);
    this.kind = kind;
    this.transient = transient;
  }
}

/** A handler that cannot take events right now, and why (for logs and status; never sent to clients). */
export class HandlerUnavailable extends UpstreamError {}

/** The code to log for any error reaching the upstream piece (unexpected ones have none). */
export function upstreamCodeOf(err: unknown): UpstreamErrorCode | undefined {
  return err instanceof UpstreamError ? err.code : undefined;
}
