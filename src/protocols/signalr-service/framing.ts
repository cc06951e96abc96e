/**
 * Length-prefixed framing of the service protocol: each message is a VarInt length (7 bits per byte,
 * least significant group first, at most 5 bytes, below 2^31, as SignalR's BinaryMessageParser reads
 * it) followed by that many bytes of MessagePack. WebSocket frames carry a byte stream: one frame may
 * hold several messages and a message may span frames, so the reader keeps at most one partial
 * message, never above `maxMessageBytes`. Its buffer grows with the bytes that actually arrived
 * (doubling, capped at the announced size), so a peer announcing a large message and then sending
 * little cannot make Lapis reserve the whole size up front.
 */
import { ServiceProtocolError } from './errors.ts';
import { decodeServiceMessageBody } from './decode.ts';
import type { ServiceMessage } from './types.ts';

/** Default bound on one message body; an app server's broadcast carries one payload per hub protocol. */
export const DEFAULT_MAX_SERVICE_MESSAGE_BYTES = 4 * 1024 * 1024;
const MAX_PREFIX_BYTES = 5;
/** Smallest buffer for a partial message body (avoids many tiny regrowths). */
const MIN_PARTIAL_BYTES = 4096;

export function varIntPrefix(length: number): Uint8Array {
  const out: number[] = [];
  let n = length;
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Uint8Array.from(out);
}

/** Prefix + body in one buffer. */
export function frame(body: Uint8Array): Uint8Array {
  const prefix = varIntPrefix(body.length);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

type PrefixResult = { length: number; size: number } | 'incomplete' | ServiceProtocolError;

/** Reads a length prefix at `offset` of `bytes` (up to `end`). */
export function readVarIntPrefix(bytes: Uint8Array, offset: number, end = bytes.length): PrefixResult {
  let length = 0;
  for (let i = 0; i < MAX_PREFIX_BYTES; i++) {
    if (offset + i >= end) return 'incomplete';
    const b = bytes[offset + i]!;
    // The fifth byte may only carry the top bits of a 31-bit length.
    if (i === MAX_PREFIX_BYTES - 1 && b > 0x07) {
      return new ServiceProtocolError('InvalidFraming', 'The length prefix announces a message of 2 GB or more.');
    }
    length += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { length, size: i + 1 };
  }
  return new ServiceProtocolError('InvalidFraming', 'The length prefix is longer than 5 bytes.');
}

export interface ServiceReaderOptions {
  /** Largest accepted message body in bytes (default DEFAULT_MAX_SERVICE_MESSAGE_BYTES). */
  maxMessageBytes?: number;
}

export interface ServiceReadResult {
  /** Complete messages in order. Byte fields are views on the input: do not mutate what you pushed. */
  messages: ServiceMessage[];
  /** Numeric types of well-formed messages this codec does not know (skipped, as the SDK skips them). */
  skippedTypes: number[];
  /** Set when the stream broke; `messages` still holds what came before the bad one. Close the peer. */
  error?: ServiceProtocolError;
}

/** Splits a byte stream into service messages; see the file comment for the memory bound. */
export class ServiceMessageReader {
  readonly maxMessageBytes: number;
  /** The partial message (prefix + body) once its size is known, or the partial prefix. */
  #partial: Uint8Array | undefined;
  #partialLength = 0;
  /** Total size (prefix + body) of the partial message; 0 while its prefix is still incomplete. */
  #partialTotal = 0;
  #failed: ServiceProtocolError | undefined;

  constructor(options: ServiceReaderOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_SERVICE_MESSAGE_BYTES;
  }

  /** Bytes held for a message that has not fully arrived. */
  get pendingBytes(): number {
    return this.#partialLength;
  }

  /** Capacity currently allocated for that partial message (at most twice pendingBytes, or 4 KiB). */
  get reservedBytes(): number {
    return this.#partial?.length ?? 0;
  }

  get failed(): ServiceProtocolError | undefined {
    return this.#failed;
  }

  push(chunk: Uint8Array): ServiceReadResult {
    const result: ServiceReadResult = { messages: [], skippedTypes: [] };
    if (this.#failed) {
      result.error = new ServiceProtocolError('ReaderFailed', `The stream already failed: ${this.#failed.code}.`);
      return result;
    }
    let offset = 0;
    if (this.#partialLength > 0) {
      offset = this.#continuePartial(chunk, result);
      if (result.error || offset < 0) return result;
    }
    while (offset < chunk.length) {
      const prefix = readVarIntPrefix(chunk, offset);
      if (prefix instanceof ServiceProtocolError) return this.#fail(result, prefix);
      if (prefix === 'incomplete') {
        this.#startPartial(chunk.subarray(offset), 0);
        return result;
      }
      if (prefix.length > this.maxMessageBytes) return this.#fail(result, tooLarge(prefix.length, this.maxMessageBytes));
      const total = prefix.size + prefix.length;
      if (chunk.length - offset < total) {
        this.#startPartial(chunk.subarray(offset), total);
        return result;
      }
      if (!this.#deliver(chunk.subarray(offset + prefix.size, offset + total), result)) return result;
      offset += total;
    }
    return result;
  }

  /** Feeds the start of `chunk` into the partial message; returns the offset after it, or -1 if the chunk was used up. */
  #continuePartial(chunk: Uint8Array, result: ServiceReadResult): number {
    let offset = 0;
    // Complete the prefix one byte at a time (at most 5); from then on the size is known.
    while (this.#partialTotal === 0) {
      if (offset >= chunk.length) return -1;
      this.#partial![this.#partialLength++] = chunk[offset++]!;
      const prefix = readVarIntPrefix(this.#partial!, 0, this.#partialLength);
      if (prefix instanceof ServiceProtocolError) { this.#fail(result, prefix); return -1; }
      if (prefix === 'incomplete') continue;
      if (prefix.length > this.maxMessageBytes) { this.#fail(result, tooLarge(prefix.length, this.maxMessageBytes)); return -1; }
      this.#partialTotal = prefix.size + prefix.length;
    }
    const take = Math.min(this.#partialTotal - this.#partialLength, chunk.length - offset);
    this.#append(chunk.subarray(offset, offset + take));
    offset += take;
    if (this.#partialLength < this.#partialTotal) return -1;
    // The prefix-phase buffer may be larger than a tiny message: cut to the announced size.
    const whole = this.#partial!.subarray(0, this.#partialTotal);
    const bodyStart = (readVarIntPrefix(whole, 0) as { size: number }).size;
    // The buffer now belongs to the delivered message's views; the next partial gets a new one.
    this.#partial = undefined;
    this.#partialLength = 0;
    this.#partialTotal = 0;
    if (!this.#deliver(whole.subarray(bodyStart), result)) return -1;
    return offset;
  }

  #startPartial(rest: Uint8Array, total: number): void {
    this.#partialTotal = total;
    this.#partial = undefined;
    this.#partialLength = 0;
    this.#append(rest);
  }

  /** Appends to the partial message, growing its buffer by doubling up to the announced size. */
  #append(bytes: Uint8Array): void {
    const needed = this.#partialLength + bytes.length;
    if (!this.#partial || this.#partial.length < needed) {
      const cap = this.#partialTotal === 0 ? MAX_PREFIX_BYTES : this.#partialTotal;
      const size = Math.min(cap, Math.max(needed, 2 * (this.#partial?.length ?? 0), MIN_PARTIAL_BYTES));
      const grown = new Uint8Array(size);
      if (this.#partial) grown.set(this.#partial.subarray(0, this.#partialLength));
      this.#partial = grown;
    }
    this.#partial.set(bytes, this.#partialLength);
    this.#partialLength = needed;
  }

  #deliver(body: Uint8Array, result: ServiceReadResult): boolean {
    const decoded = decodeServiceMessageBody(body);
    if (decoded instanceof ServiceProtocolError) {
      this.#fail(result, decoded);
      return false;
    }
    if (decoded === null) result.skippedTypes.push(unknownType(body));
    else result.messages.push(decoded);
    return true;
  }

  #fail(result: ServiceReadResult, error: ServiceProtocolError): ServiceReadResult {
    this.#failed = error;
    this.#partial = undefined;
    this.#partialLength = 0;
    this.#partialTotal = 0;
    result.error = error;
    return result;
  }
}

function tooLarge(length: number, max: number): ServiceProtocolError {
  return new ServiceProtocolError('MessageTooLarge', `A message of ${length} bytes exceeds the limit of ${max} bytes.`);
}

/** The type number of a body that decoded as unknown (fixarray/array16/array32 header, then a small int). */
function unknownType(body: Uint8Array): number {
  const b = body[0]!;
  const at = b >= 0x90 && b <= 0x9f ? 1 : b === 0xdc ? 3 : 5;
  const t = body[at];
  if (t === undefined) return -1;
  if (t <= 0x7f) return t;
  if (t === 0xcc) return body[at + 1] ?? -1;
  return -1;
}
