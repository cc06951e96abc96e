/**
 * PubSub sessions (reference §4.2–§4.7): the protocol state of `json.webpubsub.azure.v1`,
 * `json.reliable.webpubsub.azure.v1`, `protobuf.webpubsub.azure.v1` and
 * `protobuf.reliable.webpubsub.azure.v1` clients — acks and their dedupe window, group operations,
 * user events, and for reliable ones the sequence ids, unacknowledged frames and recovery. The
 * wire format is the codec's (json-codec.ts, protobuf/codec.ts): one session type serves both.
 * Every message with an `ackId` gets exactly one ack.
 */
import { traceClientMessage } from './trace-events.ts';
import type { WebSocket } from 'ws';
import type { CloseRequest, Message, Payload } from '../../messaging/index.ts';
// The data plane's error catalogue is a leaf module (no imports), so this does not cycle.
import { ackErrors, AckFailure } from '../../dataplane/webpubsub/errors.ts';
import { AckWindow } from './ack-window.ts';
import type { ClientRequest, PubSubCodec } from './codec.ts';
import { groupOperation } from './group-operations.ts';
import { isValidEventName } from './names.ts';
import { ReliableState } from './reliable-state.ts';
import type { RestoredReliable } from './reliable-state.ts';
import type { SessionHost, SessionInit } from './session.ts';
import { ClientSession, CLOSE_GOING_AWAY, CLOSE_NORMAL, CLOSE_POLICY } from './session.ts';
import { subprotocolName } from './subprotocols.ts';

export { PROTOCOL_JSON, PROTOCOL_JSON_RELIABLE } from './subprotocols.ts';
export { MAX_GROUPS_PER_CONNECTION } from './group-operations.ts';

export class PubSubSession extends ClientSession {
  readonly protocol: string;
  readonly reliable: boolean;
  readonly codec: PubSubCodec;
  readonly #reliable: ReliableState | undefined;
  /** The token's roles (a session store keeps them to rebuild the permissions elsewhere). */
  readonly roles: readonly string[];
  /** Processed ackIds, for `Duplicate` answers within the dedupe window (made by the first ack). */
  #processedAcks: AckWindow | undefined;
  /** ackIds of events still waiting for the handler: a resend (after a reconnect) must not run them twice. */
  #inFlightAcks: Set<number> | undefined;
  #recoveryTimer: NodeJS.Timeout | undefined;

  /** `restored`: a reliable session rebuilt from the shared session store (another node held it). */
  constructor(host: SessionHost, init: SessionInit, codec: PubSubCodec, reliable: boolean, restored?: RestoredReliable) {
    super(host, init);
    this.roles = init.roles;
    this.codec = codec;
    this.reliable = reliable;
    this.protocol = subprotocolName(codec.format, reliable);
    if (reliable) this.#reliable = new ReliableState(codec.sequenced, restored);
  }

  /** Token hash, sequence ids, unacknowledged frames, mirror (reliable sessions only). */
  get reliableState(): ReliableState | undefined {
    return this.#reliable;
  }

  /** The mirror reserved more ids: frames held back until now go out (in order). */
  released(previousLimit: number): void {
    if (!this.#reliable || this.ended) return;
    for (const message of this.#reliable.sendable(previousLimit)) this.send(message);
  }

  /** A rebuilt session nobody is connected to yet: it waits for its client like after a transport loss. */
  awaitRecovery(): void {
    clearTimeout(this.#recoveryTimer);
    this.onTransportClosed(1006, false);
  }

  get subprotocol(): string {
    return this.protocol;
  }

  /**
   * First attach: the `connected` system message must come first (the JS client needs it). It is
   * written at once rather than at the end of the turn, so it leaves with the handshake's 101
   * response when the endpoint holds the socket corked.
   */
  start(ws: WebSocket): void {
    this.attach(ws);
    this.sendNow(this.codec.connected(this.connection.connectionId, this.connection.userId, this.#reliable?.token));
  }

  /** Recovery handshake check (§4.6): same connection, same protocol, the token it was given. */
  canResume(token: string): boolean {
    if (!this.#reliable || this.ended) return false;
    return this.#reliable.tokenMatches(token);
  }

  /** Binds the new transport and replays every unacknowledged frame with its original id. */
  resume(ws: WebSocket): void {
    clearTimeout(this.#recoveryTimer);
    this.#recoveryTimer = undefined;
    this.detach();
    this.attach(ws);
    for (const message of this.#reliable!.sendable()) this.send(message);
  }

  deliver(message: Message): void {
    const content = message.content;
    if (this.ended || content.kind !== 'webpubsub') return;
    const reliable = this.#reliable;
    if (!reliable) {
      this.send(this.codec.data(message, content));
      return;
    }
    // The buffer keeps the body every socket shares; this socket's frame is only its id in front
    // of that body, built when the turn's frames are written (and rebuilt for a replay).
    const body = this.codec.reliableBody(message, content);
    const sequenceId = reliable.buffer.nextSequenceId();
    const now = reliable.record(sequenceId, body);
    if (now === 'full') {
      queueMicrotask(() => this.close({ kind: 'policy', reason: 'The reliable message buffer is full.' }));
      return;
    }
    // No-op while detached: the message waits in the buffer for the resume. Held back (not sent)
    // while its id is beyond what the session store has reserved: `released` sends it.
    if (now) this.sendOwnFrame(this.codec.sequencedPrefix, sequenceId, body);
  }

  close(request: CloseRequest): void {
    if (this.ended) return;
    this.end(request.reason);
    this.send(this.codec.disconnected(request.reason));
    // Reliable clients recover from every close code but 1008, so 1008 whenever resuming is impossible.
    let code = CLOSE_NORMAL;
    if (request.kind === 'policy') code = CLOSE_POLICY;
    else if (request.kind === 'shutdown') code = this.reliable ? CLOSE_POLICY : CLOSE_GOING_AWAY;
    this.closeTransport(code, request.reason);
  }

  protected override onTransportClosed(code: number, protocolError: boolean): void {
    // 1000 and 1005 (what `WebPubSubClient.stop()` sends: no status) end the session for good.
    if (!this.reliable || protocolError || code === 1000 || code === 1005) {
      super.onTransportClosed(code, protocolError);
      return;
    }
    this.#recoveryTimer = setTimeout(() => {
      if (!this.transport) this.end('The client did not reconnect within the recovery window.');
    }, this.host.recoveryWindowMs);
    this.#recoveryTimer.unref();
  }

  override end(reason: string): void {
    clearTimeout(this.#recoveryTimer);
    if (!this.ended) this.#reliable?.mirror?.ended();
    super.end(reason);
  }

  override retire(close?: { code: number; reason: string }): void {
    clearTimeout(this.#recoveryTimer);
    if (!this.ended) this.#reliable?.mirror?.retired();
    super.retire(close);
  }

  #violation(code: number, reason: string): void {
    this.host.log.debug({ connectionId: this.connection.connectionId, reason }, 'client protocol violation');
    this.end(reason);
    this.send(this.codec.disconnected(reason));
    this.closeTransport(code, reason);
  }

  protected onFrame(data: Buffer, isBinary: boolean): void {
    const m = this.codec.decode(data, isBinary);
    switch (m.type) {
      case 'violation':
        this.#violation(m.code, m.reason);
        return;
      case 'joinGroup':
      case 'leaveGroup':
      case 'sendToGroup':
        this.#acked(m.ackId, () => groupOperation(this.host.core, this.connection, m, (o) => this.send(o)));
        return;
      case 'event':
        this.#event(m);
        return;
      case 'sequenceAck':
        if (this.#reliable && !this.#reliable.ack(m.sequenceId)) {
          // Acking what was never sent would make the client drop the real messages with those ids.
          this.#violation(CLOSE_POLICY, `sequenceAck ${m.sequenceId} is beyond the last sequence id sent (${this.#reliable.buffer.lastSequenceId}).`);
        }
        return;
      case 'ping':
        this.send(this.codec.pong());
        return;
      case 'unsupported':
        this.#acked(m.ackId, () => {
          throw ackErrors.badRequest(`Message type '${m.name}' is not supported by this server.`);
        });
        return;
      case 'reply':
        if (m.frame) this.send(m.frame);
        return;
    }
  }

  /** Runs a synchronous operation and answers its ackId (Duplicate for a processed id). */
  #acked(ackId: number | undefined, op: () => void): void {
    if (ackId !== undefined && this.#processedAcks?.has(ackId) === true) {
      this.#ack(ackId, ackErrors.duplicate(ackId));
      return;
    }
    try {
      op();
    } catch (err) {
      if (!(err instanceof AckFailure)) throw err;
      if (ackId !== undefined) this.#ack(ackId, err);
      return;
    }
    if (ackId !== undefined) this.#ack(ackId);
  }

  #ack(ackId: number, error?: AckFailure): void {
    if (!error) {
      // Record only successes: a failed message may be retried with the same id.
      (this.#processedAcks ??= new AckWindow()).add(ackId);
      this.send(this.codec.ack(ackId));
      return;
    }
    this.send(this.codec.ack(ackId, { name: error.name, message: error.message }));
  }

  #event(m: Extract<ClientRequest, { type: 'event' }>): void {
    const { event, ackId, payload } = m;
    if (typeof event !== 'string' || !isValidEventName(event)) {
      this.#acked(ackId, () => {
        throw ackErrors.badRequest('The event name is invalid.');
      });
      return;
    }
    if (ackId !== undefined && this.#processedAcks?.has(ackId) === true) {
      this.#ack(ackId, ackErrors.duplicate(ackId));
      return;
    }
    // The first attempt answers on whichever socket is current when it is done.
    if (ackId !== undefined && this.#inFlightAcks?.has(ackId) === true) return;
    if (typeof payload === 'string') {
      if (ackId !== undefined) this.#ack(ackId, ackErrors.badRequest(payload));
      return;
    }
    if (this.host.core.trace?.on) traceClientMessage(this.host.core, this.connection, `event '${event}'`, payload);
    if (ackId !== undefined) (this.#inFlightAcks ??= new Set()).add(ackId);
    this.queueEvent(() => this.#runEvent(event, payload, ackId).finally(() => {
      if (ackId !== undefined) this.#inFlightAcks?.delete(ackId);
    }));
  }

  async #runEvent(event: string, payload: Payload, ackId: number | undefined): Promise<void> {
    const hooks = this.host.events;
    const hub = this.connection.hub;
    let failure: AckFailure | undefined;
    if (!hooks?.userEvent || (hooks.hasUserEventHandler && !hooks.hasUserEventHandler(hub, event))) {
      failure = ackErrors.invocationFailed(`No event handler is registered for event '${event}' in hub '${hub}'.`);
    } else {
      try {
        const reply = await hooks.userEvent(this.context, event, payload);
        // The reply goes out before the ack (the service's order).
        if (reply && !this.ended) {
          this.deliver({ content: { kind: 'webpubsub', payload: reply, from: 'server' }, encoded: new Map() });
        }
      } catch (err) {
        failure = ackErrors.invocationFailed(err instanceof Error ? err.message : 'The event handler failed.');
      }
    }
    if (this.ended || ackId === undefined) return;
    this.#ack(ackId, failure);
  }
}
