/**
 * Plain WebSocket clients (no or unknown subprotocol, reference §4.1). Frames carry raw payloads.
 * `webpubsub_mode=sendEvent` (default): each frame is a user event `message` for upstream.
 * `webpubsub_mode=sendToGroup&group=g[&noEcho=true]`: each frame is published to group g.
 */
import { traceClientMessage } from './trace-events.ts';
import type { WebSocket } from 'ws';
import type { CloseRequest, Message, Payload } from '../../messaging/index.ts';
import { Outbound } from '../../transports/index.ts';
import { simpleFrame } from './encode.ts';
import type { SessionHost, SessionInit } from './session.ts';
import { ClientSession, CLOSE_GOING_AWAY, CLOSE_INTERNAL, CLOSE_NORMAL, CLOSE_POLICY } from './session.ts';

export const PROTOCOL_SIMPLE = 'simple';

export type SimpleMode = { mode: 'sendEvent' } | { mode: 'sendToGroup'; group: string; noEcho: boolean };

export class SimpleSession extends ClientSession {
  readonly protocol = PROTOCOL_SIMPLE;
  readonly #mode: SimpleMode;

  constructor(host: SessionHost, init: SessionInit, mode: SimpleMode) {
    super(host, init);
    this.#mode = mode;
  }

  get subprotocol(): undefined {
    return undefined;
  }

  start(ws: WebSocket): void {
    this.attach(ws);
  }

  deliver(message: Message): void {
    if (!this.ended && message.content.kind === 'webpubsub') this.send(simpleFrame(message, message.content));
  }

  close(request: CloseRequest): void {
    if (this.ended) return;
    this.end(request.reason);
    const code = request.kind === 'policy' ? CLOSE_POLICY : request.kind === 'shutdown' ? CLOSE_GOING_AWAY : CLOSE_NORMAL;
    this.closeTransport(code, request.reason);
  }

  #fail(code: number, reason: string): void {
    this.end(reason);
    this.closeTransport(code, reason);
  }

  protected onFrame(data: Buffer, isBinary: boolean): void {
    const payload: Payload = { kind: isBinary ? 'binary' : 'text', data };
    const c = this.connection;
    const mode = this.#mode;
    if (this.host.core.trace?.on) traceClientMessage(this.host.core, c, mode.mode === 'sendToGroup' ? 'sendToGroup' : "event 'message'", payload, mode.mode === 'sendToGroup' ? mode.group : undefined);
    if (mode.mode === 'sendToGroup') {
      if (!c.permissions.has('sendToGroup', mode.group)) {
        this.#fail(CLOSE_POLICY, `The connection has no permission to send to group '${mode.group}'.`);
        return;
      }
      this.host.core.publish({
        type: 'send',
        hub: c.hub,
        target: { scope: 'group', group: mode.group },
        content: { kind: 'webpubsub', payload, from: 'group', group: mode.group, fromUserId: c.userId },
        excluded: mode.noEcho ? [c.connectionId] : undefined,
      });
      return;
    }
    const hooks = this.host.events;
    if (!hooks?.userEvent || (hooks.hasUserEventHandler && !hooks.hasUserEventHandler(c.hub, 'message'))) {
      // As the service: a plain client's message with nowhere to go ends the connection.
      this.#fail(CLOSE_INTERNAL, `No event handler is registered for event 'message' in hub '${c.hub}'.`);
      return;
    }
    const userEvent = hooks.userEvent.bind(hooks);
    this.queueEvent(async () => {
      if (this.ended) return;
      try {
        const reply = await userEvent(this.context, 'message', payload);
        if (reply && reply.data.length > 0 && !this.ended) {
          this.send(Outbound.of(reply.data, reply.kind === 'binary' || reply.kind === 'protobuf'));
        }
      } catch (err) {
        this.#fail(CLOSE_INTERNAL, err instanceof Error ? err.message : 'The event handler failed.');
      }
    });
  }
}
