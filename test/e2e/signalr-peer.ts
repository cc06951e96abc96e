/**
 * A hand-driven SignalR peer over `ws` (valid WebSocket framing, arbitrary hub-protocol bytes),
 * for tests that need what the official client never sends. It records every frame the server
 * writes, decodes them as the chosen hub protocol, and reports how the socket closed.
 */
import { decode } from '@msgpack/msgpack';
import { WebSocket } from 'ws';
import { RS } from './signalr-hostile.ts';

export interface PeerClose { code: number; reason: string }

export interface HubPeer {
  ws: WebSocket;
  /** Every byte the server sent, in order. */
  bytes(): Buffer;
  /** The handshake reply (`{}` or `{"error":…}`) and the hub messages after it, decoded. */
  messages(protocol: 'json' | 'messagepack'): { handshake: unknown; hub: unknown[] };
  /** Resolves when the server closed the socket (or rejects after `ms`). */
  closed(ms?: number): Promise<PeerClose>;
  /** Waits until the decoded messages satisfy `pred` (or rejects after `ms`). */
  until(protocol: 'json' | 'messagepack', pred: (m: { handshake: unknown; hub: unknown[] }) => boolean, ms?: number): Promise<{ handshake: unknown; hub: unknown[] }>;
}

export async function openPeer(url: string, headers: Record<string, string> = {}): Promise<HubPeer> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  const chunks: Buffer[] = [];
  const wake = new Set<() => void>();
  let close: PeerClose | undefined;
  ws.on('message', (d) => {
    chunks.push(Buffer.from(d as Buffer));
    for (const f of [...wake]) f();
  });
  ws.on('close', (code, reason) => {
    close = { code, reason: reason.toString() };
    for (const f of [...wake]) f();
  });
  ws.on('error', () => { /* reported through close */ });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const bytes = () => Buffer.concat(chunks);
  const messages = (protocol: 'json' | 'messagepack') => decodeStream(bytes(), protocol);
  const wait = <T>(check: () => T | undefined, ms: number, what: string) => new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { wake.delete(f); reject(new Error(`${what} within ${ms} ms; got ${JSON.stringify(bytes().toString('latin1').slice(0, 300))}`)); }, ms);
    const f = () => {
      const v = check();
      if (v === undefined) return;
      clearTimeout(timer);
      wake.delete(f);
      resolve(v);
    };
    wake.add(f);
    f();
  });
  return {
    ws, bytes, messages,
    closed: (ms = 5000) => wait(() => close, ms, 'no close'),
    until: (protocol, pred, ms = 5000) => wait(() => {
      try {
        const m = messages(protocol);
        return pred(m) ? m : undefined;
      } catch {
        return undefined; // a partial message: wait for more
      }
    }, ms, 'no matching message'),
  };
}

/** The JSON handshake reply, then hub messages: JSON records or VarInt-prefixed MessagePack arrays. */
export function decodeStream(all: Buffer, protocol: 'json' | 'messagepack'): { handshake: unknown; hub: unknown[] } {
  const end = all.indexOf(0x1e);
  if (end < 0) return { handshake: undefined, hub: [] };
  const handshake = JSON.parse(all.subarray(0, end).toString('utf8'));
  const rest = all.subarray(end + 1);
  const hub: unknown[] = [];
  if (protocol === 'json') {
    for (const part of rest.toString('utf8').split(RS)) if (part) hub.push(JSON.parse(part));
    return { handshake, hub };
  }
  let i = 0;
  while (i < rest.length) {
    let length = 0;
    let shift = 0;
    let b: number;
    do {
      b = rest[i++]!;
      length |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (i + length > rest.length) throw new Error('partial');
    hub.push(decode(rest.subarray(i, i + length)));
    i += length;
  }
  return { handshake, hub };
}

/** A MessagePack hub message with its VarInt length prefix. */
export function varintFrame(body: Uint8Array): Buffer {
  const prefix: number[] = [];
  let n = body.length;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n > 0) b |= 0x80;
    prefix.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from(prefix), body]);
}

export const handshakeText = (protocol: string, version: unknown = 1) => `${JSON.stringify({ protocol, version })}${RS}`;
