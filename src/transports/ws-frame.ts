/**
 * Headers of server-to-client WebSocket frames (RFC 6455 §5.2: FIN set, no mask, no RSV bits).
 * Built here rather than by `ws` so that a frame can be written as header + shared pieces, and a
 * broadcast frames its payload once for every socket.
 */
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;

export function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) {
    const h = Buffer.allocUnsafe(2);
    h[0] = 0x80 | opcode;
    h[1] = length;
    return h;
  }
  if (length < 65536) {
    const h = Buffer.allocUnsafe(4);
    h[0] = 0x80 | opcode;
    h[1] = 126;
    h.writeUInt16BE(length, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = 0x80 | opcode;
  h[1] = 127;
  h.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  h.writeUInt32BE(length >>> 0, 6);
  return h;
}
