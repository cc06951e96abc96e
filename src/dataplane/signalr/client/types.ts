/**
 * What the SignalR client endpoint needs from the rest of Lapis: who a client is (its access
 * token, validated by the data plane's auth) and what happens to its connection (the runtime:
 * the messaging core, upstream in serverless mode, an app server in default mode).
 */
import type { TransportName } from '../../../transports/index.ts';
import type { DecodedFrame, SignalRSession } from '../../../protocols/signalr/index.ts';

export interface ClientIdentity {
  /** `asrs.s.uid`, else `nameid`, else `sub`. */
  userId: string | undefined;
  claims: Readonly<Record<string, unknown>>;
  /** `asrs.s.cht` (1..30 s) in ms, when the token sets it: this connection's handshake timeout. */
  handshakeTimeoutMs?: number | undefined;
}

export type ClientAuthResult = { ok: true; identity: ClientIdentity } | { ok: false; status: 401 | 403; message: string };

/** Validates the client access token of a request (Bearer header or `access_token` query) for `hub`. */
export type ClientAuthenticator = (req: import('node:http').IncomingMessage, url: URL, hub: string) => ClientAuthResult;

export interface ClientConnectionInfo {
  /** Lower-cased hub name. */
  hub: string;
  connectionId: string;
  identity: ClientIdentity;
  /** The client's connect query string, with its leading `?` (upstream's X-ASRS-Client-Query). */
  query: string;
  transport: TransportName;
  /** Headers of the negotiate (or skipNegotiation upgrade) request: default mode passes them to the app server. */
  requestHeaders?: import('node:http').IncomingHttpHeaders | undefined;
  /** The client's address as seen by Lapis (the app server gets it as X-Forwarded-For). */
  remoteAddress?: string | undefined;
}

export interface SignalRClientRuntime {
  /** False when the resource is at its connection limit: negotiate answers 429. */
  hasCapacity(): boolean;
  /** Handshake done. Return a text to refuse the connection (it reaches the client as the handshake error). */
  connected(info: ClientConnectionInfo, session: SignalRSession): string | undefined;
  /** A client hub message other than Ping and Close. */
  message(info: ClientConnectionInfo, session: SignalRSession, frame: DecodedFrame): void;
  /** Called once per connected client when it is gone. */
  disconnected(info: ClientConnectionInfo, session: SignalRSession, error: string | undefined): void;
}
