/**
 * The HTTP client for event handlers, on node:http(s) rather than fetch so that every limit is
 * explicit: a deadline per request, a cap on the response body (the socket is cut past it),
 * redirects never followed, the connected address checked against the target policy, keep-alive
 * pools with a bound on sockets per handler origin.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { guardedLookup, refuseAddress, TargetRefused } from './targets.ts';

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

/** Why a request produced no HTTP response; `transient` errors are worth a retry. */
export class HttpCallError extends Error {
  readonly kind: 'timeout' | 'network' | 'too-large' | 'refused';
  /** Connection refused or reset, temporary DNS failure: Azure retries these (reference §5.8). */
  readonly transient: boolean;
  constructor(kind: HttpCallError['kind'], message: string, transient = false) {
    super(message);
    this.kind = kind;
    this.transient = transient;
  }
}

const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

export interface HttpClientOptions {
  /** Extra CA certificate (PEM) trusted for https handlers, besides the default store. */
  ca?: string | undefined;
  /** Sockets per handler origin (default 128): a slow handler queues its own requests only. */
  maxSocketsPerOrigin?: number;
}

export class UpstreamHttpClient {
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;

  constructor(opts: HttpClientOptions = {}) {
    const maxSockets = opts.maxSocketsPerOrigin ?? 128;
    this.#http = new HttpAgent({ keepAlive: true, maxSockets, maxFreeSockets: 16, timeout: 60_000 });
    this.#https = new HttpsAgent({
      keepAlive: true, maxSockets, maxFreeSockets: 16, timeout: 60_000,
      ...(opts.ca ? { ca: [...tls.getCACertificates('default'), opts.ca] } : {}),
    });
  }

  call(o: HttpCallOptions): Promise<HttpResult> {
    return new Promise<HttpResult>((resolve, reject) => {
      const host = o.url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host)) {
        const why = refuseAddress(host, o.allowPrivate);
        if (why) {
          reject(new HttpCallError('refused', why));
          return;
        }
      }
      const secure = o.url.protocol === 'https:';
      const send = secure ? httpsRequest : httpRequest;
      let settled = false;
      const finish = (err: Error | undefined, result?: HttpResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(result!);
      };
      const headers: Record<string, string> = { ...o.headers };
      if (o.body) headers['Content-Length'] = String(o.body.length);
      const req = send(o.url, {
        method: o.method,
        headers,
        agent: secure ? this.#https : this.#http,
        lookup: guardedLookup(o.allowPrivate) as never,
        // Never follow redirects (node:http does not), never decompress (no Accept-Encoding sent).
      });
      const timer = setTimeout(() => {
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
    this.#http.destroy();
    this.#https.destroy();
  }
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
      if (err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') || err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
        return `the TLS certificate is not trusted (${err.code})`;
      }
      return err.code ? `network error ${err.code}` : 'network error';
  }
}
