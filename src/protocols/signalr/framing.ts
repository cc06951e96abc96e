/**
 * Splitting a byte stream into hub messages. Chunks may end mid-message or hold several messages;
 * both framers keep at most one partial message, never more than `maxMessageBytes` of it, so a peer
 * cannot make Lapis buffer without limit.
 */
import { HubProtocolError } from './errors.ts';

export const RECORD_SEPARATOR = 0x1e;

/** Result of feeding one chunk: the complete message bodies, and an error that ends the stream. */
export interface FrameResult {
  bodies: Buffer[];
  error?: HubProtocolError | undefined;
}

export interface Framer {
  /** Takes ownership of `chunk`: bodies may be views on it, so the caller must not reuse or mutate it. */
  push(chunk: Buffer): FrameResult;
  /** Bytes held for a message that has not ended yet. */
  readonly pendingBytes: number;
}

/**
 * JSON protocol framing: every message ends with 0x1E (which JSON text never contains unescaped).
 * A partial message is copied into one growable buffer (capacity doubling, capped at the limit), so
 * many tiny chunks cost linear time and no per-chunk objects.
 */
export class TextFramer implements Framer {
  readonly #max: number;
  #pending: Buffer | undefined;
  #pendingLength = 0;
  #failed: HubProtocolError | undefined;

  constructor(maxMessageBytes: number) {
    this.#max = maxMessageBytes;
  }

  get pendingBytes(): number {
    return this.#pendingLength;
  }

  push(chunk: Buffer): FrameResult {
    if (this.#failed) return { bodies: [], error: this.#failed };
    const bodies: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(RECORD_SEPARATOR, start); end !== -1; end = chunk.indexOf(RECORD_SEPARATOR, start)) {
      const length = this.#pendingLength + end - start;
      if (length > this.#max) return this.#fail(bodies, length);
      bodies.push(this.#take(chunk.subarray(start, end)));
      start = end + 1;
    }
    if (start < chunk.length) {
      const length = this.#pendingLength + chunk.length - start;
      // The message is already longer than allowed even before its separator arrives.
      if (length > this.#max) return this.#fail(bodies, length);
      this.#append(chunk.subarray(start));
    }
    return { bodies };
  }

  #append(part: Buffer): void {
    const needed = this.#pendingLength + part.length;
    if (!this.#pending || this.#pending.length < needed) {
      const grown = Buffer.allocUnsafe(Math.min(this.#max, Math.max(needed, 2 * (this.#pending?.length ?? 0), 1024)));
      if (this.#pending) this.#pending.copy(grown, 0, 0, this.#pendingLength);
      this.#pending = grown;
    }
    part.copy(this.#pending, this.#pendingLength);
    this.#pendingLength = needed;
  }

  #take(tail: Buffer): Buffer {
    if (this.#pendingLength === 0) return tail;
    this.#append(tail);
    const body = this.#pending!.subarray(0, this.#pendingLength);
    // The body keeps the buffer; the next partial message starts a new one.
    this.#pending = undefined;
    this.#pendingLength = 0;
    return body;
  }

  #fail(bodies: Buffer[], length: number): FrameResult {
    this.#pending = undefined;
    this.#pendingLength = 0;
    this.#failed = tooLarge(length, this.#max);
    return { bodies, error: this.#failed };
  }
}

/**
 * MessagePack protocol framing: each body is preceded by its length as a VarInt (7 bits per byte,
 * least significant group first, at most 5 bytes). Once the length is known the body buffer is
 * allocated at its exact size, so arbitrarily small chunks cost linear time.
 */
export class BinaryFramer implements Framer {
  readonly #max: number;
  #length = 0;
  #prefixBytes = 0;
  #body: Buffer | undefined;
  #filled = 0;
  #failed: HubProtocolError | undefined;

  constructor(maxMessageBytes: number) {
    this.#max = maxMessageBytes;
  }

  get pendingBytes(): number {
    return this.#body ? this.#filled : this.#prefixBytes;
  }

  push(chunk: Buffer): FrameResult {
    if (this.#failed) return { bodies: [], error: this.#failed };
    const bodies: Buffer[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.#body === undefined) {
        const byte = chunk[i++]!;
        if (this.#prefixBytes === 4 && byte > 0x07) {
          return this.#fail(bodies, new HubProtocolError('InvalidFraming', 'Messages over 2GB in size are not supported.'));
        }
        this.#length += (byte & 0x7f) * 2 ** (7 * this.#prefixBytes);
        this.#prefixBytes++;
        if (byte & 0x80) continue;
        if (this.#length > this.#max) return this.#fail(bodies, tooLarge(this.#length, this.#max));
        const length = this.#length;
        this.#length = 0;
        this.#prefixBytes = 0;
        // A whole body inside this chunk is a view on it: no copy for the common case.
        if (chunk.length - i >= length) {
          bodies.push(chunk.subarray(i, i + length));
          i += length;
          continue;
        }
        this.#body = Buffer.allocUnsafe(length);
        this.#filled = 0;
      }
      const body = this.#body;
      const n = Math.min(body.length - this.#filled, chunk.length - i);
      chunk.copy(body, this.#filled, i, i + n);
      this.#filled += n;
      i += n;
      if (this.#filled === body.length) {
        bodies.push(body);
        this.#body = undefined;
        this.#filled = 0;
      }
    }
    return { bodies };
  }

  #fail(bodies: Buffer[], error: HubProtocolError): FrameResult {
    this.#body = undefined;
    this.#filled = 0;
    this.#prefixBytes = 0;
    this.#length = 0;
    this.#failed = error;
    return { bodies, error };
  }
}

function tooLarge(length: number, max: number): HubProtocolError {
  return new HubProtocolError('MessageTooLarge', `The maximum message size of ${max}B was exceeded (message of ${length}B or more).`);
}

/** The VarInt length prefix for a MessagePack body of `length` bytes. */
export function varIntPrefix(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let part = length & 0x7f;
    length = Math.floor(length / 128);
    if (length > 0) part |= 0x80;
    bytes.push(part);
  } while (length > 0);
  return Buffer.from(bytes);
}
