/**
 * A SignalR client as the messaging core sees it: core messages become SignalR messages (made
 * once per message on this node, encoded once per hub protocol) and core closes become a Close.
 */
import type { CloseRequest, ConnectionSink, Message } from '../../../messaging/index.ts';
import { SignalRMessage, type SignalRSession } from '../../../protocols/signalr/index.ts';

export class SignalRConnectionSink implements ConnectionSink {
  readonly #session: SignalRSession;

  constructor(session: SignalRSession) {
    this.#session = session;
  }

  /** Filters and logs see the hub protocol (`json`, `messagepack`). */
  get protocol(): string {
    return this.#session.protocol ?? 'json';
  }

  deliver(message: Message): void {
    const m = SignalRMessage.of(message);
    if (m) this.#session.deliver(m);
  }

  close(request: CloseRequest): void {
    // A REST close or a policy ends the connection for good; a shutdown lets clients reconnect elsewhere.
    this.#session.close(request.reason || undefined, request.kind === 'shutdown');
  }
}
