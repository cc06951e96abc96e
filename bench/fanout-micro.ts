/**
 * The JavaScript cost of a Web PubSub fan-out per delivery, without sockets or the kernel: N
 * sessions (`json`, `reliable`, `protobuf`, `protobuf-reliable`) attached to fake sockets whose
 * writes do nothing, 16 messages delivered to all of them per event-loop turn (the benchmark's
 * flow-control window at 1,000 connections), reliable sessions acknowledging everything every 6
 * turns. It prints the process's CPU time per delivery, which another process stealing the core
 * does not change much, so before/after comparisons hold on a busy machine (the socket writes,
 * which dominate a real fan-out, are not in it: use `npm run bench` for those).
 * With `sockets` as the sixth argument the sessions write to real loopback TCP sockets instead,
 * read and discarded by a child process: the CPU per delivery then includes Node's write path and
 * the kernel's (`writev`), which is where a plain and a reliable socket's frames differ in pieces.
 *   node bench/fanout-micro.ts [kind=json] [sessions=2000] [turns=400] [payload bytes=100] [sockets]
 */
import { fork } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { PubSubSession } from '../src/protocols/webpubsub/pubsub-session.ts';
import { jsonCodec, protobufCodec } from '../src/protocols/webpubsub/index.ts';
if (process.argv[2] === 'reader') {
  const server = createServer((s) => s.on('data', () => {}));
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
  await new Promise(() => {});
}
const kind = process.argv[2] ?? 'json';
const N = Number(process.argv[3] ?? 2000);
const PER_TURN = 16;
const TURNS = Number(process.argv[4] ?? 400);
const sink = { writableLength: 0, destroyed: false, writable: true, cork() {}, uncork() {}, write(_b: Buffer) { return true; } };
const realSockets = process.argv[6] === 'sockets';
const reader = realSockets ? fork(new URL(import.meta.url).pathname, ['reader']) : undefined;
const port = reader ? await new Promise<number>((resolve) => reader.once('message', (p) => resolve(p as number))) : 0;
const sockets: Socket[] = [];
for (let i = 0; realSockets && i < N; i++) {
  sockets.push(await new Promise<Socket>((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.setNoDelay(true);
  }));
}
const host: any = { core: { unregister() {} }, log: { debug() {}, warn() {}, error() {} }, events: undefined, maxBufferedBytes: 1 << 30, recoveryWindowMs: 1000, sessionEnded() {} };
const codec = kind.startsWith('protobuf') ? protobufCodec : jsonCodec;
const reliable = kind.endsWith('reliable');
const sessions: PubSubSession[] = [];
for (let i = 0; i < N; i++) {
  const s = new PubSubSession(host, { connectionId: `c${i}`, hub: 'h', userId: `u${i}`, roles: [] }, codec, reliable);
  const ws: any = { on() {}, readyState: 1, _socket: realSockets ? sockets[i] : sink, ping() {}, close() {}, terminate() {}, pause() {}, resume() {} };
  s.start(ws);
  sessions.push(s);
}
const payload = Buffer.from('x'.repeat(Number(process.argv[5] ?? 100)));
let turn = 0;
let t0 = process.cpuUsage();
let w0 = 0;
await new Promise<void>((resolve) => {
  const step = () => {
    if (turn === 50) { t0 = process.cpuUsage(); w0 = performance.now(); }
    for (let k = 0; k < PER_TURN; k++) {
      const message: any = { content: { kind: 'webpubsub', payload: { kind: 'text', data: payload }, from: 'server' }, encoded: new Map() };
      for (const s of sessions) s.deliver(message);
    }
    // acks every ~6 turns (100 ms at ~16 messages per 2.5 ms turn), as the bench's receivers
    if (reliable && turn % 6 === 5) for (const s of sessions) s.reliableState!.ack(s.reliableState!.buffer.lastSequenceId);
    if (++turn < TURNS) next(); else setImmediate(resolve);
  };
  // Real sockets: the next turn waits (off the CPU) while the reader is behind, as the bench's flow control would.
  const next = () => {
    if (realSockets && sockets.some((s) => s.writableLength > 65536)) setTimeout(next, 1);
    else setImmediate(step);
  };
  setImmediate(step);
});
const cpu = process.cpuUsage(t0);
const deliveries = (TURNS - 50) * PER_TURN * N;
console.log(`${kind} ${N} sessions, ${payload.length} B${realSockets ? ', real sockets' : ''}: ${(((cpu.user + cpu.system) * 1000) / deliveries).toFixed(1)} ns CPU per delivery (user ${((cpu.user * 1000) / deliveries).toFixed(1)}, ${((performance.now() - w0) * 1e6 / deliveries).toFixed(1)} ns wall)`);
if (reader) {
  reader.kill();
  for (const s of sockets) s.destroy();
}
