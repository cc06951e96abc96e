/**
 * The SignalR serverless upstream request (reference §3.2): a POST with `X-ASRS-*` headers and a
 * hub-protocol body — not CloudEvents. Header values come from the client's token and connect
 * URL, so they are made header-safe and bounded here rather than trusted.
 */
import type { SignatureCache } from '../signature.ts';
import type { UpstreamRequest } from '../delivery.ts';
import type { SignalRCategory } from './templates.ts';

/** What the upstream needs to know about a client connection (the SignalR runtime's `ClientConnectionInfo` fits). */
export interface SignalRConnectionInfo {
  hub: string;
  connectionId: string;
  identity: { userId: string | undefined; claims: Readonly<Record<string, unknown>> };
  /** The connect query string with its leading `?`. */
  query: string;
}

/** Largest value of one header Lapis writes from client-controlled text (user id, claims, query). */
export const MAX_HEADER_VALUE = 8 * 1024;

/** Token claims that describe the token rather than the user: not forwarded as user claims. */
const TOKEN_CLAIMS = new Set(['aud', 'exp', 'iat', 'nbf']);

const JSON_TYPE = 'application/json';
const CONNECTED_BODY = Buffer.from('{"type":10}');

/**
 * Node refuses header values with control characters or code points above U+00FF. Non-Latin-1
 * text is sent as its UTF-8 bytes (what Azure sends); control characters become spaces.
 */
export function headerSafe(value: string, max = MAX_HEADER_VALUE): string {
  // eslint-disable-next-line no-control-regex
  let v = value.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ' ');
  if (/[^\u0000-\u007f]/.test(v)) v = Buffer.from(v, 'utf8').toString('latin1');
  return v.length > max ? v.slice(0, max) : v;
}

/** `type: value` items joined with `, ` (how the Functions extension reads X-ASRS-User-Claims). */
export function claimsHeader(claims: Readonly<Record<string, unknown>>): string {
  const items: string[] = [];
  for (const [type, value] of Object.entries(claims)) {
    if (TOKEN_CLAIMS.has(type) || type.startsWith('asrs.s.')) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v === undefined || v === null) continue;
      items.push(`${type}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    }
  }
  return items.join(', ');
}

/** Builds the requests of one resource; signatures are cached per connection by the shared cache. */
export class SignalRRequestBuilder {
  readonly #signatures: SignatureCache;
  readonly #getAccessKeys: () => { primaryKey: string; secondaryKey: string };
  /** Per-connection headers that never change (claims, query): built once, on first use. */
  readonly #fixed = new WeakMap<SignalRConnectionInfo, Record<string, string>>();

  constructor(signatures: SignatureCache, getAccessKeys: () => { primaryKey: string; secondaryKey: string }) {
    this.#signatures = signatures;
    this.#getAccessKeys = getAccessKeys;
  }

  headers(info: SignalRConnectionInfo, category: SignalRCategory, event: string, contentType: string): Record<string, string> {
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      ...this.#connectionHeaders(info),
      'X-ASRS-Category': category,
      'X-ASRS-Event': headerSafe(event, 1024),
    };
    // Keys are read per event (regeneration applies at once); a resource without keys sends none.
    const signature = this.#signatures.sign(info.connectionId, this.#getAccessKeys());
    if (signature) headers['X-ASRS-Signature'] = signature;
    return headers;
  }

  connected(info: SignalRConnectionInfo): UpstreamRequest {
    return { headers: this.headers(info, 'connections', 'connected', JSON_TYPE), body: CONNECTED_BODY, blocking: false };
  }

  disconnected(info: SignalRConnectionInfo, error: string | undefined): UpstreamRequest {
    const body = Buffer.from(JSON.stringify(error ? { Type: 11, Error: error } : { Type: 11 }));
    return { headers: this.headers(info, 'connections', 'disconnected', JSON_TYPE), body, blocking: false };
  }

  /** The client's invocation in its own protocol, unframed (`body` is exactly what the client sent). */
  invocation(info: SignalRConnectionInfo, target: string, contentType: string, body: Buffer, blocking: boolean): UpstreamRequest {
    return { headers: this.headers(info, 'messages', target, contentType), body, blocking };
  }

  forget(connectionId: string): void {
    this.#signatures.forget(connectionId);
  }

  #connectionHeaders(info: SignalRConnectionInfo): Record<string, string> {
    let fixed = this.#fixed.get(info);
    if (fixed === undefined) {
      fixed = { 'X-ASRS-Connection-Id': headerSafe(info.connectionId, 256), 'X-ASRS-Hub': headerSafe(info.hub, 256) };
      if (info.identity.userId !== undefined && info.identity.userId !== '') fixed['X-ASRS-User-Id'] = headerSafe(info.identity.userId, 1024);
      const claims = claimsHeader(info.identity.claims);
      if (claims) fixed['X-ASRS-User-Claims'] = headerSafe(claims);
      if (info.query) fixed['X-ASRS-Client-Query'] = headerSafe(info.query);
      this.#fixed.set(info, fixed);
    }
    return fixed;
  }
}
