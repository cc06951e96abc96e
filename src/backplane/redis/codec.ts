/**
 * What nodes say to each other: a short header naming the sender (one length byte, then the
 * node id in ASCII), so that a node can drop the echo of its own publications without decoding
 * them, then the envelope as MessagePack (binary payloads travel as bytes, never as JSON text).
 * Inbound messages come from the network: each is size-checked, decoded with bounded lengths and
 * validated against the exact shapes below; anything else is refused with a reason.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { z } from 'zod';
import type { ClusterCommand, CommandResult } from '../../messaging/commands.ts';

export type Envelope =
  /** Fan-out on a resource channel. */
  | { k: 'pub'; from: string; ch: string; cmd: ClusterCommand }
  /** To one node: apply, no answer. */
  | { k: 'p2p'; from: string; ch: string; cmd: ClusterCommand }
  /** To one node: apply and answer to `from` with the same id. */
  | { k: 'req'; from: string; ch: string; id: number; cmd: ClusterCommand }
  | { k: 'rep'; from: string; id: number; res: CommandResult[] };

const text = z.string();
const bytes = z.instanceof(Uint8Array).transform((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength));
const optText = z.string().optional();
const strings = z.array(z.string());

const target = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('hub') }),
  z.strictObject({ scope: z.literal('group'), group: text }),
  z.strictObject({ scope: z.literal('user'), userId: text }),
  z.strictObject({ scope: z.literal('connection'), connectionId: text }),
]);

const content = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('webpubsub'),
    payload: z.strictObject({ kind: z.enum(['text', 'json', 'binary', 'protobuf']), data: bytes }),
    from: z.enum(['server', 'group']),
    group: optText,
    fromUserId: optText,
  }),
  z.strictObject({ kind: z.literal('invocation'), target: text, arguments: z.array(z.unknown()) }),
  z.strictObject({ kind: z.literal('encoded'), bytes: z.record(z.string(), bytes) }),
]);

const action = z.enum(['joinLeaveGroup', 'sendToGroup']);

const command = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('send'), hub: text, target, content, excluded: strings.optional(), filter: optText }),
  z.strictObject({ type: z.literal('close'), hub: text, target, excluded: strings.optional(), reason: text }),
  z.strictObject({ type: z.enum(['addToGroups', 'removeFromGroups']), hub: text, target, groups: strings, filter: optText }),
  z.strictObject({ type: z.literal('removeFromAllGroups'), hub: text, target }),
  z.strictObject({ type: z.enum(['grant', 'revoke']), hub: text, connectionId: text, action, group: optText }),
  z.strictObject({ type: z.literal('exists'), hub: text, target }),
  z.strictObject({ type: z.literal('hasPermission'), hub: text, connectionId: text, action, group: optText }),
  z.strictObject({ type: z.literal('listGroup'), hub: text, group: text }),
  z.strictObject({ type: z.literal('listConnections'), hub: text, after: optText, limit: z.number().int().min(1).max(1000) }),
  z.strictObject({ type: z.literal('addUserToGroup'), hub: text, userId: text, group: text, ttlSeconds: z.number().optional() }),
  z.strictObject({ type: z.literal('removeUserFromGroup'), hub: text, userId: text, group: optText }),
  z.strictObject({ type: z.literal('userInGroup'), hub: text, userId: text, group: text }),
]);

const result = z.strictObject({
  matched: z.number().int().nonnegative(),
  allowed: z.boolean().optional(),
  members: z.array(z.strictObject({ connectionId: text, userId: optText })).optional(),
  connections: z.array(z.strictObject({
    connectionId: text, userId: optText, groups: strings, roles: strings, protocol: text, connectedAt: z.number(),
  })).max(1000).optional(),
  error: optText,
});

const requestId = z.number().int().nonnegative();
const envelope = z.discriminatedUnion('k', [
  z.strictObject({ k: z.enum(['pub', 'p2p']), from: text, ch: text, cmd: command }),
  z.strictObject({ k: z.literal('req'), from: text, ch: text, id: requestId, cmd: command }),
  z.strictObject({ k: z.literal('rep'), from: text, id: requestId, res: z.array(result) }),
]);

/** Optional fields left undefined are omitted rather than sent as nil (the validator wants them absent). */
const encoder = new Encoder({ ignoreUndefined: true });
/** One decoder per size limit (normally one), reused: every length in a message is bounded by the limit, and nothing but plain MessagePack is accepted (no extension types). */
const decoders = new Map<number, Decoder>();

function decoderFor(maxBytes: number): Decoder {
  let d = decoders.get(maxBytes);
  if (!d) {
    if (decoders.size > 8) decoders.clear();
    d = new Decoder({ maxStrLength: maxBytes, maxBinLength: maxBytes, maxArrayLength: maxBytes, maxMapLength: maxBytes, maxExtLength: 0 });
    decoders.set(maxBytes, d);
  }
  return d;
}

/** Prefixes a MessagePack body with the sender header (node ids are ASCII, at most 255 bytes). */
export function withSender(from: string, body: Uint8Array): Uint8Array {
  const id = Buffer.from(from, 'latin1');
  if (id.length === 0 || id.length > 255) throw new RangeError('a sender id is 1 to 255 bytes');
  const out = Buffer.allocUnsafe(1 + id.length + body.byteLength);
  out[0] = id.length;
  id.copy(out, 1);
  out.set(body, 1 + id.length);
  return out;
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  return withSender(e.from, encoder.encodeSharedRef(e));
}

/** Whether a message's header names `sender` (the id's bytes, as `Buffer.from(id, 'latin1')`). */
export function isFrom(data: Uint8Array, sender: Buffer): boolean {
  return data.byteLength > sender.length && data[0] === sender.length && sender.equals(data.subarray(1, 1 + sender.length));
}

export type Decoded = { ok: true; envelope: Envelope } | { ok: false; reason: string };

/** Never throws: a malformed, oversized or unexpected message comes back as a reason. */
export function decodeEnvelope(data: Uint8Array, maxBytes: number): Decoded {
  if (data.byteLength > maxBytes) return { ok: false, reason: `message of ${data.byteLength} bytes exceeds ${maxBytes}` };
  const idLength = data[0] ?? 0;
  if (idLength === 0 || data.byteLength <= 1 + idLength) return { ok: false, reason: 'no sender header' };
  const sender = Buffer.from(data.buffer, data.byteOffset + 1, idLength).toString('latin1');
  let raw: unknown;
  try {
    raw = decoderFor(maxBytes).decode(data.subarray(1 + idLength));
  } catch (err) {
    return { ok: false, reason: `not MessagePack: ${(err as Error).message}` };
  }
  const parsed = envelope.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  if (parsed.data.from !== sender) return { ok: false, reason: 'the header and the envelope name different senders' };
  // The schema mirrors ClusterCommand / CommandResult field by field; the assignment checks it.
  const checked: Envelope = parsed.data;
  return { ok: true, envelope: checked };
}
