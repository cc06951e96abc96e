/**
 * Headers of server-to-client WebSocket frames (RFC 6455 §5.2: FIN set, no mask, no RSV bits).
 * Built here rather than by `ws` so that a frame can be written as header + shared pieces, and a
 * broadcast frames its payload once for every socket.
 */
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;

/** Bytes of the header of a frame with `length` payload bytes: 2, 4 or 10. */
export function frameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** Writes the header of a frame with `length` payload bytes at the start of `h` (frameHeaderLength bytes). */
export function writeFrameHeader(h: Buffer, opcode: number, length: number): void {
  writeFrameHeaderAt(h, 0, opcode, length);
}

/** Writes the header of a frame with `length` payload bytes into `h` at `at`; returns the offset after it. */
export function writeFrameHeaderAt(h: Buffer, at: number, opcode: number, length: number): number {
  h[at] = 0x80 | opcode;
  if (length < 126) {
    h[at + 1] = length;
    return at + 2;
  }
  if (length < 65536) {
    h[at + 1] = 126;
    h[at + 2] = length >>> 8;
    h[at + 3] = length & 0xff;
    return at + 4;
  }
  h[at + 1] = 127;
  h.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2);
  h.writeUInt32BE(length >>> 0, at + 6);
  return at + 10;
}

export function frameHeader(opcode: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(frameHeaderLength(length));
  writeFrameHeader(h, opcode, length);
  return h;
}
