/**
 * Delivers one Web PubSub resource's client events to its hubs' event handlers (reference §5):
 * CloudEvents over HTTP in binary mode, first matching handler wins, abuse-protection validation
 * before first use, managed-identity bearer tokens, Key Vault references in URL templates.
 *
 * Blocking events (`connect`, user events) are awaited by the client session; user events of one
 * connection are sent one after the other. `connected` / `disconnected` are fire-and-forget and
 * bounded in number. Every request has a deadline and a response-size cap, so a slow or hostile
 * handler costs its own connections time and nothing else.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Directory, ManagedIdentity, TokenIssuer } from '../identity/index.ts';
import { redactUrl } from '../log/index.ts';
import type { Payload } from '../messaging/index.ts';
import { ConnectRejectedError } from '../protocols/webpubsub/index.ts';
import type { ClientEventContext, ClientEventHooks, ConnectRequest, ConnectResponse } from '../protocols/webpubsub/index.ts';
import { HttpCallError, UpstreamHttpClient } from './http.ts';
import type { HttpResult } from './http.ts';
import { KeyVaultReferenceError, KeyVaultResolver, VAULT_AUDIENCE } from './keyvault.ts';
import { compileHandler, EventHandlerSettingsError, parseUserEventPattern } from './settings.ts';
import type { CompiledHandler, EventHandlerSettings, SystemEvent } from './settings.ts';
import { ManagedIdentityTokens, ManagedIdentityUnavailable } from './tokens.ts';
import { WebhookValidator } from './validation.ts';
import type { ValidationStatus } from './validation.ts';

const MIB = 1024 * 1024;

export interface UpstreamTiming {
  /** Deadline of one event, retries included (Azure: 100 s). */
  requestTimeoutMs?: number;
  /** Pauses before retries on 408, 5xx and transient network errors (Azure: 1 s, 3 s, 5 s). */
  retryDelaysMs?: number[];
  /** Deadline of one abuse-protection request (10 s). */
  validationTimeoutMs?: number;
  /** Re-validate a validated handler after this long (1 min). */
  revalidateAfterMs?: number;
  /** Back-off after a failed validation: from min doubling to max (1 s → 1 min). */
  validationRetryMinMs?: number;
  validationRetryMaxMs?: number;
  /** Re-read Key Vault references after this long (5 min). */
  keyVaultRefreshMs?: number;
  /** Retry a Key Vault reference that could not be read after this long (10 s). */
  keyVaultRetryFailedMs?: number;
}

export interface UpstreamLimits {
  /** Largest response body read from a handler (1 MiB: the service's message size limit). */
  maxResponseBytes?: number;
  /** Non-blocking events (connected/disconnected) in flight before new ones are dropped (10 000). */
  maxPendingNonBlocking?: number;
  /** Sockets per handler origin (128). */
  maxSocketsPerOrigin?: number;
}

export interface UpstreamOptions {
  resourceName: string;
  resourceId: string;
  /** The resource's public endpoint (`https://localhost:9001`): its host is WebHook-Request-Origin. */
  publicEndpoint(): string;
  /** May change at run time (regeneration): read on every event. */
  getAccessKeys(): { primaryKey: string; secondaryKey: string };
  /** The hub's `eventHandlers` (hub lower-cased); read on every event, so updates apply at once. */
  getEventHandlers(hub: string): readonly EventHandlerSettings[] | undefined;
  identity: { directory: Directory; issuer: TokenIssuer };
  /** The resource's managed identity now (system- or user-assigned), undefined when none. */
  getManagedIdentity(): ManagedIdentity | undefined;
  /** Origins of the vaults this Lapis serves (Key Vault references may only point there). */
  vaultOrigins?(): readonly string[];
  /** Deliver to private and link-local addresses too (loopback is always allowed). */
  allowPrivateTargets?(): boolean;
  /** Extra CA (PEM) trusted for https handlers and vaults, e.g. Lapis's own CA. */
  ca?: string;
  log: Logger;
  timing?: UpstreamTiming;
  limits?: UpstreamLimits;
}

export interface HandlerStatus {
  hub: string;
  index: number;
  /** The template as configured, secret query values redacted; Key Vault references unresolved. */
  urlTemplate: string;
  userEventPattern: string | undefined;
  systemEvents: SystemEvent[];
  auth: 'None' | 'ManagedIdentity';
  status: 'NotValidated' | ValidationStatus;
  reason?: string | undefined;
  checkedAt?: string | undefined;
}

/** A handler that cannot take events right now, and why (for logs and status; never sent to clients). */
class HandlerUnavailable extends Error {}

interface ConnectionRecord {
  hub: string;
  state: string;
  cookies: Map<string, string>;
  nextEventId: number;
  /** User events and the final `disconnected` of this connection, in order. */
  chain: Promise<unknown>;
  createdAt: number;
  connected: boolean;
}

interface Prepared {
  url(event: string): URL;
  authorization: string | undefined;
}

type Compiled = (CompiledHandler & { error?: undefined }) | { index: number; settings: EventHandlerSettings; error: string; userEvents: 'all' | Set<string> | undefined; systemEvents: Set<SystemEvent> };

interface OutgoingEvent {
  ctx: ClientEventContext;
  record: ConnectionRecord;
  type: string;
  eventName: string;
  contentType: string;
  body: Buffer;
  /** Blocking events read the response; non-blocking ones drop it. */
  blocking: boolean;
}

const PENDING_CONNECT_TTL_MS = 120_000;
const MAX_STATE_BYTES = 16 * 1024;
const MAX_COOKIES = 32;
const MAX_COOKIE_BYTES = 4096;

export class UpstreamDispatcher implements ClientEventHooks {
  readonly #o: UpstreamOptions;
  readonly #http: UpstreamHttpClient;
  readonly #validator: WebhookValidator;
  readonly tokens: ManagedIdentityTokens;
  readonly keyVault: KeyVaultResolver;
  readonly #compiled = new WeakMap<readonly EventHandlerSettings[], Compiled[]>();
  readonly #connections = new Map<string, ConnectionRecord>();
  readonly #status = new Map<string, { status: HandlerStatus['status']; reason?: string | undefined; checkedAt?: number | undefined }>();
  readonly #inflight = new Set<Promise<unknown>>();
  #closed = false;

  constructor(o: UpstreamOptions) {
    this.#o = o;
    this.#http = new UpstreamHttpClient({ ca: o.ca, maxSocketsPerOrigin: o.limits?.maxSocketsPerOrigin });
    this.tokens = new ManagedIdentityTokens(o.identity);
    this.#validator = new WebhookValidator({
      http: this.#http,
      origin: () => {
        const u = new URL(o.publicEndpoint());
        return { hostname: u.hostname, host: u.host };
      },
      timeoutMs: o.timing?.validationTimeoutMs,
      revalidateAfterMs: o.timing?.revalidateAfterMs,
      retryMinMs: o.timing?.validationRetryMinMs,
      retryMaxMs: o.timing?.validationRetryMaxMs,
    });
    this.keyVault = new KeyVaultResolver({
      http: this.#http,
      getToken: () => this.tokens.token(o.getManagedIdentity(), VAULT_AUDIENCE),
      vaultOrigins: () => o.vaultOrigins?.() ?? [],
      refreshAfterMs: o.timing?.keyVaultRefreshMs,
      retryFailedAfterMs: o.timing?.keyVaultRetryFailedMs,
    });
  }

  // ---- ClientEventHooks ------------------------------------------------------------------------

  async connect(request: ConnectRequest): Promise<ConnectResponse | undefined> {
    const hub = request.hub.toLowerCase();
    const handler = this.#match(hub, { system: 'connect' });
    if (!handler) return undefined;
    // The connection id is needed for ce-connectionId and the signature; the session seam passes it
    // when it has one (see docs/upstream.md), otherwise the connect event carries a provisional id.
    const given = (request as ConnectRequest & { connectionId?: string }).connectionId;
    const connectionId = given ?? randomBytes(16).toString('base64url');
    this.#sweepPending();
    const record = this.#record(connectionId, hub);
    const userId = firstString(request.claims.sub);
    const body = Buffer.from(JSON.stringify({
      claims: claimsAsArrays(request.claims),
      query: request.query,
      headers: request.headers,
      subprotocols: request.subprotocols,
      clientCertificates: [],
    }), 'utf8');
    let res: HttpResult;
    try {
      res = await this.#send(handler, hub, 'connect', {
        ctx: { hub, connectionId, userId, subprotocol: undefined },
        record, type: 'azure.webpubsub.sys.connect', eventName: 'connect',
        contentType: 'application/json; charset=utf-8', body, blocking: true,
      });
    } catch (err) {
      this.#connections.delete(connectionId);
      this.#logFailure(err, hub, handler.index, 'connect');
      throw new ConnectRejectedError(500, 'The connect event handler is not available.');
    }
    if (res.status < 200 || res.status >= 300) {
      this.#connections.delete(connectionId);
      if (res.status >= 400 && res.status < 500) throw new ConnectRejectedError(res.status, clientDetail(res.body) || `The connect event handler refused the connection (${res.status}).`);
      this.#o.log.warn({ hub, handler: handler.index, event: 'connect', status: res.status }, 'connect event handler failed');
      throw new ConnectRejectedError(500, res.status >= 300 && res.status < 400
        ? 'The connect event handler answered with a redirect, which is not followed.'
        : `The connect event handler failed (${res.status}).`);
    }
    this.#absorb(record, res);
    const parsed = parseConnectResponse(res.body);
    if (typeof parsed === 'string') {
      this.#connections.delete(connectionId);
      this.#o.log.warn({ hub, handler: handler.index, event: 'connect', problem: parsed }, 'connect event handler returned an invalid response');
      throw new ConnectRejectedError(500, `The connect event handler returned an invalid response: ${parsed}`);
    }
    if (parsed.subprotocol !== undefined && !request.subprotocols.includes(parsed.subprotocol)) {
      this.#connections.delete(connectionId);
      throw new ConnectRejectedError(500, 'The connect event handler chose a subprotocol the client did not offer.');
    }
    if (given === undefined) this.#connections.delete(connectionId); // a provisional record cannot be found again
    return parsed;
  }

  hasUserEventHandler(hub: string, event: string): boolean {
    return this.#match(hub.toLowerCase(), { user: event }) !== undefined;
  }

  async userEvent(ctx: ClientEventContext, event: string, payload: Payload): Promise<Payload | undefined> {
    const hub = ctx.hub.toLowerCase();
    const handler = this.#match(hub, { user: event });
    if (!handler) throw new Error(`No event handler is registered for event '${event}' in hub '${hub}'.`);
    const record = this.#record(ctx.connectionId, hub);
    const run = async (): Promise<Payload | undefined> => {
      let res: HttpResult;
      try {
        res = await this.#send(handler, hub, event, {
          ctx, record, type: `azure.webpubsub.user.${event}`, eventName: event,
          contentType: CONTENT_TYPES[payload.kind], body: payload.data, blocking: true,
        });
      } catch (err) {
        this.#logFailure(err, hub, handler.index, event);
        if (err instanceof HttpCallError && err.kind === 'too-large') throw new Error('The event handler\'s response is too large.');
        if (err instanceof HttpCallError && err.kind === 'timeout') throw new Error('The event handler did not answer in time.');
        throw new Error('The event handler is not available.');
      }
      if (res.status < 200 || res.status >= 300) {
        throw new Error(res.status >= 300 && res.status < 400
          ? `The event handler answered ${res.status} (redirects are not followed).`
          : `The event handler answered ${res.status}.`);
      }
      this.#absorb(record, res);
      return replyPayload(res);
    };
    // One at a time per connection (the session serialises too; this keeps `disconnected` last).
    const result = record.chain.then(run, run);
    record.chain = result.catch(() => undefined);
    return result;
  }

  connected(ctx: ClientEventContext): void {
    const hub = ctx.hub.toLowerCase();
    const record = this.#record(ctx.connectionId, hub);
    record.connected = true;
    const handler = this.#match(hub, { system: 'connected' });
    if (!handler) return;
    this.#background(async () => {
      await this.#sendNonBlocking(handler, hub, 'connected', {
        ctx, record, type: 'azure.webpubsub.sys.connected', eventName: 'connected',
        contentType: 'application/json; charset=utf-8', body: Buffer.from('{}'), blocking: false,
      });
    });
  }

  disconnected(ctx: ClientEventContext, reason: string): void {
    const hub = ctx.hub.toLowerCase();
    const record = this.#connections.get(ctx.connectionId) ?? this.#record(ctx.connectionId, hub);
    const handler = this.#match(hub, { system: 'disconnected' });
    const after = record.chain;
    this.#background(async () => {
      try {
        await after; // after this connection's last user event
        if (handler) {
          await this.#sendNonBlocking(handler, hub, 'disconnected', {
            ctx, record, type: 'azure.webpubsub.sys.disconnected', eventName: 'disconnected',
            contentType: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify({ reason: reason ?? '' }), 'utf8'), blocking: false,
          });
        }
      } finally {
        this.#connections.delete(ctx.connectionId);
      }
    }, () => this.#connections.delete(ctx.connectionId));
  }

  // ---- operations for the control plane and tests ----------------------------------------------

  /** What each of a hub's handlers last did: validated, failed (and why), or not used yet. */
  status(hub: string): HandlerStatus[] {
    const h = hub.toLowerCase();
    return this.#handlers(h).map((c) => {
      const s = c.error ? { status: 'Failed' as const, reason: c.error } : this.#status.get(statusKey(h, c.index));
      return {
        hub: h,
        index: c.index,
        urlTemplate: redactTemplate(c.settings.urlTemplate),
        userEventPattern: c.settings.userEventPattern,
        systemEvents: [...(c.settings.systemEvents ?? [])],
        auth: c.settings.auth?.type ?? 'None',
        status: s?.status ?? 'NotValidated',
        reason: s?.reason,
        checkedAt: s?.checkedAt ? new Date(s.checkedAt).toISOString() : undefined,
      };
    });
  }

  /** Resolves references, gets tokens and validates every handler of a hub now; returns the status. */
  async validate(hub: string): Promise<HandlerStatus[]> {
    const h = hub.toLowerCase();
    for (const c of this.#handlers(h)) {
      if (c.error) continue;
      await this.#prepare(c, h).catch(() => undefined);
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

  async close(): Promise<void> {
    this.#closed = true;
    const deadline = Date.now() + 2000;
    while (this.#inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.#http.close();
    this.#connections.clear();
  }

  // ---- internals ---------------------------------------------------------------------------------

  #handlers(hub: string): Compiled[] {
    const settings = this.#o.getEventHandlers(hub);
    if (!settings || settings.length === 0) return [];
    let compiled = this.#compiled.get(settings);
    if (!compiled) {
      compiled = settings.map((s, i) => safeCompile(s, i));
      this.#compiled.set(settings, compiled);
    }
    return compiled;
  }

  #match(hub: string, what: { system: SystemEvent } | { user: string }): Compiled | undefined {
    for (const c of this.#handlers(hub)) {
      if ('system' in what) {
        if (c.systemEvents.has(what.system)) return c;
      } else if (c.userEvents === 'all' || c.userEvents?.has(what.user.toLowerCase())) {
        return c;
      }
    }
    return undefined;
  }

  #record(connectionId: string, hub: string): ConnectionRecord {
    let r = this.#connections.get(connectionId);
    if (!r) {
      r = { hub, state: '', cookies: new Map(), nextEventId: 0, chain: Promise.resolve(), createdAt: Date.now(), connected: false };
      this.#connections.set(connectionId, r);
    }
    return r;
  }

  /** Records made by `connect` for handshakes that never completed are dropped after a while. */
  #sweepPending(): void {
    const cutoff = Date.now() - PENDING_CONNECT_TTL_MS;
    for (const [id, r] of this.#connections) {
      if (r.createdAt >= cutoff) break; // insertion order = creation order
      if (!r.connected) this.#connections.delete(id);
    }
  }

  /** Resolves references and token, validates the URL: what every request to this handler needs. */
  async #prepare(c: Compiled, hub: string): Promise<Prepared> {
    const key = statusKey(hub, c.index);
    const fail = (reason: string): never => {
      this.#status.set(key, { status: 'Failed', reason, checkedAt: Date.now() });
      throw new HandlerUnavailable(reason);
    };
    if (c.error) fail(c.error);
    const handler = c as CompiledHandler;
    const values: string[] = [];
    for (const ref of handler.keyVaultReferences) {
      try {
        values.push(await this.keyVault.resolve(ref));
      } catch (err) {
        if (err instanceof KeyVaultReferenceError) fail(`Key Vault reference ${ref.secretUri}: ${err.message}`);
        throw err;
      }
    }
    let authorization: string | undefined;
    if (handler.audienceResource !== undefined) {
      try {
        authorization = `Bearer ${await this.tokens.token(this.#o.getManagedIdentity(), handler.audienceResource)}`;
      } catch (err) {
        if (err instanceof ManagedIdentityUnavailable) fail(`managed identity auth: ${err.message}`);
        throw err;
      }
    }
    const url = (event: string): URL => {
      let v = 0;
      const text = handler.parts.map((p) => (p.kind === 'keyVault'
        ? values[v++]!
        : p.text.replace(/\{hub\}/gi, encodeURIComponent(hub)).replace(/\{event\}/gi, encodeURIComponent(event)))).join('');
      let u: URL;
      try {
        u = new URL(text);
      } catch {
        return fail('the URL template with its Key Vault references resolved is not an absolute URL');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('the URL template with its Key Vault references resolved is not an http(s) URL');
      return u;
    };
    const validateUrl = url('validate');
    const allowPrivate = this.#o.allowPrivateTargets?.() ?? false;
    const digest = createHash('sha256').update(`${validateUrl.href}\u0000${authorization ? 'mi' : ''}\u0000${allowPrivate}`).digest('base64url');
    const state = await this.#validator.check(digest, (method, headers) => this.#http.call({
      method, url: validateUrl,
      headers: { ...headers, ...(authorization ? { Authorization: authorization } : {}) },
      timeoutMs: this.#o.timing?.validationTimeoutMs ?? 10_000,
      maxResponseBytes: 64 * 1024, discardBody: true, allowPrivate,
    }));
    if (state.status === 'Failed') fail(state.reason ?? 'abuse-protection validation failed');
    this.#status.set(key, { status: 'Validated', checkedAt: state.checkedAt });
    return { url, authorization };
  }

  async #send(c: Compiled, hub: string, event: string, e: OutgoingEvent): Promise<HttpResult> {
    if (this.#closed) throw new HandlerUnavailable('the service is shutting down');
    const prepared = await this.#prepare(c, hub);
    const url = prepared.url(event);
    const headers = this.#headers(e.ctx, e.record, e.type, e.eventName, e.contentType, prepared.authorization);
    const timing = this.#o.timing;
    const deadline = Date.now() + (timing?.requestTimeoutMs ?? 100_000);
    const delays = timing?.retryDelaysMs ?? [1000, 3000, 5000];
    const allowPrivate = this.#o.allowPrivateTargets?.() ?? false;
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - Date.now();
      let retryable: boolean;
      let outcome: HttpResult | HttpCallError;
      try {
        outcome = await this.#http.call({
          method: 'POST', url, headers, body: e.body, timeoutMs: Math.max(1, remaining),
          maxResponseBytes: this.#o.limits?.maxResponseBytes ?? MIB, discardBody: !e.blocking, allowPrivate,
        });
        retryable = outcome.status === 408 || outcome.status >= 500;
      } catch (err) {
        if (!(err instanceof HttpCallError)) throw err;
        outcome = err;
        retryable = err.transient;
      }
      const delay = delays[attempt];
      if (!retryable || delay === undefined || Date.now() + delay >= deadline || this.#closed) {
        if (outcome instanceof HttpCallError) throw outcome;
        return outcome;
      }
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }

  async #sendNonBlocking(c: Compiled, hub: string, event: string, e: OutgoingEvent): Promise<void> {
    try {
      const res = await this.#send(c, hub, event, e);
      if (res.status < 200 || res.status >= 300) {
        this.#o.log.warn({ hub, handler: c.index, event, status: res.status }, 'event handler answered a non-blocking event with an error');
      }
    } catch (err) {
      this.#logFailure(err, hub, c.index, event);
    }
  }

  #background(task: () => Promise<void>, onDrop?: () => void): void {
    if (this.#inflight.size >= (this.#o.limits?.maxPendingNonBlocking ?? 10_000)) {
      this.#o.log.warn({ resource: this.#o.resourceName }, 'too many pending connected/disconnected events: dropping one');
      onDrop?.();
      return;
    }
    const p = task().catch((err: unknown) => this.#o.log.error({ err }, 'upstream background task failed'));
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #headers(ctx: ClientEventContext, record: ConnectionRecord, type: string, eventName: string, contentType: string, authorization: string | undefined): Record<string, string> {
    const keys = this.#o.getAccessKeys();
    const signature = [keys.primaryKey, keys.secondaryKey]
      .filter((k) => k)
      .map((k) => `sha256=${createHmac('sha256', Buffer.from(k, 'utf8')).update(ctx.connectionId, 'utf8').digest('hex')}`)
      .join(',');
    const h: Record<string, string> = {
      'Content-Type': contentType,
      'ce-specversion': '1.0',
      'ce-awpsversion': '1.0',
      'ce-type': headerValue(type),
      'ce-source': headerValue(`/hubs/${ctx.hub}/client/${ctx.connectionId}`),
      'ce-id': String(record.nextEventId++),
      'ce-time': new Date().toISOString(),
      'ce-hub': headerValue(ctx.hub),
      'ce-connectionId': headerValue(ctx.connectionId),
      'ce-eventName': headerValue(eventName),
      'ce-signature': signature,
      'WebHook-Request-Origin': new URL(this.#o.publicEndpoint()).hostname,
    };
    if (ctx.userId !== undefined && ctx.userId !== '') h['ce-userId'] = headerValue(ctx.userId);
    if (ctx.subprotocol) h['ce-subprotocol'] = headerValue(ctx.subprotocol);
    if (record.state) h['ce-connectionState'] = headerValue(record.state);
    if (record.cookies.size > 0) h.Cookie = [...record.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (authorization) h.Authorization = authorization;
    return h;
  }

  /** Takes `ce-connectionState` and `Set-Cookie` from a 2xx answer to a blocking event. */
  #absorb(record: ConnectionRecord, res: HttpResult): void {
    const state = res.headers['ce-connectionstate'];
    if (typeof state === 'string') {
      if (Buffer.byteLength(state) <= MAX_STATE_BYTES) record.state = state;
      else this.#o.log.warn({ bytes: Buffer.byteLength(state) }, `ce-connectionState over ${MAX_STATE_BYTES} bytes ignored`);
    }
    for (const line of res.headers['set-cookie'] ?? []) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0 || line.length > MAX_COOKIE_BYTES) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k = '', v = ''] = a.split('=').map((x) => x.trim());
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired) record.cookies.delete(name);
      else if (record.cookies.has(name) || record.cookies.size < MAX_COOKIES) record.cookies.set(name, value);
    }
  }

  #logFailure(err: unknown, hub: string, index: number, event: string): void {
    const reason = err instanceof HandlerUnavailable || err instanceof HttpCallError ? err.message : 'unexpected error';
    if (!(err instanceof HandlerUnavailable) && !(err instanceof HttpCallError)) this.#o.log.error({ err, hub, handler: index, event }, 'event delivery failed');
    else this.#o.log.warn({ resource: this.#o.resourceName, hub, handler: index, event, reason }, 'event delivery failed');
  }
}

const CONTENT_TYPES: Record<Payload['kind'], string> = {
  text: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  binary: 'application/octet-stream',
};

/** The template with literal secret query values (e.g. `code=…`) hidden; Key Vault references stay visible. */
function redactTemplate(template: string): string {
  const refs: string[] = [];
  const masked = template.replace(/\{@Microsoft\.KeyVault\([^)]*\)\}/gi, (m) => `KVREF${refs.push(m) - 1}KVREF`);
  const redacted = redactUrl(masked);
  // A parameter whose whole value was a reference is shown with the reference, not masked.
  const restoredParams = masked.split(/[?&]/).slice(1).filter((p) => /^[^=]*=KVREF\d+KVREF$/.test(p));
  let out = redacted;
  for (const p of restoredParams) out = out.replace(`${p.slice(0, p.indexOf('='))}=***`, p);
  return out.replace(/KVREF(\d+)KVREF/g, (_m, i: string) => refs[Number(i)]!);
}

function statusKey(hub: string, index: number): string {
  return `${hub}\u0000${index}`;
}

function safeCompile(s: EventHandlerSettings, index: number): Compiled {
  try {
    return compileHandler(s, index);
  } catch (err) {
    if (!(err instanceof EventHandlerSettingsError)) throw err;
    let userEvents: 'all' | Set<string> | undefined;
    try { userEvents = parseUserEventPattern(s.userEventPattern); } catch { userEvents = undefined; }
    return { index, settings: s, error: `invalid settings (${err.path}): ${err.message}`, userEvents, systemEvents: new Set(s.systemEvents ?? []) };
  }
}

/** HTTP header values are latin1 on the wire: send UTF-8 bytes, drop control characters. */
function headerValue(v: string): string {
  // eslint-disable-next-line no-control-regex
  return Buffer.from(v.replace(/[\u0000-\u001f\u007f]/g, ''), 'utf8').toString('latin1');
}

function firstString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** Connect event claims: every value a string array (reference §5.4). */
function claimsAsArrays(claims: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(claims)) {
    const items = Array.isArray(v) ? v : [v];
    out[k] = items.filter((x) => x !== undefined && x !== null).map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x)));
  }
  return out;
}

/** The connect response (reference §5.4), or a description of what is wrong with it. */
function parseConnectResponse(body: Buffer): ConnectResponse | string {
  const text = body.toString('utf8').trim();
  if (text === '' || text === 'null') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the body is not a JSON object';
  const o = v as Record<string, unknown>;
  const out: ConnectResponse = {};
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (o.userId !== undefined && o.userId !== null) {
    if (typeof o.userId !== 'string') return 'userId must be a string';
    out.userId = o.userId;
  }
  if (o.groups !== undefined && o.groups !== null) {
    if (!strings(o.groups)) return 'groups must be an array of strings';
    out.groups = o.groups as string[];
  }
  if (o.roles !== undefined && o.roles !== null) {
    if (!strings(o.roles)) return 'roles must be an array of strings';
    out.roles = o.roles as string[];
  }
  if (o.subprotocol !== undefined && o.subprotocol !== null) {
    if (typeof o.subprotocol !== 'string' || o.subprotocol === '') return 'subprotocol must be a non-empty string';
    out.subprotocol = o.subprotocol;
  }
  return out;
}

/** The user event's reply to the client, typed by the response Content-Type (reference §5.6). */
function replyPayload(res: HttpResult): Payload | undefined {
  if (res.status === 204 || res.body.length === 0) return undefined;
  const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    try {
      JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new Error('The event handler returned invalid JSON.');
    }
    return { kind: 'json', data: res.body };
  }
  if (type === 'text/plain') return { kind: 'text', data: Buffer.from(res.body.toString('utf8'), 'utf8') };
  return { kind: 'binary', data: res.body };
}

/** A short, printable reason from a 4xx connect answer, for the client's handshake response. */
function clientDetail(body: Buffer): string {
  // eslint-disable-next-line no-control-regex
  return body.subarray(0, 512).toString('utf8').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
