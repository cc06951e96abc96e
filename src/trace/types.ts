/**
 * The shapes of live trace and the upstream inspector: what the data planes publish (small,
 * flat, secret-free events) and what the upstream hands the inspector for each event-handler
 * call. Plain data: a viewer receives them as JSON.
 */

/** What a trace event is about; the portal's category filter. */
export type TraceCategory = 'connection' | 'message' | 'rest' | 'upstream';

/**
 * What a data plane publishes. Every field is optional but the category and the event name, so
 * a publisher only fills what it knows; strings are short (previews are cut by the publisher).
 */
export interface TraceInput {
  category: TraceCategory;
  /** e.g. `connected`, `disconnected`, `handshakeRejected`, `messageIn`, `messageOut`, `restCall`, `upstreamCall`. */
  event: string;
  hub?: string | undefined;
  connectionId?: string | undefined;
  userId?: string | undefined;
  group?: string | undefined;
  /** An HTTP status (REST calls, handshakes, upstream calls) or an outcome word. */
  status?: number | string | undefined;
  /** Why a connection closed or a handshake was refused; an upstream failure's reason. */
  reason?: string | undefined;
  /** One line of context: the REST route, the message's kind and preview, the client protocol. */
  detail?: string | undefined;
  /** Payload size in bytes, when there is one. */
  size?: number | undefined;
  /** Recipients a send reached on this node. */
  recipients?: number | undefined;
  /** Upstream calls: the inspector's capture id (to open it in the Upstream tab). */
  callId?: string | undefined;
  durationMs?: number | undefined;
}

/** A published event as a viewer receives it. */
export interface TraceEvent extends TraceInput {
  /** Increasing per node: a gap tells a viewer it missed events (it was dropped or reconnected). */
  id: number;
  time: string;
  resource: string;
  /** The node that saw it (live trace shows the node the viewer is connected to). */
  node: string;
}

/** The handler status (abuse-protection preflight) at the time of a call. */
export interface PreflightOutcome {
  status: 'Validated' | 'Failed' | 'NotValidated' | string;
  reason?: string | undefined;
  code?: string | undefined;
  checkedAt?: string | undefined;
}

/** What an upstream hands the inspector when it starts calling a handler. */
export interface UpstreamCallStart {
  protocol: 'webpubsub' | 'signalr';
  hub: string;
  event: string;
  /** `system` (connect, connected, disconnected) or `user` (a client's event / invocation). */
  eventType: 'system' | 'user';
  connectionId?: string | undefined;
  userId?: string | undefined;
  /** Index of the handler (Web PubSub) or template (SignalR) in the settings. */
  handlerIndex: number;
  url: URL;
  /**
   * The URL as settings show it: Key Vault references not resolved. A function is called only
   * when the capture is read (it must give the same text then: built from immutable settings).
   */
  displayUrl: string | (() => string);
  /**
   * `Bearer <jwt>` when the handler uses managed-identity auth; the inspector keeps the reference
   * and shows it only decoded (header and claims, never the signature), when read.
   */
  authorization?: string | undefined;
  headers: Record<string, string>;
  body: Buffer;
  preflight?: PreflightOutcome | undefined;
  /** Sends the same event to the handler again (fresh token and signature); resolves to the new call's id. */
  replay?: (() => Promise<string | undefined>) | undefined;
  /** Set on a replay: the capture it repeats. */
  replayOf?: string | undefined;
}

/** One HTTP attempt of a call (Azure retries 408, 5xx and transient network errors). */
export type AttemptOutcome =
  | { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; durationMs: number }
  | { error: string; message: string; durationMs: number };

/** Told about each attempt, then once when the call is over. */
export interface CallRecorder {
  readonly id: string;
  attempt(outcome: AttemptOutcome): void;
  /** Ends the call: its last attempt's status, or a failure before any attempt (no target, shutting down). */
  done(failure?: { error: string; message: string }): void;
}

/** Where an upstream reports its calls (the resource's inspector). */
export interface UpstreamCapture {
  begin(call: UpstreamCallStart): CallRecorder;
}
