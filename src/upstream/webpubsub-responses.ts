/**
 * Reading a Web PubSub handler's answers: the `connect` response's overrides (reference §5.4),
 * a user event's reply to the sender typed by Content-Type (§5.6), and a short printable reason
 * from a refusing `connect` answer for the client's handshake response.
 */
import type { Payload } from '../messaging/index.ts';
import type { ConnectResponse } from '../protocols/webpubsub/index.ts';
import type { HttpResult } from './http.ts';

/** The connect response, or a description of what is wrong with it. */
export function parseConnectResponse(body: Buffer): ConnectResponse | string {
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

/** The user event's reply to the client, typed by the response Content-Type. */
export function replyPayload(res: HttpResult): Payload | undefined {
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
export function clientDetail(body: Buffer): string {
  // eslint-disable-next-line no-control-regex
  return body.subarray(0, 512).toString('utf8').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
