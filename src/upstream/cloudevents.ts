/**
 * Web PubSub's request shape (reference §5.3): CloudEvents in binary mode — `ce-*` headers, the
 * event's data as the body. Only the shape lives here; where it goes, with which token, and how
 * it is retried is delivery's business (delivery.ts), so another protocol can bring its own shape.
 */
import type { Payload } from '../messaging/index.ts';
import type { ClientEventContext } from '../protocols/webpubsub/index.ts';
import type { UpstreamRequest } from './delivery.ts';

/** One event of one connection, as the dispatcher knows it. */
export interface CloudEvent {
  ctx: ClientEventContext;
  /** `azure.webpubsub.sys.connect`, `azure.webpubsub.user.<event>`, … */
  type: string;
  eventName: string;
  /** Event number within the connection (the same on a retry). */
  id: number;
  contentType: string;
  body: Buffer;
  blocking: boolean;
  /** The connection's state and cookies as the handler last set them. */
  state: string;
  cookies: ReadonlyMap<string, string>;
}

export interface CloudEventSource {
  /** `sha256=…` per access key for a connection id (signature.ts). */
  signature(connectionId: string): string;
  /** Host name sent as WebHook-Request-Origin. */
  requestOrigin(): string;
}

export const CONTENT_TYPES: Record<Payload['kind'], string> = {
  text: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  binary: 'application/octet-stream',
  // As Azure sends a protobuf client's `protobuf_data` event: the encoded Any, as-is.
  protobuf: 'application/x-protobuf',
};

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function cloudEventRequest(e: CloudEvent, source: CloudEventSource): UpstreamRequest {
  const { ctx } = e;
  const h: Record<string, string> = {
    'Content-Type': e.contentType,
    'ce-specversion': '1.0',
    'ce-awpsversion': '1.0',
    'ce-type': headerValue(e.type),
    'ce-source': headerValue(`/hubs/${ctx.hub}/client/${ctx.connectionId}`),
    'ce-id': String(e.id),
    'ce-time': isoNow(),
    'ce-hub': headerValue(ctx.hub),
    'ce-connectionId': headerValue(ctx.connectionId),
    'ce-eventName': headerValue(e.eventName),
    'ce-signature': source.signature(ctx.connectionId),
    'WebHook-Request-Origin': source.requestOrigin(),
  };
  if (ctx.userId !== undefined && ctx.userId !== '') h['ce-userId'] = headerValue(ctx.userId);
  if (ctx.subprotocol) h['ce-subprotocol'] = headerValue(ctx.subprotocol);
  if (e.state) h['ce-connectionState'] = headerValue(e.state);
  if (e.cookies.size > 0) h.Cookie = [...e.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return { headers: h, body: e.body, blocking: e.blocking };
}

/** The `connect` event's body (reference §5.4): every claim value a string array. */
export function connectEventBody(request: { claims: Record<string, unknown>; query: unknown; headers: unknown; subprotocols: unknown }): Buffer {
  return Buffer.from(JSON.stringify({
    claims: claimsAsArrays(request.claims),
    query: request.query,
    headers: request.headers,
    subprotocols: request.subprotocols,
    clientCertificates: [],
  }), 'utf8');
}

/** HTTP header values are latin1 on the wire: send UTF-8 bytes, drop control characters. */
export function headerValue(v: string): string {
  // Printable ASCII (hub names, connection ids, most user ids) is its own UTF-8: nothing to convert.
  if (PRINTABLE_ASCII.test(v)) return v;
  // eslint-disable-next-line no-control-regex
  return Buffer.from(v.replace(/[\u0000-\u001f\u007f]/g, ''), 'utf8').toString('latin1');
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

let isoAt = -1;
let isoText = '';

/** `new Date().toISOString()`, built once per millisecond however many events share it. */
export function isoNow(): string {
  const now = Date.now();
  if (now !== isoAt) {
    isoAt = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** A claim's value as one string (the first, when the token carries an array), e.g. the user from `sub`. */
export function claimString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function claimsAsArrays(claims: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(claims)) {
    const items = Array.isArray(v) ? v : [v];
    out[k] = items.filter((x) => x !== undefined && x !== null).map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x)));
  }
  return out;
}
