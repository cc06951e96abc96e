/**
 * Encoding messages to wire bytes: MessagePack body with the VarInt length prefix in front. Works
 * for every message type in both directions, so tests can play the app server with the same code.
 */
import { MsgpackWriter } from './msgpack-writer.ts';
import { writeMessage } from './encode-messages.ts';
import { varIntPrefix } from './framing.ts';
import type { ServiceMessage } from './types.ts';

/** The MessagePack body alone (no length prefix). */
export function encodeServiceMessageBody(message: ServiceMessage): Uint8Array {
  const w = new MsgpackWriter(estimate(message));
  writeMessage(w, message);
  return w.bytes();
}

/**
 * One complete framed message, ready to send as (part of) a binary WebSocket frame. The body is
 * written after 5 bytes of headroom and the length prefix goes in front of it, so a data payload is
 * copied once.
 */
export function encodeServiceMessage(message: ServiceMessage): Uint8Array {
  const w = new MsgpackWriter(estimate(message) + PREFIX_HEADROOM, PREFIX_HEADROOM);
  writeMessage(w, message);
  return w.bytesWithPrefix(varIntPrefix(w.length));
}

/** The longest VarInt length prefix. */
const PREFIX_HEADROOM = 5;

/** Several messages in one buffer (one WebSocket frame may carry many). */
export function encodeServiceMessages(messages: readonly ServiceMessage[]): Uint8Array {
  const parts = messages.map(encodeServiceMessage);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** A starting capacity that avoids regrowth for data messages. */
function estimate(m: ServiceMessage): number {
  let n = 128;
  if ('payload' in m && m.payload) n += m.payload.length;
  if ('payloads' in m) for (const p of m.payloads.values()) n += p.length + 16;
  return n;
}
