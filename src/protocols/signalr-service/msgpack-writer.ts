/**
 * A small MessagePack writer with the SDK writer's choices: the most compact integer, string and
 * binary formats, maps written entry by entry (so claims may repeat a key), uint64 from bigint.
 * One growable buffer per message; `bytes()` / `bytesWithPrefix()` hand out views on it, no copies.
 */

const utf8 = new TextEncoder();

export class MsgpackWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos: number;
  readonly #start: number;

  /** `headroom` bytes are left free before the first written byte (room for a length prefix). */
  constructor(initialCapacity = 256, headroom = 0) {
    this.#buf = new Uint8Array(Math.max(initialCapacity, headroom + 16));
    this.#view = new DataView(this.#buf.buffer);
    this.#start = headroom;
    this.#pos = headroom;
  }

  get length(): number {
    return this.#pos - this.#start;
  }

  /** The written bytes (a view on the writer's buffer; the writer must not be used afterwards). */
  bytes(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#pos);
  }

  /**
   * The written bytes preceded by `prefix`, placed in the headroom: no copy of the body. Needs a
   * headroom at least as long as the prefix.
   */
  bytesWithPrefix(prefix: Uint8Array): Uint8Array {
    const at = this.#start - prefix.length;
    this.#buf.set(prefix, at);
    return this.#buf.subarray(at, this.#pos);
  }

  arrayHeader(n: number): void {
    if (n <= 15) this.#u8(0x90 | n);
    else if (n <= 0xffff) { this.#u8(0xdc); this.#u16(n); }
    else { this.#u8(0xdd); this.#u32(n); }
  }

  mapHeader(n: number): void {
    if (n <= 15) this.#u8(0x80 | n);
    else if (n <= 0xffff) { this.#u8(0xde); this.#u16(n); }
    else { this.#u8(0xdf); this.#u32(n); }
  }

  nil(): void {
    this.#u8(0xc0);
  }

  boolean(v: boolean): void {
    this.#u8(v ? 0xc3 : 0xc2);
  }

  /** An integer in its smallest MessagePack form (as MessagePackWriter.Write(int/long/ulong) does). */
  integer(value: number | bigint): void {
    const v = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
    if (v >= 0n) {
      if (v <= 0x7fn) this.#u8(Number(v));
      else if (v <= 0xffn) { this.#u8(0xcc); this.#u8(Number(v)); }
      else if (v <= 0xffffn) { this.#u8(0xcd); this.#u16(Number(v)); }
      else if (v <= 0xffffffffn) { this.#u8(0xce); this.#u32(Number(v)); }
      else { this.#u8(0xcf); this.#ensure(8); this.#view.setBigUint64(this.#pos, BigInt.asUintN(64, v)); this.#pos += 8; }
    } else {
      if (v >= -32n) this.#u8(0x100 + Number(v));
      else if (v >= -0x80n) { this.#u8(0xd0); this.#ensure(1); this.#view.setInt8(this.#pos, Number(v)); this.#pos += 1; }
      else if (v >= -0x8000n) { this.#u8(0xd1); this.#ensure(2); this.#view.setInt16(this.#pos, Number(v)); this.#pos += 2; }
      else if (v >= -0x80000000n) { this.#u8(0xd2); this.#ensure(4); this.#view.setInt32(this.#pos, Number(v)); this.#pos += 4; }
      else { this.#u8(0xd3); this.#ensure(8); this.#view.setBigInt64(this.#pos, BigInt.asIntN(64, v)); this.#pos += 8; }
    }
  }

  /** An Int32 always in its 5-byte form (the SDK's WriteInt32, used for flow-control enums). */
  int32Fixed(v: number): void {
    this.#u8(0xd2);
    this.#ensure(4);
    this.#view.setInt32(this.#pos, v);
    this.#pos += 4;
  }

  /** A timestamp (extension -1): 32-bit form for whole seconds that fit, else 64 or 96-bit, as MessagePack-CSharp writes a DateTime. */
  timestamp(d: Date): void {
    const ms = d.getTime();
    const seconds = BigInt(Math.floor(ms / 1000));
    const nanos = (((ms % 1000) + 1000) % 1000) * 1e6;
    if (seconds >= 0n && seconds < 2n ** 34n) {
      if (nanos === 0 && seconds < 2n ** 32n) {
        this.#u8(0xd6); this.#u8(0xff); this.#u32(Number(seconds));
        return;
      }
      this.#u8(0xd7); this.#u8(0xff); this.#ensure(8);
      this.#view.setBigUint64(this.#pos, (BigInt(nanos) << 34n) | seconds);
      this.#pos += 8;
      return;
    }
    this.#u8(0xc7); this.#u8(12); this.#u8(0xff); this.#u32(nanos); this.#ensure(8);
    this.#view.setBigInt64(this.#pos, seconds);
    this.#pos += 8;
  }

  /** A string, or nil for null/undefined (the SDK writes null strings as nil). */
  string(s: string | null | undefined): void {
    if (s === null || s === undefined) return this.nil();
    // UTF-8 needs at most 3 bytes per UTF-16 unit; encode in place after reserving the worst case.
    this.#ensure(5 + s.length * 3);
    const headerAt = this.#pos;
    const maxLen = s.length * 3;
    const headerSize = maxLen <= 31 ? 1 : maxLen <= 0xff ? 2 : maxLen <= 0xffff ? 3 : 5;
    const { written } = utf8.encodeInto(s, this.#buf.subarray(headerAt + headerSize));
    const n = written;
    const realHeader = n <= 31 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5;
    if (realHeader !== headerSize) this.#buf.copyWithin(headerAt + realHeader, headerAt + headerSize, headerAt + headerSize + n);
    if (n <= 31) this.#buf[headerAt] = 0xa0 | n;
    else if (n <= 0xff) { this.#buf[headerAt] = 0xd9; this.#buf[headerAt + 1] = n; }
    else if (n <= 0xffff) { this.#buf[headerAt] = 0xda; this.#view.setUint16(headerAt + 1, n); }
    else { this.#buf[headerAt] = 0xdb; this.#view.setUint32(headerAt + 1, n); }
    this.#pos = headerAt + realHeader + n;
  }

  /** Binary, or nil for null/undefined. */
  bytesValue(b: Uint8Array | null | undefined): void {
    if (b === null || b === undefined) return this.nil();
    const n = b.length;
    if (n <= 0xff) { this.#u8(0xc4); this.#u8(n); }
    else if (n <= 0xffff) { this.#u8(0xc5); this.#u16(n); }
    else { this.#u8(0xc6); this.#u32(n); }
    this.#ensure(n);
    this.#buf.set(b, this.#pos);
    this.#pos += n;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
    this.#view = new DataView(grown.buffer);
  }

  #u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = v;
  }

  #u16(v: number): void {
    this.#ensure(2);
    this.#view.setUint16(this.#pos, v);
    this.#pos += 2;
  }

  #u32(v: number): void {
    this.#ensure(4);
    this.#view.setUint32(this.#pos, v);
    this.#pos += 4;
  }
}
