/**
 * Connected SignalR clients in the messaging core: a connection registers once its handshake is
 * done (joining the user's sticky groups), leaves on disconnect, and its invocations go to the
 * resource's message handler (upstream in serverless mode, the app server in default mode).
 */
import { Connection, ConnectionLimitError, type MessagingCore } from '../../../messaging/index.ts';
import type { DecodedFrame, SignalRSession } from '../../../protocols/signalr/index.ts';
import type { ClientConnectionInfo, SignalRClientRuntime } from '../client/index.ts';
import { SignalRConnectionSink } from './connection-sink.ts';

export type ClientMessageHandler = (info: ClientConnectionInfo, session: SignalRSession, frame: DecodedFrame) => void;

export interface CoreClientRuntimeOptions {
  /** Where client invocations go; without one, an invocation that waits for a result gets an error Completion. */
  onMessage?: ClientMessageHandler | undefined;
  onConnected?: ((info: ClientConnectionInfo) => void) | undefined;
  onDisconnected?: ((info: ClientConnectionInfo, error: string | undefined) => void) | undefined;
}

export class CoreClientRuntime implements SignalRClientRuntime {
  readonly #core: MessagingCore;
  readonly #o: CoreClientRuntimeOptions;
  readonly #connections = new WeakMap<SignalRSession, Connection>();

  constructor(core: MessagingCore, options: CoreClientRuntimeOptions = {}) {
    this.#core = core;
    this.#o = options;
  }

  hasCapacity(): boolean {
    return this.#core.hasCapacity();
  }

  connected(info: ClientConnectionInfo, session: SignalRSession): string | undefined {
    const c = new Connection(info.connectionId, info.hub, info.identity.userId, new SignalRConnectionSink(session));
    try {
      this.#core.register(c);
    } catch (err) {
      if (err instanceof ConnectionLimitError) return err.message;
      throw err;
    }
    this.#connections.set(session, c);
    this.#o.onConnected?.(info);
    return undefined;
  }

  message(info: ClientConnectionInfo, session: SignalRSession, frame: DecodedFrame): void {
    const trace = this.#core.trace;
    if (trace?.on) {
      const m = frame.message;
      trace.emit({
        category: 'message', event: 'messageIn', hub: info.hub, connectionId: info.connectionId, userId: info.identity.userId, size: frame.body.length,
        detail: 'target' in m && typeof m.target === 'string' ? `invocation '${m.target.slice(0, 128)}'` : `hub message type ${m.type}`,
      });
    }
    if (this.#o.onMessage) {
      this.#o.onMessage(info, session, frame);
      return;
    }
    const m = frame.message;
    if ((m.type === 1 || m.type === 4) && m.invocationId !== undefined) {
      session.send({ type: 3, invocationId: m.invocationId, resultKind: 'error', error: `No upstream is configured for hub '${info.hub}'.` });
    }
  }

  disconnected(info: ClientConnectionInfo, session: SignalRSession, error: string | undefined): void {
    const c = this.#connections.get(session);
    if (!c) return;
    this.#connections.delete(session);
    this.#core.unregister(c, error ?? 'The client closed the connection.');
    this.#o.onDisconnected?.(info, error);
  }
}
