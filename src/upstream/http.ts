/**
 * The HTTP client for event handlers, on node:http(s) rather than fetch so that every limit is
 * explicit: a deadline per request, a cap on the response body (the socket is cut past it),
 * redirects never followed, the connected address checked against the target policy, keep-alive
 * pools with a bound on sockets per handler origin.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { AgentPool } from './agents.ts';
import { HttpCallError, TargetRefused } from './errors.ts';
import { refuseAddress } from './targets.ts';
import type { ResolveAll } from './targets.ts';

export { HttpCallError } from './errors.ts';

export interface HttpCallOptions {
  method: 'GET' | 'POST' | 'OPTIONS';
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** Larger bodies abort the request (the response is discarded). */
  maxResponseBytes: number;
  /** Read and drop the body instead of buffering it (non-blocking events). */
  discardBody?: boolean;
  allowPrivate: boolean;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

export interface HttpClientOptions {
  /** Extra CA certificate (PEM) trusted for https handlers, besides the default store. */
  ca?: string | undefined;
  /** Sockets per handler origin (default 128): a slow handler queues its own requests only. */
  maxSocketsPerOrigin?: number | undefined;
  /**
   * Requests waiting for a socket per handler origin, beyond those on a socket (default 256).
   * Past it a request is refused at once (`UpstreamQueueFull`) instead of joining the agent's queue.
   */
  maxQueuedPerOrigin?: number | undefined;
  /** Replaces the system resolver (tests). */
  resolve?: ResolveAll | undefined;
  /** Told about socket errors absorbed by the per-socket guard. */
  onSocketError?(err: Error): void;
}

export class UpstreamHttpClient {
  readonly #agents: AgentPool;
  /** Requests started and not yet settled, per origin: on a socket or in the agent's queue. */
  readonly #active = new Map<string, number>();
  readonly #maxActive: number;
  /** Requests refused because their origin's queue was full (for tests and metrics). */
  refusedQueueFull = 0;

  constructor(opts: HttpClientOptions = {}) {
    const maxSockets = opts.maxSocketsPerOrigin ?? 128;
    this.#maxActive = maxSockets + (opts.maxQueuedPerOrigin ?? 256);
    this.#agents = new AgentPool({ ca: opts.ca, maxSocketsPerOrigin: maxSockets, resolve: opts.resolve, onSocketError: opts.onSocketError });
  }

  /** Requests in flight or queued for an origin (`http://host:port`). */
  activeFor(origin: string): number {
    return this.#active.get(origin) ?? 0;
  }

  call(o: HttpCallOptions): Promise<HttpResult> {
    return new Promise<HttpResult>((resolve, reject) => {
      const target = targetOf(o.url);
      if (target.ip) {
        const why = target.refusal(o.allowPrivate);
        if (why) {
          reject(new HttpCallError('refused', why));
          return;
        }
      }
      // Bounded queue per origin: node's agent would queue without limit behind maxSockets.
      const origin = target.origin;
      const active = this.#active.get(origin) ?? 0;
      if (active >= this.#maxActive) {
        this.refusedQueueFull++;
        reject(new HttpCallError('queue-full', `${active} requests are already in flight or queued for this handler origin (limit ${this.#maxActive})`));
        return;
      }
      this.#active.set(origin, active + 1);
      const secure = target.secure;
      const send = secure ? httpsRequest : httpRequest;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, result?: HttpResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const left = (this.#active.get(origin) ?? 1) - 1;
        if (left > 0) this.#active.set(origin, left);
        else this.#active.delete(origin);
        if (err) reject(err);
        else resolve(result!);
      };
      const headers: Record<string, string> = { ...o.headers };
      if (o.body) headers['Content-Length'] = String(o.body.length);
      let req: ReturnType<typeof send>;
      try {
        req = send({
          ...target.request,
          method: o.method,
          headers,
          // The agent carries the guarded `lookup` and checks each new socket's remote address.
          agent: this.#agents.agent(secure, o.allowPrivate),
          // Never follow redirects (node:http does not), never decompress (no Accept-Encoding sent).
        });
      } catch (err) {
        // e.g. a header value node refuses: the request never left, and the slot is given back.
        finish(new HttpCallError('network', `the request could not be sent (${(err as NodeJS.ErrnoException).code ?? 'invalid request'})`));
        return;
      }
      timer = setTimeout(() => {
        finish(new HttpCallError('timeout', `no response within ${Math.round(o.timeoutMs / 1000)} s`));
        req.destroy();
      }, o.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof TargetRefused) finish(new HttpCallError('refused', err.message));
        else finish(new HttpCallError('network', describeNetworkError(err), TRANSIENT.has(err.code ?? '')));
      });
      req.on('response', (res: IncomingMessage) => {
        const declared = Number(res.headers['content-length']);
        if (!o.discardBody && Number.isFinite(declared) && declared > o.maxResponseBytes) {
          finish(new HttpCallError('too-large', `the response body (${declared} bytes) exceeds the ${o.maxResponseBytes}-byte limit`));
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > o.maxResponseBytes) {
            finish(new HttpCallError('too-large', `the response body exceeds the ${o.maxResponseBytes}-byte limit`));
            req.destroy();
            return;
          }
          if (!o.discardBody) chunks.push(chunk);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (err: NodeJS.ErrnoException) => finish(new HttpCallError('network', describeNetworkError(err), true)));
        res.on('aborted', () => finish(new HttpCallError('network', 'the connection was reset while reading the response', true)));
      });
      req.end(o.body);
    });
  }

  close(): void {
    this.#agents.destroy();
  }
}

/** What a call needs of its URL besides the URL itself, read once per URL object (resolved targets reuse theirs). */
interface TargetFacts {
  origin: string;
  secure: boolean;
  /** What node:http would derive from the URL (its urlToHttpOptions), derived once. */
  request: { protocol: string; hostname: string; port?: number; path: string; auth?: string };
  /** An IP literal host (no DNS lookup, so the address policy is checked here). */
  ip: boolean;
  refusal(allowPrivate: boolean): string | undefined;
}

const facts = new WeakMap<URL, TargetFacts>();

function targetOf(url: URL): TargetFacts {
  let f = facts.get(url);
  if (!f) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const ip = isIP(host) !== 0;
    const refusals: (string | undefined | null)[] = [null, null];
    const request: TargetFacts['request'] = { protocol: url.protocol, hostname: host, path: `${url.pathname}${url.search}` };
    if (url.port !== '') request.port = Number(url.port);
    if (url.username || url.password) request.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    f = {
      origin: url.origin, secure: url.protocol === 'https:', ip, request,
      refusal: (allowPrivate) => {
        const i = allowPrivate ? 1 : 0;
        let why = refusals[i];
        if (why === null) why = refusals[i] = ip ? refuseAddress(host, allowPrivate) : undefined;
        return why;
      },
    };
    facts.set(url, f);
  }
  return f;
}

function describeNetworkError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'the connection was refused';
    case 'ECONNRESET': return 'the connection was reset';
    case 'EPIPE': return 'the connection was closed while sending';
    case 'ENOTFOUND': return 'the host name does not resolve';
    case 'EAI_AGAIN': return 'the host name could not be resolved (temporary failure)';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'the host is unreachable';
    default:
      if (err.code?.startsWith('HPE_')) return `the handler did not answer with valid HTTP (${err.code})`;
      if (err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') || err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
        return `the TLS certificate is not trusted (${err.code})`;
      }
      return err.code ? `network error ${err.code}` : 'network error';
  }
}
