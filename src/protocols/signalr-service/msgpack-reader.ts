/**
 * A pull reader over one MessagePack body, shaped like the SDK's MessagePackReader: the decoder asks
 * for the next value with the type it expects. Written here instead of using @msgpack/msgpack's
 * Decoder because the service protocol needs what a whole-value decoder loses: maps with repeated
 * keys (claims carry several `role` entries), integer map keys, uint64 tracing ids beyond 2^53, and
 * byte strings as views without copying. Every length header is checked against the bytes left
 * before anything is allocated, and skipping nested values is iterative, so hostile input costs at
 * most linear time and no stack depth.
 */

/** Thrown inside the codec only; decode.ts turns it into a ServiceProtocolError. */
export class MsgpackReadError extends Error {
  readonly kind: 'encoding' | 'shape';
  constructor(kind: 'encoding' | 'shape', message: string) {
    super(message);
    this.kind = kind;
  }
}

const utf8 = new TextDecoder('utf-8');

export class MsgpackReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  /** The format byte of the next value, without consuming it. */
  peek(): number {
    if (this.#pos >= this.#bytes.length) throw truncated();
    return this.#bytes[this.#pos]!;
  }

  /** Consumes a nil and returns true, or leaves any other value in place and returns false. */
  tryReadNil(): boolean {
    if (this.peek() !== 0xc0) return false;
    this.#pos++;
    return true;
  }

  readArrayHeader(field: string): number {
    const b = this.peek();
    let n: number;
    if (b >= 0x90 && b <= 0x9f) { this.#pos++; n = b & 0x0f; }
    else if (b === 0xdc) { this.#pos++; n = this.#u16(); }
    else if (b === 0xdd) { this.#pos++; n = this.#u32(); }
    else throw shape(`'${field}' must be an array.`);
    // Each element takes at least one byte: a larger count is a lie about the rest of the body.
    if (n > this.remaining) throw truncated();
    return n;
  }

  readMapHeader(field: string): number {
    const b = this.peek();
    let n: number;
    if (b >= 0x80 && b <= 0x8f) { this.#pos++; n = b & 0x0f; }
    else if (b === 0xde) { this.#pos++; n = this.#u16(); }
    else if (b === 0xdf) { this.#pos++; n = this.#u32(); }
    else throw shape(`'${field}' must be a map.`);
    if (n * 2 > this.remaining) throw truncated();
    return n;
  }

  /** Any MessagePack integer format, as a bigint (the exact value, whatever its encoding). */
  readInteger(field: string): bigint {
    const b = this.peek();
    if (b <= 0x7f) { this.#pos++; return BigInt(b); }
    if (b >= 0xe0) { this.#pos++; return BigInt(b - 0x100); }
    switch (b) {
      case 0xcc: this.#pos++; return BigInt(this.#take(1)[0]!);
      case 0xcd: this.#pos++; return BigInt(this.#u16());
      case 0xce: this.#pos++; return BigInt(this.#u32());
      case 0xcf: { this.#pos++; this.#need(8); const v = this.#view.getBigUint64(this.#pos); this.#pos += 8; return v; }
      case 0xd0: { this.#pos++; this.#need(1); const v = this.#view.getInt8(this.#pos); this.#pos += 1; return BigInt(v); }
      case 0xd1: { this.#pos++; this.#need(2); const v = this.#view.getInt16(this.#pos); this.#pos += 2; return BigInt(v); }
      case 0xd2: { this.#pos++; this.#need(4); const v = this.#view.getInt32(this.#pos); this.#pos += 4; return BigInt(v); }
      case 0xd3: { this.#pos++; this.#need(8); const v = this.#view.getBigInt64(this.#pos); this.#pos += 8; return v; }
      default: throw shape(`'${field}' must be an integer.`);
    }
  }

  /** An Int32 as the SDK's ReadInt32 accepts it: any integer encoding whose value fits. */
  readInt32(field: string): number {
    const v = this.readInteger(field);
    if (v < -2147483648n || v > 2147483647n) throw shape(`'${field}' is out of the Int32 range.`);
    return Number(v);
  }

  /** A UInt64 (tracing ids): any non-negative integer encoding. */
  readUInt64(field: string): bigint {
    const v = this.readInteger(field);
    if (v < 0n) throw shape(`'${field}' must not be negative.`);
    return v;
  }

  readBoolean(field: string): boolean {
    const b = this.peek();
    if (b === 0xc2 || b === 0xc3) { this.#pos++; return b === 0xc3; }
    throw shape(`'${field}' must be a boolean.`);
  }

  /** A string or nil (the SDK's ReadString returns null for nil). Invalid UTF-8 becomes U+FFFD, as in .NET. */
  readString(field: string): string | null {
    const b = this.peek();
    let n: number;
    if (b >= 0xa0 && b <= 0xbf) { this.#pos++; n = b & 0x1f; }
    else if (b === 0xd9) { this.#pos++; n = this.#take(1)[0]!; }
    else if (b === 0xda) { this.#pos++; n = this.#u16(); }
    else if (b === 0xdb) { this.#pos++; n = this.#u32(); }
    else if (b === 0xc0) { this.#pos++; return null; }
    else throw shape(`'${field}' must be a string.`);
    return utf8.decode(this.#take(n));
  }

  readStringNotNull(field: string): string {
    const s = this.readString(field);
    if (s === null) throw shape(`'${field}' must not be nil.`);
    return s;
  }

  /**
   * Binary or nil; like the SDK's ReadBytes, a string's raw UTF-8 bytes are accepted too. The result
   * is a view on the body: callers that keep it must not mutate it.
   */
  readBytes(field: string): Uint8Array | null {
    const b = this.peek();
    let n: number;
    if (b === 0xc4 || b === 0xd9) { this.#pos++; n = this.#take(1)[0]!; }
    else if (b === 0xc5 || b === 0xda) { this.#pos++; n = this.#u16(); }
    else if (b === 0xc6 || b === 0xdb) { this.#pos++; n = this.#u32(); }
    else if (b >= 0xa0 && b <= 0xbf) { this.#pos++; n = b & 0x1f; }
    else if (b === 0xc0) { this.#pos++; return null; }
    else throw shape(`'${field}' must be binary.`);
    return this.#take(n);
  }

  /** A MessagePack timestamp (extension type -1, in its 32, 64 or 96-bit form), as .NET writes a DateTime. */
  readTimestamp(field: string): Date {
    const b = this.peek();
    let seconds: bigint;
    let nanos: number;
    if (b === 0xd6 || b === 0xd7 || b === 0xc7) {
      this.#pos++;
      if (b === 0xc7 && this.#take(1)[0] !== 12) throw shape(`'${field}' must be a timestamp.`);
      if (this.#take(1)[0] !== 0xff) throw shape(`'${field}' must be a timestamp.`);
      if (b === 0xd6) { seconds = BigInt(this.#u32()); nanos = 0; }
      else if (b === 0xd7) {
        this.#need(8);
        const v = this.#view.getBigUint64(this.#pos);
        this.#pos += 8;
        nanos = Number(v >> 34n);
        seconds = v & 0x3ffffffffn;
      } else {
        nanos = this.#u32();
        this.#need(8);
        seconds = this.#view.getBigInt64(this.#pos);
        this.#pos += 8;
      }
    } else throw shape(`'${field}' must be a timestamp.`);
    const ms = Number(seconds) * 1000 + Math.floor(nanos / 1e6);
    // .NET's DateTime range (years 1 to 9999); nanoseconds past a second simply add, as in .NET.
    if (!(ms >= -62_135_596_800_000 && ms <= 253_402_300_799_999)) throw shape(`'${field}' is out of range.`);
    return new Date(ms);
  }

  /** Whether the next value is an integer / a string or nil / a boolean (for members read only when well typed). */
  nextIsInteger(): boolean {
    const b = this.peek();
    return b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3);
  }

  nextIsStringOrNil(): boolean {
    const b = this.peek();
    return (b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb || b === 0xc0;
  }

  nextIsContainer(): boolean {
    const b = this.peek();
    return (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf);
  }

  nextIsBoolean(): boolean {
    const b = this.peek();
    return b === 0xc2 || b === 0xc3;
  }

  /** Skips one complete value of any type (unknown extension members, extra trailing elements). */
  skip(): void {
    let pending = 1;
    while (pending > 0) {
      pending--;
      const b = this.peek();
      this.#pos++;
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue;
      if (b >= 0x80 && b <= 0x8f) { pending += this.#count((b & 0x0f) * 2); continue; }
      if (b >= 0x90 && b <= 0x9f) { pending += this.#count(b & 0x0f); continue; }
      if (b >= 0xa0 && b <= 0xbf) { this.#take(b & 0x1f); continue; }
      switch (b) {
        case 0xc4: case 0xd9: this.#take(this.#take(1)[0]!); break;
        case 0xc5: case 0xda: this.#take(this.#u16()); break;
        case 0xc6: case 0xdb: this.#take(this.#u32()); break;
        case 0xc7: { const n = this.#take(1)[0]!; this.#take(1 + n); break; }
        case 0xc8: { const n = this.#u16(); this.#take(1 + n); break; }
        case 0xc9: { const n = this.#u32(); this.#take(1 + n); break; }
        case 0xca: this.#take(4); break;
        case 0xcb: this.#take(8); break;
        case 0xcc: case 0xd0: this.#take(1); break;
        case 0xcd: case 0xd1: this.#take(2); break;
        case 0xce: case 0xd2: this.#take(4); break;
        case 0xcf: case 0xd3: this.#take(8); break;
        case 0xd4: this.#take(2); break;
        case 0xd5: this.#take(3); break;
        case 0xd6: this.#take(5); break;
        case 0xd7: this.#take(9); break;
        case 0xd8: this.#take(17); break;
        case 0xdc: pending += this.#count(this.#u16()); break;
        case 0xdd: pending += this.#count(this.#u32()); break;
        case 0xde: pending += this.#count(this.#u16() * 2); break;
        case 0xdf: pending += this.#count(this.#u32() * 2); break;
        default: throw new MsgpackReadError('encoding', `Reserved MessagePack format byte 0x${b.toString(16)}.`);
      }
    }
  }

  #count(n: number): number {
    if (n > this.remaining) throw truncated();
    return n;
  }

  #need(n: number): void {
    if (n > this.remaining) throw truncated();
  }

  #take(n: number): Uint8Array {
    this.#need(n);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  #u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return v;
  }

  #u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }
}

function truncated(): MsgpackReadError {
  return new MsgpackReadError('encoding', 'The message body ends inside a value (or a length header claims more bytes than it has).');
}

function shape(message: string): MsgpackReadError {
  return new MsgpackReadError('shape', message);
}
