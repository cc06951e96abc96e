/**
 * Seams for the upstream event handlers (src/upstream implements them from the hub's settings).
 * With no hooks, connections are accepted with their token's claims and user events fail as
 * Azure fails them when no handler is set.
 */
import type { Payload } from '../../messaging/index.ts';

export interface ClientEventContext {
  hub: string;
  connectionId: string;
  userId: string | undefined;
  /** Negotiated subprotocol, undefined for plain WebSocket clients. */
  subprotocol: string | undefined;
}

/** Thrown by a `connect` hook to refuse the handshake with that HTTP status. */
export class ConnectRejectedError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface ConnectRequest {
  hub: string;
  /** The id the connection will have if accepted (ce-connectionId, ce-signature, upstream state). */
  connectionId?: string;
  claims: Record<string, unknown>;
  query: Record<string, string[]>;
  headers: Record<string, string[]>;
  subprotocols: string[];
}

/** What a connect handler may override (all optional, reference §5.4). */
export interface ConnectResponse {
  userId?: string;
  roles?: string[];
  groups?: string[];
  subprotocol?: string;
}

export interface ClientEventHooks {
  /** Blocking `connect` event. Throw `ConnectRejectedError` to refuse. */
  connect?(request: ConnectRequest): Promise<ConnectResponse | undefined>;
  /** Would `connect` call a handler for this hub (lower-cased)? false ⇒ the handshake builds no request. */
  hasConnectHandler?(hub: string): boolean;
  /** Is anything listening for user event `event`? (false ⇒ `InvocationFailed` / close 1011 without a round trip) */
  hasUserEventHandler?(hub: string, event: string): boolean;
  /** Blocking user event; resolves to the reply payload (undefined = nothing to send back); rejects on failure. */
  userEvent?(ctx: ClientEventContext, event: string, payload: Payload): Promise<Payload | undefined>;
  connected?(ctx: ClientEventContext): void;
  disconnected?(ctx: ClientEventContext, reason: string): void;
}
