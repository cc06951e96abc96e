/**
 * What two nodes say to each other about a client served across them (SignalR default mode in a
 * cluster): the client's node ("client side") opens the client on a node holding a server
 * connection of its hub ("serving side"), relays its bytes and its end; the serving side relays
 * the app's bytes and closes. The backplane ships only its own command shapes (its codec refuses
 * anything else), so each message travels as a `send` command on the resource's relay channel: the
 * operation, a small JSON part and the bytes in the `encoded` content, the connection id as its
 * target. Inbound messages come from the network and are validated here (sizes, shapes).
 */
import { z } from 'zod';
import type { ClusterCommand } from '../../../messaging/index.ts';

/** The channel of a resource's relay traffic, beside its messaging channel (the resource id). */
export const relayChannel = (resourceChannel: string): string => `${resourceChannel}#signalr-relay`;

/** Largest JSON part accepted (claims and headers of an open; the rest is tiny). */
const MAX_META_CHARS = 256 * 1024;

const text = z.string().max(4096);
const openMeta = z.strictObject({
  /** The client's node: where the serving side sends the app's bytes. */
  node: text,
  protocol: z.enum(['json', 'messagepack']),
  userId: text.optional(),
  claims: z.record(z.string().max(1024), z.unknown()),
  headers: z.record(z.string().max(4096), z.array(z.string().max(4096)).max(64)),
  query: z.string().max(64 * 1024),
  transport: z.enum(['WebSockets', 'ServerSentEvents', 'LongPolling']),
});
const endMeta = z.strictObject({ error: z.string().max(4096).optional(), allowReconnect: z.boolean().optional() });
const checkMeta = z.strictObject({ node: text });

export type OpenMeta = z.infer<typeof openMeta>;
export type EndMeta = z.infer<typeof endMeta>;

export type RelayMessage =
  /** Client side → serving side (a request: answered matched 1, or matched 0 with the refusal as `error`). */
  | { op: 'open'; hub: string; connectionId: string; meta: OpenMeta; data: Buffer }
  /** Client side → serving side: client bytes after the handshake request. */
  | { op: 'data'; hub: string; connectionId: string; data: Buffer }
  /** Client side → serving side: the client is gone. */
  | { op: 'ended'; hub: string; connectionId: string; meta: EndMeta }
  /** Serving side → client side: the app's bytes for the client. */
  | { op: 'app'; hub: string; connectionId: string; data: Buffer }
  /** Serving side → client side: Lapis closes the client (its server connection went away, shutdown). */
  | { op: 'close'; hub: string; connectionId: string; meta: EndMeta }
  /** Serving side → client side: the app closed the client (it already sent its hub Close). */
  | { op: 'closeByApp'; hub: string; connectionId: string; meta: EndMeta }
  /**
   * Either side → the other (a request): the ids of the clients the two nodes share, one per line
   * in `data`; answered with the ids the receiver does not hold (an end lost on the way).
   */
  | { op: 'check'; hub: string; connectionId: string; meta: { node: string }; data: Buffer };

/** Which nodes hold client-carrying server connections for a hub: each answers with its id and server ids. */
export const lookupCommand = (hub: string): ClusterCommand => ({ type: 'listGroup', hub, group: '' });

export function encodeRelay(m: RelayMessage): ClusterCommand {
  const bytes: Record<string, Buffer> = { op: Buffer.from(m.op) };
  if ('meta' in m) bytes.meta = Buffer.from(JSON.stringify(m.meta));
  if ('data' in m) bytes.data = m.data;
  return { type: 'send', hub: m.hub, target: { scope: 'connection', connectionId: m.connectionId }, content: { kind: 'encoded', bytes } };
}

/** The relay message a command carries, or a reason it is not one. Never throws. */
export function decodeRelay(command: ClusterCommand): { ok: true; message: RelayMessage } | { ok: false; reason: string } {
  if (command.type !== 'send' || command.target.scope !== 'connection' || command.content.kind !== 'encoded') return { ok: false, reason: 'not a relay message' };
  const { hub } = command;
  const connectionId = command.target.connectionId;
  const parts = command.content.bytes;
  const op = parts.op?.toString();
  const data = parts.data === undefined ? undefined : Buffer.from(parts.data.buffer, parts.data.byteOffset, parts.data.byteLength);
  let meta: unknown;
  if (parts.meta !== undefined) {
    if (parts.meta.byteLength > MAX_META_CHARS) return { ok: false, reason: 'relay metadata too large' };
    try {
      meta = JSON.parse(Buffer.from(parts.meta).toString('utf8'));
    } catch {
      return { ok: false, reason: 'relay metadata is not JSON' };
    }
  }
  switch (op) {
    case 'open': {
      const parsed = openMeta.safeParse(meta);
      if (!parsed.success || !data) return { ok: false, reason: 'bad open' };
      return { ok: true, message: { op, hub, connectionId, meta: parsed.data, data } };
    }
    case 'data':
    case 'app':
      if (!data) return { ok: false, reason: `bad ${op}` };
      return { ok: true, message: { op, hub, connectionId, data } };
    case 'check': {
      const parsed = checkMeta.safeParse(meta);
      if (!parsed.success || !data) return { ok: false, reason: 'bad check' };
      return { ok: true, message: { op, hub, connectionId, meta: parsed.data, data } };
    }
    case 'ended':
    case 'close':
    case 'closeByApp': {
      const parsed = endMeta.safeParse(meta ?? {});
      if (!parsed.success) return { ok: false, reason: `bad ${op}` };
      return { ok: true, message: { op, hub, connectionId, meta: parsed.data } };
    }
    default:
      return { ok: false, reason: 'unknown relay operation' };
  }
}

/** Headers as OpenConnection carries them, as a plain object (what crosses nodes: no credentials). */
export function headersObject(headers: ReadonlyMap<string, readonly (string | null)[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, values] of headers) out[name] = values.filter((v): v is string => v !== null);
  return out;
}
