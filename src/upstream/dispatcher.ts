/**
 * Delivers one Web PubSub resource's client events to its hubs' event handlers (reference §5):
 * the Web PubSub side of upstream. Its own parts:
 *   handlers.ts       which handler takes an event (first match wins) and each handler's status
 *   cloudevents.ts    the request shape (CloudEvents binary mode, signature via signature.ts)
 *   connections.ts    per-connection state, cookies, event order
 *   webpubsub-responses.ts  reading connect answers and user-event replies
 * and the protocol-neutral transport (transport.ts), which another protocol can reuse:
 *   target-resolver.ts  Key Vault references, managed-identity token, URL placeholders, abuse protection
 *   delivery.ts       deadline, retries, the bounded fire-and-forget queue
 *   http.ts, agents.ts, targets.ts  sockets, per-origin queue bound, target address policy
 *
 * Blocking events (`connect`, user events) are awaited by the client session; user events of one
 * connection are sent one after the other. `connected` / `disconnected` are fire-and-forget and
 * bounded in number. A slow or hostile handler costs its own connections time and nothing else.
 */
import { randomBytes } from 'node:crypto';
import type { Payload } from '../messaging/index.ts';
import { ConnectRejectedError } from '../protocols/webpubsub/index.ts';
import type { ClientEventContext, ClientEventHooks, ConnectRequest, ConnectResponse } from '../protocols/webpubsub/index.ts';
import { claimString, cloudEventRequest, connectEventBody, CONTENT_TYPES, JSON_CONTENT_TYPE } from './cloudevents.ts';
import { ConnectionRecords } from './connections.ts';
import type { ConnectionRecord } from './connections.ts';
import { HandlerUnavailable, HttpCallError } from './errors.ts';
import { HandlerRegistry } from './handlers.ts';
import type { Compiled } from './handlers.ts';
import type { HttpResult } from './http.ts';
import type { KeyVaultResolver } from './keyvault.ts';
import type { HandlerStatus, UpstreamOptions } from './options.ts';
import { SignatureCache } from './signature.ts';
import type { ManagedIdentityTokens } from './tokens.ts';
import { UpstreamTransport } from './transport.ts';
import { clientDetail, parseConnectResponse, replyPayload } from './webpubsub-responses.ts';
import { capturedSend } from './capture.ts';

export type { HandlerStatus, UpstreamLimits, UpstreamOptions, UpstreamTiming } from './options.ts';

interface OutgoingEvent {
  ctx: ClientEventContext;
  record: ConnectionRecord;
  type: string;
  eventName: string;
  contentType: string;
  body: Buffer;
  blocking: boolean;
}

export class UpstreamDispatcher implements ClientEventHooks {
  readonly #o: UpstreamOptions;
  readonly #t: UpstreamTransport;
  readonly tokens: ManagedIdentityTokens;
  readonly keyVault: KeyVaultResolver;
  readonly #handlers: HandlerRegistry;
  readonly #connections: ConnectionRecords;
  readonly #signatures = new SignatureCache();
  #origin: { endpoint: string; hostname: string } | undefined;

  constructor(o: UpstreamOptions) {
    this.#o = o;
    this.#handlers = new HandlerRegistry((hub) => o.getEventHandlers(hub));
    this.#t = new UpstreamTransport({
      ...o,
      abuseProtection: {
        origin: () => {
          const u = new URL(o.publicEndpoint());
          return { hostname: u.hostname, host: u.host };
        },
        placeholders: (hub) => ({ hub, event: 'validate' }),
      },
      report: (hub, index, outcome) => this.#handlers.report(hub, index, outcome),
    });
    this.tokens = this.#t.tokens;
    this.keyVault = this.#t.keyVault;
    this.#connections = new ConnectionRecords(o.log);
  }

  // ---- ClientEventHooks ------------------------------------------------------------------------

  async connect(request: ConnectRequest): Promise<ConnectResponse | undefined> {
    const hub = request.hub.toLowerCase();
    const handler = this.#handlers.match(hub, { system: 'connect' });
    if (!handler) return undefined;
    // The session passes the id the connection will have; without one (older callers) the
    // connect event carries a provisional id (see docs/upstream.md).
    const given = request.connectionId;
    const connectionId = given ?? randomBytes(16).toString('base64url');
    this.#connections.sweepPending();
    const record = this.#connections.record(connectionId, hub);
    const forget = () => {
      this.#connections.delete(connectionId);
      this.#signatures.forget(connectionId);
    };
    let res: HttpResult;
    try {
      res = await this.#send(handler, hub, 'connect', {
        ctx: { hub, connectionId, userId: claimString(request.claims.sub), subprotocol: undefined },
        record, type: 'azure.webpubsub.sys.connect', eventName: 'connect',
        contentType: JSON_CONTENT_TYPE, body: connectEventBody(request), blocking: true,
      });
    } catch (err) {
      forget();
      this.#t.failures.failed(err, { hub, handler: handler.index, event: 'connect' });
      throw new ConnectRejectedError(500, 'The connect event handler is not available.');
    }
    if (res.status < 200 || res.status >= 300) {
      forget();
      if (res.status >= 400 && res.status < 500) throw new ConnectRejectedError(res.status, clientDetail(res.body) || `The connect event handler refused the connection (${res.status}).`);
      this.#o.log.warn({ hub, handler: handler.index, event: 'connect', status: res.status }, 'connect event handler failed');
      throw new ConnectRejectedError(500, res.status >= 300 && res.status < 400
        ? 'The connect event handler answered with a redirect, which is not followed.'
        : `The connect event handler failed (${res.status}).`);
    }
    this.#connections.absorb(record, res);
    const parsed = parseConnectResponse(res.body);
    if (typeof parsed === 'string') {
      forget();
      this.#o.log.warn({ hub, handler: handler.index, event: 'connect', problem: parsed }, 'connect event handler returned an invalid response');
      throw new ConnectRejectedError(500, `The connect event handler returned an invalid response: ${parsed}`);
    }
    if (parsed.subprotocol !== undefined && !request.subprotocols.includes(parsed.subprotocol)) {
      forget();
      throw new ConnectRejectedError(500, 'The connect event handler chose a subprotocol the client did not offer.');
    }
    if (given === undefined) forget(); // a provisional record cannot be found again
    return parsed;
  }

  hasConnectHandler(hub: string): boolean {
    return this.#handlers.match(hub.toLowerCase(), { system: 'connect' }) !== undefined;
  }

  hasUserEventHandler(hub: string, event: string): boolean {
    return this.#handlers.match(hub.toLowerCase(), { user: event }) !== undefined;
  }

  async userEvent(ctx: ClientEventContext, event: string, payload: Payload): Promise<Payload | undefined> {
    const hub = ctx.hub.toLowerCase();
    const handler = this.#handlers.match(hub, { user: event });
    if (!handler) throw new Error(`No event handler is registered for event '${event}' in hub '${hub}'.`);
    const record = this.#connections.record(ctx.connectionId, hub, true);
    const run = async (): Promise<Payload | undefined> => {
      let res: HttpResult;
      try {
        res = await this.#send(handler, hub, event, {
          ctx, record, type: `azure.webpubsub.user.${event}`, eventName: event,
          contentType: CONTENT_TYPES[payload.kind], body: payload.data, blocking: true,
        });
      } catch (err) {
        this.#t.failures.failed(err, { hub, handler: handler.index, event: event });
        if (err instanceof HttpCallError && err.kind === 'too-large') throw new Error('The event handler\'s response is too large.');
        if (err instanceof HttpCallError && err.kind === 'timeout') throw new Error('The event handler did not answer in time.');
        throw new Error('The event handler is not available.');
      }
      if (res.status < 200 || res.status >= 300) {
        throw new Error(res.status >= 300 && res.status < 400
          ? `The event handler answered ${res.status} (redirects are not followed).`
          : `The event handler answered ${res.status}.`);
      }
      this.#connections.absorb(record, res);
      return replyPayload(res);
    };
    // One at a time per connection (the session serialises too; this keeps `disconnected` last).
    const result = record.chain.then(run, run);
    record.chain = result.catch(() => undefined);
    return result;
  }

  connected(ctx: ClientEventContext): void {
    const hub = ctx.hub.toLowerCase();
    // A record exists when a connect handler ran; otherwise one is made only when needed (here
    // for a connected handler, or later for a user event), not for every connection.
    const existing = this.#connections.get(ctx.connectionId);
    if (existing) existing.connected = true;
    const handler = this.#handlers.match(hub, { system: 'connected' });
    if (!handler) return;
    const record = existing ?? this.#connections.record(ctx.connectionId, hub, true);
    this.#t.background.run(() => this.#sendNonBlocking(handler, hub, 'connected', {
      ctx, record, type: 'azure.webpubsub.sys.connected', eventName: 'connected',
      contentType: JSON_CONTENT_TYPE, body: Buffer.from('{}'), blocking: false,
    }), { hub, event: 'connected' });
  }

  disconnected(ctx: ClientEventContext, reason: string): void {
    const hub = ctx.hub.toLowerCase();
    const record = this.#connections.get(ctx.connectionId) ?? this.#connections.record(ctx.connectionId, hub, true);
    const handler = this.#handlers.match(hub, { system: 'disconnected' });
    const after = record.chain;
    const forget = () => {
      this.#connections.delete(ctx.connectionId);
      this.#signatures.forget(ctx.connectionId);
    };
    this.#t.background.run(async () => {
      try {
        await after; // after this connection's last user event
        if (handler) {
          await this.#sendNonBlocking(handler, hub, 'disconnected', {
            ctx, record, type: 'azure.webpubsub.sys.disconnected', eventName: 'disconnected',
            contentType: JSON_CONTENT_TYPE, body: Buffer.from(JSON.stringify({ reason: reason ?? '' }), 'utf8'), blocking: false,
          });
        }
      } finally {
        forget();
      }
    }, { hub, event: 'disconnected' }, forget);
  }

  // ---- operations for the control plane and tests ----------------------------------------------

  /** What each of a hub's handlers last did: validated, failed (and why), or not used yet. */
  status(hub: string): HandlerStatus[] {
    return this.#handlers.status(hub.toLowerCase());
  }

  /** Resolves references, gets tokens and validates every handler of a hub now; returns the status. */
  async validate(hub: string): Promise<HandlerStatus[]> {
    const h = hub.toLowerCase();
    for (const c of this.#handlers.handlers(h)) {
      if (c.error) continue;
      await this.#t.targets.resolve(c, h).catch(() => undefined);
    }
    return this.status(h);
  }

  /** The vault says secrets changed: re-read Key Vault references before their next use. */
  keyVaultChanged(vaultOrigin?: string): void {
    this.keyVault.invalidate(vaultOrigin);
  }

  /** Connections with per-connection state held here (for tests: must return to 0). */
  get trackedConnections(): number {
    return this.#connections.size;
  }

  /** Refusals for want of room: queued requests per origin, pending non-blocking events. */
  get refusals(): { queueFull: number; nonBlockingDropped: number } {
    return { queueFull: this.#t.http.refusedQueueFull, nonBlockingDropped: this.#t.background.dropped };
  }

  /** Requests in flight or queued for a handler origin (`http://host:port`). */
  inFlightTo(origin: string): number {
    return this.#t.http.activeFor(origin);
  }

  async close(): Promise<void> {
    await this.#t.close();
    this.#connections.clear();
  }

  // ---- internals ---------------------------------------------------------------------------------

  async #send(c: Compiled, hub: string, event: string, e: OutgoingEvent): Promise<HttpResult> {
    if (this.#t.closed) throw new HandlerUnavailable('UpstreamShuttingDown', 'the service is shutting down');
    const request = () => cloudEventRequest({
      ctx: e.ctx, type: e.type, eventName: e.eventName, id: e.record.nextEventId++,
      contentType: e.contentType, body: e.body, blocking: e.blocking, state: e.record.state, cookies: e.record.cookies,
    }, {
      signature: (connectionId) => this.#signatures.sign(connectionId, this.#o.getAccessKeys()),
      requestOrigin: () => this.#requestOrigin(),
    });
    const capture = this.#o.capture;
    if (!capture) {
      const target = await this.#t.targets.resolve(c, hub);
      return this.#t.delivery.send({ url: target.url({ hub, event }), authorization: target.authorization }, request());
    }
    // The resource's upstream inspector keeps the call (and can send it again).
    return capturedSend(capture, this.#t, {
      protocol: 'webpubsub', hub, event, eventType: e.type.startsWith('azure.webpubsub.sys.') ? 'system' : 'user',
      connectionId: e.ctx.connectionId, userId: e.ctx.userId, handlerIndex: c.index,
      displayUrl: () => this.#handlers.displayTemplate(c),
      preflight: () => this.#handlers.preflight(hub, c),
      resolve: () => this.#t.targets.resolve(c, hub),
      placeholders: { hub, event },
      // Signed with the keys of now: a replay after a key regeneration still verifies.
      again: (r) => ({ ...r, headers: { ...r.headers, 'ce-signature': this.#signatures.sign(e.ctx.connectionId, this.#o.getAccessKeys()), 'ce-time': new Date().toISOString() } }),
    }, request());
  }

  /** The public endpoint's host name (WebHook-Request-Origin), parsed again only when the endpoint changes. */
  #requestOrigin(): string {
    const endpoint = this.#o.publicEndpoint();
    if (endpoint !== this.#origin?.endpoint) this.#origin = { endpoint, hostname: new URL(endpoint).hostname };
    return this.#origin.hostname;
  }

  async #sendNonBlocking(c: Compiled, hub: string, event: string, e: OutgoingEvent): Promise<void> {
    try {
      const res = await this.#send(c, hub, event, e);
      if (res.status < 200 || res.status >= 300) {
        this.#o.log.warn({ hub, handler: c.index, event, status: res.status }, 'event handler answered a non-blocking event with an error');
      }
    } catch (err) {
      this.#t.failures.failed(err, { hub, handler: c.index, event: event });
    }
  }

}
