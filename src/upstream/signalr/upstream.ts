/**
 * Azure SignalR serverless mode's upstream for one resource: client connections and invocations
 * become `X-ASRS-*` requests to the first matching upstream template, over the shared upstream
 * transport (target policy, Key Vault references, managed-identity tokens, deadlines, retries).
 * Wiring, per SignalR resource:
 *
 *   const upstream = new SignalRUpstream({ resourceName, getAccessKeys, getTemplates, identity,
 *     getManagedIdentity, vaultOrigins, allowPrivateTargets, ca, log });
 *   new CoreClientRuntime(core, { onConnected: (i) => upstream.connected(i),
 *     onMessage: (i, s, f) => upstream.message(i, s, f), onDisconnected: (i, e) => upstream.disconnected(i, e) });
 *   …on stop: await upstream.close();
 */
import type { UpstreamCapture } from '../../trace/index.ts';
import { capturedSend, templateText } from '../capture.ts';
import { CONTENT_TYPE } from '../../protocols/signalr/index.ts';
import type { DecodedFrame, HubMessage, HubProtocolName } from '../../protocols/signalr/index.ts';
import type { HttpResult } from '../http.ts';
import type { UpstreamRequest } from '../delivery.ts';
import { upstreamCodeOf } from '../errors.ts';
import type { UpstreamErrorCode } from '../errors.ts';
import { SignatureCache } from '../signature.ts';
import { UpstreamTransport, type UpstreamTransportOptions } from '../transport.ts';
import { ConnectionLanes } from './lanes.ts';
import { SignalRRequestBuilder } from './request.ts';
import type { SignalRConnectionInfo } from './request.ts';
import { errorCompletion, invocationReply, MAX_INVOCATION_RESPONSE_BYTES } from './responses.ts';
import { TemplateCache } from './templates.ts';
import type { CompiledTemplate, SignalRCategory, SignalRUpstreamTemplate } from './templates.ts';

/** What the upstream needs of a client session (the SignalR protocol layer's `SignalRSession` fits). */
export interface SignalRUpstreamSession {
  readonly protocol: HubProtocolName | undefined;
  send(message: HubMessage): void;
  sendFramed(bytes: Buffer): void;
}

/** The shared upstream transport's options (no abuse protection: SignalR has none), plus SignalR's own. */
export interface SignalRUpstreamOptions extends Omit<UpstreamTransportOptions, 'abuseProtection' | 'report'> {
  /** May change at run time (regeneration): read on every request. Empty keys sign nothing. */
  getAccessKeys(): { primaryKey: string; secondaryKey: string };
  /** `properties.upstream.templates`, in order; read on every event so updates apply at once. */
  getTemplates(): readonly SignalRUpstreamTemplate[];
  /** Requests one connection may have waiting for the upstream before new ones are refused (64). */
  maxPendingPerConnection?: number | undefined;
  /** The resource's upstream inspector: every upstream call is captured there (src/trace). */
  capture?: UpstreamCapture | undefined;
}

/** The last outcome of resolving a template (Key Vault references, token), for status. */
export interface UpstreamTemplateStatus {
  index: number;
  /** Resolved: its references and token were obtained for the last request; Failed: `code` and `reason` say why not. */
  status: 'Resolved' | 'Failed';
  reason?: string | undefined;
  code?: UpstreamErrorCode | undefined;
  checkedAt: string;
}

/** What the waiting client is told when no answer came (never the URL nor any secret). */
const FAILURE_TEXT: Partial<Record<UpstreamErrorCode, string>> = {
  UpstreamTimeout: 'the upstream did not answer in time',
  UpstreamNetworkError: 'the upstream could not be reached',
  UpstreamResponseTooLarge: 'the upstream response is too large',
  UpstreamQueueFull: 'too many requests are waiting for the upstream',
  UpstreamTargetRefused: 'the upstream address is not allowed',
  UpstreamShuttingDown: 'the service is shutting down',
};

export class SignalRUpstream {
  readonly transport: UpstreamTransport;
  readonly #o: SignalRUpstreamOptions;
  readonly #templates = new TemplateCache();
  readonly #requests: SignalRRequestBuilder;
  readonly #lanes: ConnectionLanes;
  readonly #status = new Map<number, UpstreamTemplateStatus>();

  constructor(o: SignalRUpstreamOptions) {
    this.#o = o;
    this.transport = new UpstreamTransport({
      resourceName: o.resourceName, identity: o.identity, getManagedIdentity: () => o.getManagedIdentity(),
      vaultOrigins: o.vaultOrigins, allowPrivateTargets: o.allowPrivateTargets, ca: o.ca, log: o.log,
      timing: o.timing, resolve: o.resolve, observeDelivery: o.observeDelivery,
      limits: { ...o.limits, maxResponseBytes: o.limits?.maxResponseBytes ?? MAX_INVOCATION_RESPONSE_BYTES },
      // SignalR upstreams have no abuse protection: only resolution outcomes are reported.
      report: (_hub, index, outcome) => {
        if (outcome.status === 'Failed') this.#status.set(index, { index, status: 'Failed', reason: outcome.reason, code: outcome.code, checkedAt: new Date(outcome.checkedAt).toISOString() });
      },
    });
    this.#requests = new SignalRRequestBuilder(new SignatureCache(), () => o.getAccessKeys());
    this.#lanes = new ConnectionLanes(o.maxPendingPerConnection ?? 64);
  }

  /** A client finished its handshake: `connections/connected`, fire-and-forget. */
  connected(info: SignalRConnectionInfo): void {
    this.#fireAndForget(info, 'connections', 'connected', () => this.#requests.connected(info), false);
  }

  /** A client is gone: `connections/disconnected` after everything it sent, then its state is dropped. */
  disconnected(info: SignalRConnectionInfo, error: string | undefined): void {
    this.#fireAndForget(info, 'connections', 'disconnected', () => this.#requests.disconnected(info, error), true);
    this.#lanes.close(info.connectionId);
    this.#requests.forget(info.connectionId);
  }

  /** A client hub message: invocations go upstream; a waiting invocation gets the answer as its Completion. */
  message(info: SignalRConnectionInfo, session: SignalRUpstreamSession, frame: DecodedFrame): void {
    const m = frame.message;
    if (m.type === 4) {
      session.send(errorCompletion(m.invocationId, 'Streaming invocations are not supported in serverless mode.'));
      return;
    }
    const protocol = session.protocol;
    if (m.type !== 1 || protocol === undefined) return; // only invocations go upstream (reference §3.2)
    const id = m.invocationId;
    const template = this.#templates.match(this.#o.getTemplates(), info.hub, 'messages', m.target);
    if (template === undefined) {
      if (id !== undefined) session.send(errorCompletion(id, `No upstream template matches hub '${info.hub}', category 'messages' and event '${m.target.slice(0, 128)}'.`));
      return;
    }
    // The body may be a view on the transport's chunk: the request keeps its own copy.
    const request = this.#requests.invocation(info, m.target, CONTENT_TYPE[protocol], Buffer.from(frame.body), id !== undefined);
    if (id === undefined) {
      this.#fireAndForget(info, 'messages', m.target, () => request, false, template);
      return;
    }
    const queued = this.#lanes.run(info.connectionId, async () => {
      try {
        const res = await this.#deliver(template, info, 'messages', m.target, request);
        const reply = invocationReply(protocol, id, res.status, res.body);
        if ('framed' in reply) session.sendFramed(reply.framed);
        else session.send(reply.completion);
      } catch (err) {
        this.transport.failures.failed(err, { hub: info.hub, handler: template.index, event: m.target });
        const code = upstreamCodeOf(err);
        const why = (code && FAILURE_TEXT[code]) ?? 'the upstream is not available';
        session.send(errorCompletion(id, `Invocation failed, ${why}.`));
      }
    });
    if (queued === undefined) session.send(errorCompletion(id, 'Invocation failed, too many invocations of this connection are waiting for the upstream.'));
  }

  /** The last resolution outcome of each template that has been used, by index. */
  status(): UpstreamTemplateStatus[] {
    return [...this.#status.values()].sort((a, b) => a.index - b.index);
  }

  /** The vault says secrets changed: re-read Key Vault references before their next use. */
  keyVaultChanged(vaultOrigin?: string): void {
    this.transport.keyVault.invalidate(vaultOrigin);
  }

  /** Connections with requests still queued or in flight (for tests: returns to 0). */
  get pendingConnections(): number {
    return this.#lanes.size;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  #fireAndForget(info: SignalRConnectionInfo, category: SignalRCategory, event: string, build: () => UpstreamRequest, final: boolean, matched?: CompiledTemplate): void {
    const template = matched ?? this.#templates.match(this.#o.getTemplates(), info.hub, category, event);
    if (template === undefined || this.transport.closed) return;
    const where = { hub: info.hub, handler: template.index, event };
    this.transport.background.run(async () => {
    const queued = this.#lanes.run(info.connectionId, async () => {
        try {
          const res = await this.#deliver(template, info, category, event, build());
          if (res.status < 200 || res.status > 299) this.#o.log.debug({ resource: this.#o.resourceName, ...where, status: res.status }, 'upstream answered with a non-success status');
        } catch (err) {
          this.transport.failures.failed(err, where);
        }
      }, final);
      if (queued === undefined) this.#o.log.warn({ resource: this.#o.resourceName, ...where, code: 'NonBlockingEventDropped' }, 'too many requests of one connection waiting for the upstream: dropped');
      await queued;
    }, where);
  }

  async #deliver(t: CompiledTemplate, info: SignalRConnectionInfo, category: SignalRCategory, event: string, request: UpstreamRequest): Promise<HttpResult> {
    if (this.#o.capture) return this.#captured(this.#o.capture, t, info, category, event, request);
    const target = await this.transport.targets.resolve(t, info.hub);
    if (this.#status.get(t.index)?.status !== 'Resolved') this.#status.set(t.index, { index: t.index, status: 'Resolved', checkedAt: new Date().toISOString() });
    const url = target.url({ hub: info.hub, category, event });
    return this.transport.delivery.send({ url, authorization: target.authorization }, request);
  }

  /** The same call through the resource's upstream inspector (kept, and replayable). */
  #captured(capture: UpstreamCapture, t: CompiledTemplate, info: SignalRConnectionInfo, category: SignalRCategory, event: string, request: UpstreamRequest): Promise<HttpResult> {
    return capturedSend(capture, this.transport, {
      protocol: 'signalr', hub: info.hub, event, eventType: category === 'messages' ? 'user' : 'system',
      connectionId: info.connectionId, userId: info.identity.userId, handlerIndex: t.index,
      displayUrl: () => templateText(t.parts),
      preflight: () => undefined,
      resolve: async () => {
        const target = await this.transport.targets.resolve(t, info.hub);
        if (this.#status.get(t.index)?.status !== 'Resolved') this.#status.set(t.index, { index: t.index, status: 'Resolved', checkedAt: new Date().toISOString() });
        return target;
      },
      placeholders: { hub: info.hub, category, event },
    }, request);
  }
}
