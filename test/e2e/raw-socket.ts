/**
 * Raw TCP/TLS WebSocket peers for hostile tests: they write exactly the bytes a test asks for,
 * including frames a real client library would never produce.
 */
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';

export interface RawPeer {
  socket: net.Socket;
  /** Status line code of the handshake answer (101 when upgraded). */
  status: number;
  /** Resolves once the server has closed or reset the socket (or after `ms`, whichever first). */
  closed(ms?: number): Promise<'closed' | 'timeout'>;
  destroy(): void;
}

export interface Target {
  port: number;
  tls?: boolean;
}

export function connect(t: Target): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s: net.Socket = t.tls
      ? tls.connect({ host: '127.0.0.1', port: t.port, servername: 'localhost' }, () => resolve(s))
      : net.connect({ host: '127.0.0.1', port: t.port }, () => resolve(s));
    s.once('error', reject);
  });
}

function watchClose(socket: net.Socket): (ms?: number) => Promise<'closed' | 'timeout'> {
  let done = false;
  const waiters: Array<() => void> = [];
  const finish = () => {
    done = true;
    for (const w of waiters.splice(0)) w();
  };
  socket.on('close', finish);
  socket.on('end', finish);
  socket.on('error', finish);
  return (ms = 3000) => new Promise((resolve) => {
    if (done) return resolve('closed');
    const timer = setTimeout(() => resolve('timeout'), ms);
    waiters.push(() => { clearTimeout(timer); resolve('closed'); });
  });
}

/** Sends `prefix` (if any), then a WebSocket handshake for `path`, and reads the status line. */
export async function handshake(t: Target, path: string, opts: { protocols?: string[]; headers?: Record<string, string>; prefix?: Buffer; trailing?: Buffer } = {}): Promise<RawPeer> {
  const socket = await connect(t);
  const closed = watchClose(socket);
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: localhost:${t.port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (opts.protocols?.length) lines.push(`Sec-WebSocket-Protocol: ${opts.protocols.join(', ')}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`${k}: ${v}`);
  const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  // `trailing` rides in the same write as the request: it reaches the server as the upgrade's `head`.
  socket.write(Buffer.concat([opts.prefix ?? Buffer.alloc(0), request, opts.trailing ?? Buffer.alloc(0)]));
  const status = await readStatus(socket);
  return { socket, status, closed, destroy: () => socket.destroy() };
}

function readStatus(socket: net.Socket): Promise<number> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish(0), 3000);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf.subarray(0, end).toString('latin1'));
      finish(m ? Number(m[1]) : 0);
    };
    const onGone = () => finish(0);
    function finish(code: number) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onGone);
      socket.off('error', onGone);
      resolve(code);
    }
    socket.on('data', onData);
    socket.on('close', onGone);
    socket.on('error', onGone);
  });
}

/** One WebSocket frame, byte by byte as given: nothing is validated. */
export function frame(o: { opcode: number; payload?: Buffer; fin?: boolean; rsv?: number; mask?: boolean; length?: bigint }): Buffer {
  const payload = o.payload ?? Buffer.alloc(0);
  const first = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | o.opcode;
  const masked = o.mask ?? true;
  const len = o.length ?? BigInt(payload.length);
  let header: Buffer;
  if (len < 126n) header = Buffer.from([first, (masked ? 0x80 : 0) | Number(len)]);
  else if (len < 65536n) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = (masked ? 0x80 : 0) | 126;
    header.writeUInt16BE(Number(len), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = (masked ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(len, 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
  return Buffer.concat([header, key, body]);
}

const closePayload = (code: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return b;
};

/** Every RFC 6455 violation of the table: the bytes a bad peer writes after (or instead of) the handshake. */
export const VIOLATIONS: ReadonlyArray<{ name: string; bytes: Buffer; beforeHandshake?: boolean; inHandshakePacket?: boolean }> = [
  { name: 'unmasked client frame', bytes: frame({ opcode: 1, payload: Buffer.from('{"type":"ping"}'), mask: false }) },
  { name: 'reserved opcode 0x3', bytes: frame({ opcode: 3, payload: Buffer.from('x') }) },
  { name: 'reserved opcode 0xB', bytes: frame({ opcode: 0xb }) },
  { name: 'RSV1 without an extension', bytes: frame({ opcode: 1, payload: Buffer.from('hi'), rsv: 4 }) },
  { name: 'RSV2+RSV3', bytes: frame({ opcode: 2, payload: Buffer.from('hi'), rsv: 3 }) },
  { name: 'fragmented control frame', bytes: frame({ opcode: 9, payload: Buffer.from('p'), fin: false }) },
  { name: 'oversized control frame', bytes: frame({ opcode: 9, payload: Buffer.alloc(200, 1) }) },
  { name: 'absurd length (2^63-1)', bytes: frame({ opcode: 2, length: 0x7fffffffffffffffn }) },
  { name: 'length beyond the frame limit', bytes: frame({ opcode: 2, length: 1n << 40n }) },
  { name: 'invalid UTF-8 in text', bytes: frame({ opcode: 1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }) },
  { name: 'invalid close code 999', bytes: frame({ opcode: 8, payload: closePayload(999) }) },
  { name: 'invalid close code 1005', bytes: frame({ opcode: 8, payload: closePayload(1005) }) },
  { name: 'close frame with 1 byte', bytes: frame({ opcode: 8, payload: Buffer.from([3]) }) },
  { name: 'continuation without a start', bytes: frame({ opcode: 0, payload: Buffer.from('x') }) },
  { name: 'garbage before the handshake', bytes: Buffer.from('\x16\x03\x01\x00\xff\xfe garbage \r\n\r\n', 'latin1'), beforeHandshake: true },
  { name: 'bad frame in the handshake packet', bytes: frame({ opcode: 1, payload: Buffer.from('x'), mask: false }), inHandshakePacket: true },
];
