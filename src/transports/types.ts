/**
 * What a session needs from a transport, whatever carries the bytes: a WebSocket, a Server-Sent
 * Events stream with POSTed sends, or long polling. Sessions hand over whole protocol messages;
 * transports add their own framing (a WebSocket header, `data:` lines, nothing for long polling)
 * and batch their writes once per event-loop turn.
 */

import type { Outbound } from './outbound.ts';

export type TransportName = 'WebSockets' | 'ServerSentEvents' | 'LongPolling';

/** Why a transport ended; a session maps it to its own close semantics. */
export type TransportEnd =
  | { cause: 'peer'; code?: number }            // the client closed, disconnected or went silent
  | { cause: 'protocol'; message: string }       // the client broke the transport's rules
  | { cause: 'overflow' }                        // the client does not read: buffered bytes over the limit
  | { cause: 'server' };                         // `close()` or `terminate()` was called

export interface TransportEvents {
  /** One inbound unit: a WebSocket message or a POST body. `binary` is false only for a WebSocket text frame. */
  data(bytes: Buffer, binary: boolean): void;
  /** Called once, after which the transport sends and receives nothing. */
  end(why: TransportEnd): void;
}

export interface TransportOptions {
  /** Past this many bytes not yet taken by the kernel, the peer counts as not reading and is dropped. */
  maxBufferedBytes: number;
}

export interface Transport {
  readonly name: TransportName;
  /** Bytes queued or buffered for this peer and not yet accepted by the kernel. */
  readonly bufferedBytes: number;
  readonly open: boolean;
  /** Queues one whole protocol message; written with the rest of this turn's messages. */
  send(message: Outbound): void;
  /** Writes what is queued, then ends (a WebSocket with this close code and reason). */
  close(code?: number, reason?: string): void;
  /** Ends at once, dropping what is queued. */
  terminate(): void;
}
