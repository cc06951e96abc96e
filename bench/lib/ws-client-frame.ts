/** Client-side WebSocket frames (RFC 6455) for the raw load-generator clients. */

export const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** A client frame (masked, as RFC 6455 requires). The masking key is zero, so the payload is sent as-is. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  let head: Buffer;
  if (len < 126) {
    head = Buffer.alloc(6);
    head[1] = 0x80 | len;
  } else if (len < 65536) {
    head = Buffer.alloc(8);
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(14);
    head[1] = 0x80 | 127;
    head.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    head.writeUInt32BE(len >>> 0, 6);
  }
  head[0] = 0x80 | opcode;
  return Buffer.concat([head, payload]);
}
